import { describe, expect, it } from 'vitest';
import { chargeFor, monthOf, startOfNextMonth, withinCap } from './auto-top-up.js';

describe('automatic top-up arithmetic', () => {
  it.each([
    [{ amount: 3000n, target: null }, 500n, 3000n],
    [{ amount: null, target: 5000n }, 500n, 4500n], // 5000 - 500
    [{ amount: null, target: 5000n }, -200n, 5200n], // below zero on credit: 5000 + 200
    [{ amount: null, target: 5000n }, 6000n, 0n],
  ])('charges %o at available %s: %s', (settings, available, charge) => {
    expect(chargeFor(settings, available)).toBe(charge);
  });

  it.each([
    [3000n, 0n, 7000n, 3000n],
    [4500n, 3400n, 7000n, 3600n], // 7000 - 3400
    [100n, 7000n, 7000n, 0n],
    [100n, 8000n, 7000n, 0n], // a cap lowered under what was spent
  ])('charges %s of a cap with %s spent of %s: %s', (amount, spent, cap, allowed) => {
    expect(withinCap(amount, spent, cap)).toBe(allowed);
  });

  it('counts calendar months in UTC', () => {
    expect(monthOf(new Date('2026-11-30T23:59:59Z'))).toBe('2026-11');
    expect(startOfNextMonth(new Date('2026-11-30T23:59:59Z')).toISOString()).toBe('2026-12-01T00:00:00.000Z');
    expect(startOfNextMonth(new Date('2026-12-15T10:00:00Z')).toISOString()).toBe('2027-01-01T00:00:00.000Z');
  });
});
