// Reading subscriptions: one with its current period and whether it is paid, or an
// account's, a page at a time in creation order (paid-ness of a page in one query).
import { and, asc, eq, gt, gte, inArray } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { accounts, ledgerPostings, subscriptions } from '../db/schema.js';
import { page } from '../shared/pagination.js';
import { periodIsPaid } from './decisions.js';
import { type SubscriptionRow, currentPeriod, periodPaid } from './state.js';
import { type SubscriptionView, subscriptionView } from './views.js';

export async function readSubscription(db: Db, row: SubscriptionRow, at: Date): Promise<SubscriptionView> {
  const [account] = await db.select({ currency: accounts.currency }).from(accounts).where(eq(accounts.id, row.accountId));
  const period = currentPeriod(row, at);
  return subscriptionView(row, account!.currency, period, await periodPaid(db, row, period.start));
}

export async function listSubscriptions(db: Db, account: { id: number; currency: string }, limit: number, cursor: number, at: Date) {
  const rows = await db
    .select()
    .from(subscriptions)
    .where(and(eq(subscriptions.accountId, account.id), gt(subscriptions.id, cursor)))
    .orderBy(asc(subscriptions.id))
    .limit(limit + 1);
  const { data, next_cursor } = page(rows, limit);
  const periods = new Map(data.map((row) => [row.id, currentPeriod(row, at)]));
  const earliest = Math.min(...[...periods.values()].map((p) => p.start.getTime()));
  const paidStarts =
    data.length === 0
      ? []
      : await db
          .select({ subscriptionId: ledgerPostings.subscriptionId, start: ledgerPostings.billedPeriodStart })
          .from(ledgerPostings)
          .where(and(eq(ledgerPostings.accountId, account.id), inArray(ledgerPostings.subscriptionId, [...periods.keys()]), gte(ledgerPostings.billedPeriodStart, new Date(earliest))));
  const startsOf = (id: number) => paidStarts.filter((p) => p.subscriptionId === id && p.start !== null).map((p) => p.start!);
  return {
    data: data.map((row) => subscriptionView(row, account.currency, periods.get(row.id)!, periodIsPaid(startsOf(row.id), periods.get(row.id)!))),
    next_cursor,
  };
}
