import { describe, expect, it } from 'vitest';
import { findCreditorReference } from './import-statement.js';

describe('findCreditorReference', () => {
  it.each([
    ['RF18539007547034', 'RF18539007547034'],
    ['Invoice RF18 5390 0754 7034, thanks', 'RF18539007547034'],
    ['rf18539007547034thanks', 'RF18539007547034'],
    ['first RF19539007547034 (a typo), then RF18 5390 0754 7034', 'RF18539007547034'],
  ])('finds it in %j', (text, reference) => expect(findCreditorReference(text)).toBe(reference));

  it.each(['', 'invoice 2026-11', 'RF19539007547034', 'REF 18539007547034'])('finds none in %j', (text) => expect(findCreditorReference(text)).toBeNull());
});
