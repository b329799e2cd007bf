import { describe, expect, it } from 'vitest';
import { type PostalParty, isCountry, normalizeVatId, partyProblem, vatIdProblem } from './parties.js';

describe('parties on documents', () => {
  it.each([
    ['UA', true],
    ['DE', true],
    ['XX', false],
    ['de', false], // codes are written in upper case
    ['DEU', false],
  ])('country %s: %s', (code, known) => expect(isCountry(code)).toBe(known));

  it.each([
    ['de 136.695.976', 'DE136695976'],
    ['ATU-13585627', 'ATU13585627'],
  ])('a VAT id written %s is kept as %s', (raw, kept) => expect(normalizeVatId(raw)).toBe(kept));

  it.each([
    ['DE136695976', 'DE', undefined],
    ['FR40303265045', 'FR', undefined],
    ['ATU13585627', 'AT', undefined],
    ['DE136695975', 'DE', 'DE136695975 is not a valid VAT id of Germany (DE)'], // check digit
    ['DE123', 'DE', 'DE123 is not a valid VAT id of Germany (DE)'],
    ['FR40303265045', 'DE', 'FR40303265045 is not a valid VAT id of Germany (DE)'], // another country's
    ['123456789012', 'UA', undefined], // a country jsvat does not know: letters and digits
    ['UA-12/34', 'UA', 'UA-12/34 is not a VAT id: 2 to 20 letters and digits'],
  ])('VAT id %s in %s: %s', (vatId, country, problem) => expect(vatIdProblem(vatId, country)).toBe(problem));

  const party: PostalParty = { legal_name: 'Acme GmbH', address_line1: 'Hauptstr. 1', address_line2: null, postal_code: '10115', city: 'Berlin', region: null, country: 'DE', vat_id: 'DE136695976' };
  it('names the field at fault', () => {
    expect(partyProblem(party)).toBeUndefined();
    expect(partyProblem({ ...party, country: 'XX' })).toEqual({ field: '/country', detail: 'XX is not an ISO 3166-1 alpha-2 country code' });
    expect(partyProblem({ ...party, vat_id: 'DE1' })?.field).toBe('/vat_id');
    expect(partyProblem({ ...party, vat_id: null })).toBeUndefined();
  });
});
