import { describe, expect, it } from 'vitest';
import { Exact, currencyExponent, formatMinor, parseDecimal, roundToMinor } from './money.js';

describe('roundToMinor rounds once, half to even', () => {
  it.each([
    ['1.234', 'EUR', 123n],
    ['1.235', 'EUR', 124n], // tie, 3 is odd -> up to 4
    ['1.225', 'EUR', 122n], // tie, 2 is even -> stays
    ['1.2251', 'EUR', 123n],
    ['-1.225', 'EUR', -122n],
    ['0.005', 'USD', 0n],
    ['0.015', 'USD', 2n],
    ['1234.5', 'JPY', 1234n],
    ['1235.5', 'JPY', 1236n],
    ['1.2345', 'KWD', 1234n], // three minor digits
    ['1.2355', 'KWD', 1236n],
  ] as const)('%s %s -> %s', (major, currency, minor) => {
    expect(roundToMinor(new Exact(major), currency)).toBe(minor);
  });
});

describe('currencies', () => {
  it.each([
    ['EUR', 2],
    ['JPY', 0],
    ['KWD', 3],
    ['XXX1', undefined],
    ['eur', undefined],
    ['ZZZ', undefined],
  ] as const)('%s has exponent %s', (currency, exponent) => {
    expect(currencyExponent(currency)).toBe(exponent);
  });

  it('formats minor units in major units', () => {
    expect(formatMinor(124n, 'EUR')).toBe('1.24');
    expect(formatMinor(-5n, 'EUR')).toBe('-0.05');
    expect(formatMinor(5n, 'JPY')).toBe('5');
  });
});

describe('parseDecimal', () => {
  it.each(['0.0012', '10', '-3.5', '0'])('accepts %s', (text) => {
    expect(parseDecimal(text)?.toString()).toBe(new Exact(text).toString());
  });
  it.each(['1e3', '.5', '01', '1.', 'abc', '', 'NaN', 'Infinity'])('refuses %s', (text) => {
    expect(parseDecimal(text)).toBeUndefined();
  });
});
