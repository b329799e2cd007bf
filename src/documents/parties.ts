// The parties on a document (SPEC 9): the provider issuing it and the customer it is issued to,
// each a legal name and a postal address in a country (ISO 3166-1 alpha-2, checked against
// i18n-iso-countries), with an optional VAT id. Where jsvat knows the country's VAT numbers
// (the EU's, and a few more) the id must pass its format and check digits for that country;
// elsewhere it is 2 to 20 letters and digits.
// The library without its entry point, which loads all 80 of its languages; sheet.ts registers ours.
import isoCountries from 'i18n-iso-countries/index.js';
import { checkVAT, countries as vatCountries } from 'jsvat';

export const DOCUMENT_LANGUAGES = ['en', 'uk'] as const;
export type DocumentLanguage = (typeof DOCUMENT_LANGUAGES)[number];

export interface PostalParty {
  legal_name: string;
  address_line1: string;
  address_line2: string | null;
  postal_code: string | null;
  city: string;
  region: string | null;
  country: string;
  vat_id: string | null;
}

export const isCountry = (code: string): boolean => /^[A-Z]{2}$/.test(code) && isoCountries.isValid(code);

/** As written on documents: upper case, without spaces, dots or dashes (`de 136.695.976` is DE136695976). */
export const normalizeVatId = (raw: string): string => raw.toUpperCase().replace(/[\s.-]/g, '');

/** Why `vatId` (normalized) is not a VAT id of `country`; undefined when it is. */
export function vatIdProblem(vatId: string, country: string): string | undefined {
  const known = vatCountries.find((c) => c.codes[0] === country);
  if (known) return checkVAT(vatId, [known]).isValid ? undefined : `${vatId} is not a valid VAT id of ${known.name} (${country})`;
  return /^[A-Z0-9]{2,20}$/.test(vatId) ? undefined : `${vatId} is not a VAT id: 2 to 20 letters and digits`;
}

/** The first thing wrong with a party's country or VAT id, with the field at fault. */
export function partyProblem(party: PostalParty): { field: string; detail: string } | undefined {
  if (!isCountry(party.country)) return { field: '/country', detail: `${party.country} is not an ISO 3166-1 alpha-2 country code` };
  if (party.vat_id !== null) {
    const problem = vatIdProblem(party.vat_id, party.country);
    if (problem) return { field: '/vat_id', detail: problem };
  }
  return undefined;
}
