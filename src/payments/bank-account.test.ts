import { describe, expect, it } from 'vitest';
import { checkBankAccount, printedIban } from './bank-account.js';

const beneficiary = 'Example Cloud GmbH';

describe('checkBankAccount', () => {
  it.each([
    ['DE89 3704 0044 0532 0130 00', 'COBADEFFXXX', 'DE89370400440532013000', 'COBADEFFXXX'],
    ['de89370400440532013000', 'cobadeff', 'DE89370400440532013000', 'COBADEFF'],
    ['GB82 WEST 1234 5698 7654 32', 'NWBK GB 2L', 'GB82WEST12345698765432', 'NWBKGB2L'],
    ['FR14 2004 1010 0505 0001 3M02 606', 'PSSTFRPPXXX', 'FR1420041010050500013M02606', 'PSSTFRPPXXX'],
  ])('accepts %s / %s', (iban, bic, electronicIban, electronicBic) => {
    expect(checkBankAccount({ iban, bic, beneficiary: `  ${beneficiary} ` })).toEqual({ ok: true, value: { iban: electronicIban, bic: electronicBic, beneficiary } });
  });

  it.each([
    ['a wrong check digit', 'DE88 3704 0044 0532 0130 00', 'COBADEFFXXX', '/iban'],
    ['one digit short', 'DE89 3704 0044 0532 0130 0', 'COBADEFFXXX', '/iban'],
    ['not an IBAN at all', 'hello', 'COBADEFFXXX', '/iban'],
    ['a BIC of 9 characters', 'DE89370400440532013000', 'COBADEFFX', '/bic'],
    ['a BIC with a bad country', 'DE89370400440532013000', 'COBA12FF', '/bic'],
  ])('refuses %s', (_why, iban, bic, field) => {
    const checked = checkBankAccount({ iban, bic, beneficiary });
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.failure).toMatchObject({ code: 'validation_failed', field });
  });
});

describe('printedIban', () => {
  it('groups by four', () => expect(printedIban('DE89370400440532013000')).toBe('DE89 3704 0044 0532 0130 00'));
});
