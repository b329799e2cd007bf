// Money: integer minor units (bigint) beside an ISO 4217 currency. Exact decimals (decimal.js)
// only for rates and unit prices; one rounding step, half to even, named roundToMinor.
import currencyCodes from 'currency-codes';
import { Decimal } from 'decimal.js';

export type Minor = bigint;

export interface Money {
  amount: Minor;
  currency: string;
}

/** An exact decimal context: no precision loss for any price or fraction Kassa computes. */
export const Exact = Decimal.clone({ precision: 60, rounding: Decimal.ROUND_HALF_EVEN });
export type Exact = Decimal;

/** ISO 4217 minor-unit exponent, or undefined when the code is not a currency. */
export function currencyExponent(currency: string): number | undefined {
  if (!/^[A-Z]{3}$/.test(currency)) return undefined;
  const entry = currencyCodes.code(currency);
  if (!entry || typeof entry.digits !== 'number') return undefined;
  return entry.digits;
}

export function isCurrency(currency: string): boolean {
  return currencyExponent(currency) !== undefined;
}

function exponentOf(currency: string): number {
  const exponent = currencyExponent(currency);
  if (exponent === undefined) throw new Error(`not an ISO 4217 currency: ${currency}`);
  return exponent;
}

/**
 * The one rounding step: an exact amount in major units (e.g. 1.235 EUR) to minor units,
 * half to even (1.235 EUR -> 124 cents, 1.225 EUR -> 122 cents).
 */
export function roundToMinor(major: Exact, currency: string): Minor {
  const minor = new Exact(major).times(new Exact(10).pow(exponentOf(currency)));
  return BigInt(minor.toDecimalPlaces(0, Decimal.ROUND_HALF_EVEN).toFixed(0));
}

/** Minor units to an exact major-unit decimal (124 cents -> 1.24). */
export function minorToMajor(amount: Minor, currency: string): Exact {
  return new Exact(amount.toString()).div(new Exact(10).pow(exponentOf(currency)));
}

/** Formats minor units as a decimal string in major units: 124n EUR -> "1.24", 5n JPY -> "5". */
export function formatMinor(amount: Minor, currency: string): string {
  return minorToMajor(amount, currency).toFixed(exponentOf(currency));
}

/** Parses an exact decimal string ("0.0012"); undefined when it is not one. */
export function parseDecimal(text: string): Exact | undefined {
  if (!/^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/.test(text)) return undefined;
  return new Exact(text);
}



export function maxMinor(a: Minor, b: Minor): Minor {
  return a > b ? a : b;
}

/** The sum of amounts of mixed currencies: for monitoring figures only, never for money moved. */
export function mixedTotal(byCurrency: ReadonlyMap<string, Minor>): Minor {
  let total = 0n;
  for (const amount of byCurrency.values()) total += amount;
  return total;
}

/** Amounts per currency added up into a new map. */
export function addByCurrency(...amounts: ReadonlyMap<string, Minor>[]): Map<string, Minor> {
  const sum = new Map<string, Minor>();
  for (const byCurrency of amounts) for (const [currency, amount] of byCurrency) sum.set(currency, (sum.get(currency) ?? 0n) + amount);
  return sum;
}

/** Largest amount a bigint column holds; amounts beyond it are refused as overflow. */
export const MAX_MINOR = 2n ** 62n;
