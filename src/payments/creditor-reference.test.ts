import { describe, expect, it } from 'vitest';
import { creditorReference, formatCreditorReference, parseCreditorReference } from './creditor-reference.js';

describe('creditorReference', () => {
  it.each([
    // The example of ISO 11649 and the European Payments Council; the others worked out apart
    // (Python's big integers: 98 - int(digits(body + 'RF00')) % 97).
    ['539007547034', 'RF18539007547034'],
    ['0', 'RF040'],
    ['1', 'RF741'],
    ['KASSA000000000001', 'RF17KASSA000000000001'],
    ['abc', 'RF45ABC'],
  ])('%s -> %s', (body, reference) => {
    expect(creditorReference(body)).toBe(reference);
    expect(parseCreditorReference(reference)).toBe(reference);
  });

  it.each(['', 'A'.repeat(22), 'KASSA-1', 'Ünïcode'])('refuses the body %j', (body) => expect(() => creditorReference(body)).toThrow());
});

describe('parseCreditorReference', () => {
  it.each([
    ['RF18 5390 0754 7034', 'RF18539007547034'],
    ['rf18539007547034', 'RF18539007547034'],
    [' RF18\t5390 0754 7034 ', 'RF18539007547034'],
  ])('reads %j as %s', (text, reference) => expect(parseCreditorReference(text)).toBe(reference));

  it.each([
    ['a wrong check digit', 'RF19539007547034'],
    ['two digits swapped', 'RF18539007547043'],
    ['no RF', 'XX18539007547034'],
    ['no body', 'RF18'],
    ['too long', `RF18${'1'.repeat(22)}`],
    ['a sign', 'RF18-5390'],
  ])('refuses %s', (_why, text) => expect(parseCreditorReference(text)).toBeNull());
});

describe('formatCreditorReference', () => {
  it('groups by four', () => expect(formatCreditorReference('RF18539007547034')).toBe('RF18 5390 0754 7034'));
});
