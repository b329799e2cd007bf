// Low-balance warnings (SPEC 4): once per crossing of the account's threshold, not every day.
// The threshold is an amount, or N days of the account's current daily spend; when both are
// set the higher one counts, so the account is warned as soon as either says funds are low.
import { and, eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { type Cadence, accounts, subscriptions } from '../db/schema.js';
import { Exact, type Minor, maxMinor, minorToMajor, roundToMinor } from '../money/money.js';
import { writeOutbox } from '../outbox/write.js';
import { type AccountRow, availableFunds, lockAccount } from './lock.js';

export type LowBalanceDecision = 'warn' | 'reset' | 'unchanged';

/** Warn when under the threshold and not warned yet; re-arm once funds reach it again. */
export function lowBalanceDecision(input: { available: Minor; threshold: Minor | null; warned: boolean }): LowBalanceDecision {
  const under = input.threshold !== null && input.available < input.threshold;
  if (under && !input.warned) return 'warn';
  if (!under && input.warned) return 'reset';
  return 'unchanged';
}

const DAYS_PER_YEAR = 365;

/** Exact spend per day in major units: daily periods as they are, monthly ones x 12 / 365. */
export function dailySpend(running: readonly { cadence: Cadence; periodAmount: Minor }[], currency: string): Exact {
  let perDay = new Exact(0);
  for (const subscription of running) {
    const period = minorToMajor(subscription.periodAmount, currency);
    perDay = perDay.plus(subscription.cadence === 'daily' ? period : period.times(12).div(DAYS_PER_YEAR));
  }
  return perDay;
}

/** The account's effective threshold in minor units, or null when it has none. */
export function lowBalanceThreshold(
  settings: { amount: Minor | null; days: number | null },
  spendPerDay: Exact,
  currency: string,
): Minor | null {
  const byDays = settings.days === null ? null : roundToMinor(spendPerDay.times(settings.days), currency);
  if (settings.amount === null) return byDays;
  return byDays === null ? settings.amount : maxMinor(settings.amount, byDays);
}

/**
 * Re-evaluates the account's low-balance state after its balance or settings changed, inside
 * the same transaction: writes a 'balance.low' outbox row when available funds fall under the
 * threshold and the account was not warned yet; clears the flag when they reach it again.
 */
export async function evaluateLowBalance(tx: Db, accountId: number, at: Date): Promise<void> {
  // Callers normally hold the lock already; taking it again in the same transaction is free.
  const account = await lockAccount(tx, accountId);
  if (!account) throw new Error(`evaluateLowBalance: no account ${accountId}`);
  const settings = { amount: account.lowBalanceThreshold, days: account.lowBalanceThresholdDays };
  const running =
    settings.days === null
      ? []
      : await tx
          .select({ cadence: subscriptions.cadence, periodAmount: subscriptions.periodAmount })
          .from(subscriptions)
          .where(and(eq(subscriptions.accountId, accountId), eq(subscriptions.status, 'active')));
  const threshold = lowBalanceThreshold(settings, dailySpend(running, account.currency), account.currency);
  const available = availableFunds(account);
  const decision = lowBalanceDecision({ available, threshold, warned: account.lowBalanceWarned });
  if (decision === 'unchanged') return;
  await tx.update(accounts).set({ lowBalanceWarned: decision === 'warn' }).where(eq(accounts.id, accountId));
  if (decision === 'warn') await writeOutbox(tx, accountId, 'balance.low', lowBalanceWarning(account, threshold), at);
}

/** The 'balance.low' event's payload for an account as it now stands. */
export function lowBalanceWarning(account: Pick<AccountRow, 'id' | 'currency' | 'balance' | 'granted' | 'creditEnabled' | 'creditLimit' | 'reserved' | 'billingEmails'>, threshold: Minor | null): Record<string, unknown> {
  return { account_id: account.id, currency: account.currency, balance: account.balance, available: availableFunds(account), threshold, billing_emails: account.billingEmails };
}
