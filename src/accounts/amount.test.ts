import { describe, expect, it } from 'vitest';
import { parseNonNegativeAmount, parsePositiveAmount } from './amount.js';

describe('parsePositiveAmount', () => {
  it.each([
    ['1', 1n],
    ['1250', 1250n],
    ['007', 7n],
    ['999999999999999999', 999_999_999_999_999_999n], // 18 digits: the largest accepted
  ])('accepts %s as %s', (text, expected) => {
    expect(parsePositiveAmount(text, '/amount')).toEqual({ ok: true, value: expected });
  });

  it.each(['0', '000', '-1', '-0', '1000000000000000000', '99999999999999999999999'])('refuses %s as out of range', (text) => {
    const result = parsePositiveAmount(text, '/amount');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.failure).toMatchObject({ code: 'amount_out_of_range', field: '/amount' });
  });
});

describe('parseNonNegativeAmount', () => {
  it.each([
    ['0', 0n],
    ['500', 500n],
  ])('accepts %s', (text, expected) => {
    expect(parseNonNegativeAmount(text, '/low_balance_threshold')).toEqual({ ok: true, value: expected });
  });
  it.each(['-5', '1000000000000000000'])('refuses %s', (text) => {
    expect(parseNonNegativeAmount(text, '/x').ok).toBe(false);
  });
});
