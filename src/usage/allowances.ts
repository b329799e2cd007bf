// Free allowances (SPEC 7), as the customer sees them: per meter the account's plan prices, the
// units its plan includes every calendar month and the units granted once per account (a new
// account's 2,500 free e-mails), each with what was used and what is left, as last rated.
import { sql } from 'drizzle-orm';
import type { MeterPrice } from '../catalog/plan-definition.js';
import { type Db, query } from '../db/client.js';
import { Exact } from '../money/money.js';
import { meterPricesOf } from './meter-prices.js';

export interface Allowance {
  meter: string;
  /** `monthly`: the plan's `included` units, again every calendar month; `once`: its `free_once` units, once per account. */
  kind: 'monthly' | 'once';
  granted: string;
  used: string;
  remaining: string;
  /** For `monthly`: when the month's units start again (the next UTC month). */
  renews_at?: string;
}

export interface AllowanceUsage {
  /** This month's included units used, by meter. */
  includedUsed: ReadonlyMap<string, Exact>;
  /** The once-free units used so far, by meter. */
  freeOnceUsed: ReadonlyMap<string, Exact>;
}

const nextMonth = (at: Date) => new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1));

/** Pure: the allowances of these meter prices, given what was used of them, at `at`. */
export function allowancesOf(prices: readonly MeterPrice[], usage: AllowanceUsage, at: Date): Allowance[] {
  const ZERO = new Exact(0);
  const allowance = (meter: string, kind: Allowance['kind'], granted: number, used: Exact): Allowance => ({
    meter,
    kind,
    granted: String(granted),
    used: Exact.min(used, granted).toString(),
    remaining: Exact.max(ZERO, new Exact(granted).minus(used)).toString(),
  });
  const out: Allowance[] = [];
  for (const price of [...prices].sort((a, b) => (a.meter < b.meter ? -1 : 1))) {
    if (price.included > 0) out.push({ ...allowance(price.meter, 'monthly', price.included, usage.includedUsed.get(price.meter) ?? ZERO), renews_at: nextMonth(at).toISOString() });
    if (price.free_once > 0) out.push(allowance(price.meter, 'once', price.free_once, usage.freeOnceUsed.get(price.meter) ?? ZERO));
  }
  return out;
}

export async function readAllowances(db: Db, accountId: number, at: Date): Promise<Allowance[]> {
  const month = at.toISOString().slice(0, 7);
  const [prices, included, once] = await Promise.all([
    meterPricesOf(db, [accountId]),
    query<{ meter: string; used: string }>(db, sql`select meter, included_used::text as used from usage_month_totals where account_id = ${accountId} and month = ${month}`),
    query<{ meter: string; used: string }>(db, sql`select meter, used::text as used from usage_free_once where account_id = ${accountId}`),
  ]);
  const used = (rows: { meter: string; used: string }[]) => new Map(rows.map((r) => [r.meter, new Exact(r.used)]));
  return allowancesOf([...(prices.get(accountId)?.values() ?? [])], { includedUsed: used(included), freeOnceUsed: used(once) }, at);
}
