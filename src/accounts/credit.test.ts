import { describe, expect, it } from 'vitest';
import { Exact } from '../money/money.js';
import { creditLimitFor, trailingMonths } from './credit.js';

describe('creditLimitFor', () => {
  it.each([
    // purchases (minor), share, cap (major), currency, limit (minor)
    [0n, '0.10', '1000', 'EUR', 0n, 'nothing bought, no credit'],
    [123_456n, '0.10', '1000', 'EUR', 12_346n, '1234.56 x 0.10 = 123.456 -> 123.46 (above half)'],
    [12_345n, '0.10', '1000', 'EUR', 1_234n, '123.45 x 0.10 = 12.345 -> 12.34 (half to even, 4 is even)'],
    [12_355n, '0.10', '1000', 'EUR', 1_236n, '123.55 x 0.10 = 12.355 -> 12.36 (half to even, 6 is even)'],
    [50_000_000n, '0.10', '1000', 'EUR', 100_000n, '500000.00 x 0.10 = 50000 capped at 1000.00'],
    [10_000_000n, '0.10', '1000', 'EUR', 100_000n, '100000.00 x 0.10 = 10000 -> cap 1000.00 exactly'],
    [-5_000n, '0.10', '1000', 'EUR', 0n, 'refunds exceeding purchases never give a negative limit'],
    [1_001n, '0.5', '1000', 'JPY', 500n, 'JPY has no minor unit: 1001 x 0.5 = 500.5 -> 500 (even)'],
    [1_003n, '0.5', '1000', 'JPY', 502n, '1003 x 0.5 = 501.5 -> 502 (even)'],
    [100_000n, '0.10', '0', 'EUR', 0n, 'a zero cap disables system credit'],
    [123_456n, '0.10', '5.555', 'KWD', 5_555n, 'KWD has 3 decimals: 123.456 x 0.10 = 12.3456 capped at 5.555'],
  ])('%s at share %s cap %s %s -> %s (%s)', (purchases, share, cap, currency, limit) => {
    expect(creditLimitFor(purchases, new Exact(share), new Exact(cap), currency)).toBe(limit);
  });
});

describe('trailingMonths', () => {
  it.each([
    ['2026-11-02T00:00:00Z', '2025-12', '2026-11'],
    ['2026-01-31T23:59:59Z', '2025-02', '2026-01'],
    ['2026-12-01T00:00:00Z', '2026-01', '2026-12'],
  ])('at %s spans %s..%s', (at, first, last) => {
    expect(trailingMonths(new Date(at))).toEqual({ first, last });
  });
});
