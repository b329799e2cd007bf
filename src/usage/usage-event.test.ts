import { describe, expect, it } from 'vitest';
import { readQuantity } from './usage-event.js';

describe('a reported quantity', () => {
  it.each([
    ['3', 0, '3'],
    [3, 0, '3'],
    ['0', 0, '0'],
    ['2.0', 0, '2'], // a whole number written with a fraction of zeros
    ['0.125000', 6, '0.125'],
    ['12.5', 6, '12.5'],
    ['999999999999999999.999999', 6, '999999999999999999.999999'],
  ])('%j on a meter of %i decimals is %s', (value, decimals, canonical) => {
    expect(readQuantity(value, { decimals })).toBe(canonical);
  });

  it.each([
    ['1.5', 0, 'this meter counts whole units'],
    ['0.0000001', 6, 'this meter takes at most 6 decimal places'],
    [1.5, 6, 'an exact decimal string, 0 or more, up to 6 decimal places, e.g. "1.5"'], // no floats
    ['-1', 0, 'a whole number of units, 0 or more, e.g. "3"'],
    ['01', 0, 'a whole number of units, 0 or more, e.g. "3"'],
    ['1e3', 0, 'a whole number of units, 0 or more, e.g. "3"'],
    ['1000000000000000000', 0, 'a whole number of units, 0 or more, e.g. "3"'], // 19 digits
    [null, 0, 'a whole number of units, 0 or more, e.g. "3"'],
  ])('%j on a meter of %i decimals is refused: %s', (value, decimals, detail) => {
    expect(readQuantity(value, { decimals })).toEqual({ detail });
  });
});
