// The provider's bank account that customers transfer to (SPEC 8): set by an operator, shown
// with every bank-transfer top-up. The IBAN is checked with its ISO 13616 check digits and the
// BIC's form by ibantools; both are kept in electronic form (no spaces, capitals).
import { electronicFormatIBAN, friendlyFormatIBAN, isValidBIC, isValidIBAN } from 'ibantools';
import type { Failure } from '../shared/result.js';

export const BANK_ACCOUNT_SETTING = 'bank_account';

export interface BankAccount {
  iban: string;
  bic: string;
  beneficiary: string;
}

/** The account in electronic form, or why it is not one. Pure. */
export function checkBankAccount(input: BankAccount): { ok: true; value: BankAccount } | { ok: false; failure: Failure } {
  const iban = electronicFormatIBAN(input.iban) ?? '';
  if (!isValidIBAN(iban)) return { ok: false, failure: { code: 'validation_failed', detail: `${input.iban} is not a valid IBAN (its check digits or length do not match)`, field: '/iban' } };
  const bic = input.bic.replace(/\s+/g, '').toUpperCase();
  if (!isValidBIC(bic)) return { ok: false, failure: { code: 'validation_failed', detail: `${input.bic} is not a valid BIC (8 or 11 letters and digits)`, field: '/bic' } };
  const beneficiary = input.beneficiary.trim();
  return { ok: true, value: { iban, bic, beneficiary } };
}

/** "DE89 3704 0044 0532 0130 00", as people read it. */
export function printedIban(iban: string): string {
  return friendlyFormatIBAN(iban) ?? iban;
}
