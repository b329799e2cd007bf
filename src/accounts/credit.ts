// System credit (SPEC 4): an account may go below zero down to a limit that follows what it
// bought over the trailing 12 calendar months: a provider-set share of it, capped.
import { and, eq, gte, lte, sql } from 'drizzle-orm';
import type { BillingSettings } from '../config.js';
import type { Db } from '../db/client.js';
import { accountMonthlyPurchases, accounts } from '../db/schema.js';
import { Exact, type Minor, minorToMajor, roundToMinor } from '../money/money.js';
import { monthKey } from './purchases.js';

/**
 * share x purchases, capped at capMajor (major units), never negative (refunds may leave a
 * negative net), rounded once to minor units at the end.
 */
export function creditLimitFor(purchases12m: Minor, share: Exact, capMajor: Exact, currency: string): Minor {
  const earned = minorToMajor(purchases12m, currency).times(share);
  const capped = Exact.min(earned, capMajor);
  return roundToMinor(Exact.max(capped, 0), currency);
}

/** The 12 calendar months ending with `at`'s month, as 'YYYY-MM' bounds (inclusive). */
export function trailingMonths(at: Date): { first: string; last: string } {
  const first = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() - 11, 1));
  return { first: monthKey(first), last: monthKey(at) };
}

/** Recomputes and stores the account's credit limit; returns it. Caller holds the account lock. */
export async function refreshCreditLimit(
  tx: Db,
  accountId: number,
  at: Date,
  settings: Pick<BillingSettings, 'creditShare' | 'creditCap'>,
): Promise<Minor> {
  const [account] = await tx.select({ currency: accounts.currency }).from(accounts).where(eq(accounts.id, accountId));
  if (!account) throw new Error(`refreshCreditLimit: no account ${accountId}`);
  const { first, last } = trailingMonths(at);
  const [row] = await tx
    .select({ total: sql<string>`coalesce(sum(${accountMonthlyPurchases.amount}), 0)::text` })
    .from(accountMonthlyPurchases)
    .where(and(eq(accountMonthlyPurchases.accountId, accountId), gte(accountMonthlyPurchases.month, first), lte(accountMonthlyPurchases.month, last)));
  const limit = creditLimitFor(BigInt(row!.total), settings.creditShare, settings.creditCap, account.currency);
  await tx.update(accounts).set({ creditLimit: limit }).where(eq(accounts.id, accountId));
  return limit;
}
