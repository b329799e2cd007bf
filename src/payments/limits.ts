// The smallest and largest top-up per currency (SPEC 8), set by an operator: a top-up outside
// them is refused before anything is asked of a payment provider. A currency without limits
// takes any amount Kassa can hold (a card payment at most what Stripe takes).
import { readProviderSetting } from '../audit/provider-setting.js';
import { creditRefusal } from '../accounts/credit-account.js';
import type { AccountRow } from '../accounts/lock.js';
import type { Db } from '../db/client.js';
import { type Minor, formatMinor, isCurrency } from '../money/money.js';
import { type Failure, type Result, fail, ok } from '../shared/result.js';

export const TOP_UP_LIMITS_SETTING = 'top_up_limits';

/** Per currency, in minor units as strings (the setting's JSON). */
export type TopUpLimits = Record<string, { min?: string; max?: string }>;

export async function readTopUpLimits(db: Db): Promise<TopUpLimits> {
  return (await readProviderSetting<TopUpLimits>(db, TOP_UP_LIMITS_SETTING)) ?? {};
}

/** Why `amount` may not be topped up in `currency`; undefined when it may. Pure. */
export function topUpLimitRefusal(limits: TopUpLimits, currency: string, amount: Minor): Failure | undefined {
  const limit = limits[currency];
  if (!limit) return undefined;
  const min = limit.min === undefined ? undefined : BigInt(limit.min);
  const max = limit.max === undefined ? undefined : BigInt(limit.max);
  const shown = (value: bigint) => `${formatMinor(value, currency)} ${currency}`;
  const extra = { min: limit.min ?? null, max: limit.max ?? null };
  if (min !== undefined && amount < min) return { code: 'amount_out_of_range', detail: `a top-up is at least ${shown(min)}`, field: '/amount', extra };
  if (max !== undefined && amount > max) return { code: 'amount_out_of_range', detail: `a top-up is at most ${shown(max)}`, field: '/amount', extra };
  return undefined;
}

/** `amount` brought within the currency's limits (an automatic top-up's computed charge). Pure. */
export function withinLimits(limits: TopUpLimits, currency: string, amount: Minor): Minor {
  const limit = limits[currency];
  if (limit?.max !== undefined && amount > BigInt(limit.max)) return BigInt(limit.max);
  if (limit?.min !== undefined && amount > 0n && amount < BigInt(limit.min)) return BigInt(limit.min);
  return amount;
}

/** Checks limits an operator sends: known currencies, whole positive amounts, min not above max. Pure. */
export function checkTopUpLimits(input: Record<string, { min?: string; max?: string }>): Result<TopUpLimits> {
  const checked: TopUpLimits = {};
  for (const [currency, limit] of Object.entries(input)) {
    const field = `/${currency}`;
    if (!isCurrency(currency)) return fail('unknown_currency', `${currency} is not an ISO 4217 currency`, { field });
    for (const bound of ['min', 'max'] as const) {
      const value = limit[bound];
      if (value !== undefined && !/^[1-9][0-9]{0,17}$/.test(value)) return fail('amount_out_of_range', `${bound} must be a positive whole number of minor units`, { field: `${field}/${bound}` });
    }
    if (limit.min !== undefined && limit.max !== undefined && BigInt(limit.min) > BigInt(limit.max)) return fail('validation_failed', `min is above max for ${currency}`, { field: `${field}/min` });
    checked[currency] = { ...(limit.min === undefined ? {} : { min: limit.min }), ...(limit.max === undefined ? {} : { max: limit.max }) };
  }
  return ok(checked);
}

/** Why this account may not ask for this top-up (closed, over what Kassa holds, outside the limits). */
export async function topUpRefusal(tx: Db, account: AccountRow, amount: Minor): Promise<Failure | undefined> {
  return creditRefusal(account, amount) ?? topUpLimitRefusal(await readTopUpLimits(tx), account.currency, amount);
}
