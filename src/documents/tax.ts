// VAT on documents (SPEC 9). Prices are tax-inclusive: what the ledger charged is each line's
// gross, and a document only splits it. One rounding rule: per line, the net is the gross
// divided by (1 + rate), rounded half to even to the minor unit, and the tax is the rest, so
// net + tax is always exactly the gross, and the totals (sums of the lines) exactly the
// ledger's amounts. The categories are EN 16931's (UNCL 5305):
// - S, standard rate: the operator's rate for the buyer's country (PUT /v1/settings/vat-rates);
//   with none for it, the seller's own country's rate;
// - Z, zero rated: a rate of 0 set for the country;
// - AE, reverse charge: a business buyer (with a VAT id) in another EU member state than the
//   seller, which accounts for the VAT itself; nothing is charged on top, the gross is the net;
// - O, not subject to VAT: no rate set for the buyer's country nor the seller's.
import { readProviderSetting } from '../audit/provider-setting.js';
import type { Db } from '../db/client.js';
import { Exact, type Minor } from '../money/money.js';
import { isCountry } from './parties.js';

export const VAT_RATES_SETTING = 'documents.vat_rates';

export const EU_MEMBER_STATES: ReadonlySet<string> = new Set([
  'AT', 'BE', 'BG', 'CY', 'CZ', 'DE', 'DK', 'EE', 'ES', 'FI', 'FR', 'GR', 'HR', 'HU',
  'IE', 'IT', 'LT', 'LU', 'LV', 'MT', 'NL', 'PL', 'PT', 'RO', 'SE', 'SI', 'SK',
]);

export const REVERSE_CHARGE_NOTE = 'Reverse charge: VAT to be accounted for by the recipient (Article 196, Council Directive 2006/112/EC).';
export const NOT_SUBJECT_NOTE = 'Not subject to VAT.';

export type TaxCategory = 'S' | 'Z' | 'AE' | 'O';

export interface TaxTreatment {
  category: TaxCategory;
  /** Percent: '19', '7.7'. */
  rate: string;
  /** The legal note the document carries for this treatment, if any. */
  note: string | null;
}

/** VAT rates in percent by ISO country code, as the operator set them. */
export type VatRates = Record<string, string>;

export async function readVatRates(db: Db): Promise<VatRates> {
  return (await readProviderSetting<VatRates>(db, VAT_RATES_SETTING)) ?? {};
}

/** The first country or rate that is not one, with the field at fault. */
export function vatRatesProblem(rates: VatRates): { field: string; detail: string } | undefined {
  for (const [country, rate] of Object.entries(rates)) {
    if (!isCountry(country)) return { field: `/rates/${country}`, detail: `${country} is not an ISO 3166-1 alpha-2 country code` };
    if (!/^\d{1,2}(\.\d{1,2})?$/.test(rate)) return { field: `/rates/${country}`, detail: `${rate} is not a rate in percent from 0 to 99.99 (at most two decimals)` };
  }
  return undefined;
}

/** How a document from `seller` to `buyer` is taxed. */
export function taxTreatment(seller: { country: string }, buyer: { country: string; vat_id: string | null }, rates: VatRates): TaxTreatment {
  if (buyer.vat_id !== null && buyer.country !== seller.country && EU_MEMBER_STATES.has(buyer.country) && EU_MEMBER_STATES.has(seller.country)) {
    return { category: 'AE', rate: '0', note: REVERSE_CHARGE_NOTE };
  }
  const rate = rates[buyer.country] ?? rates[seller.country];
  if (rate === undefined) return { category: 'O', rate: '0', note: NOT_SUBJECT_NOTE };
  return new Exact(rate).isZero() ? { category: 'Z', rate: '0', note: null } : { category: 'S', rate: new Exact(rate).toString(), note: null };
}

export interface TaxedAmount {
  net: Minor;
  tax: Minor;
  gross: Minor;
}

/** A tax-inclusive amount split by its rate: net rounded half to even, tax the rest. */
export function splitGross(gross: Minor, treatment: TaxTreatment): TaxedAmount {
  if (treatment.category !== 'S') return { net: gross, tax: 0n, gross };
  const net = BigInt(new Exact(gross.toString()).times(100).dividedBy(new Exact(treatment.rate).plus(100)).toDecimalPlaces(0, Exact.ROUND_HALF_EVEN).toFixed(0));
  return { net, tax: gross - net, gross };
}

export interface TaxedDocument {
  lines: TaxedAmount[];
  /** One row per category and rate (a document has one treatment, so one row). */
  summary: (TaxedAmount & { category: TaxCategory; rate: string })[];
  totals: TaxedAmount;
}

/** Each line split, and the totals as the sums of the lines: the gross total is what the ledger charged. */
export function taxDocument(grossLines: readonly Minor[], treatment: TaxTreatment): TaxedDocument {
  const lines = grossLines.map((gross) => splitGross(gross, treatment));
  const totals = lines.reduce((t, l) => ({ net: t.net + l.net, tax: t.tax + l.tax, gross: t.gross + l.gross }), { net: 0n, tax: 0n, gross: 0n });
  return { lines, summary: [{ category: treatment.category, rate: treatment.rate, ...totals }], totals };
}
