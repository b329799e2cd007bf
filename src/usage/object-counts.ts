// Object counts the provider's product reports (SPEC 7): gauges, replaced by each report, and
// checked against the quotas of the account's active plans. A count that goes over its limit
// writes 'object_count.over_limit' once per crossing (seed 004: contact over-limit).
import { sql } from 'drizzle-orm';
import { lockAccount } from '../accounts/lock.js';
import type { Db } from '../db/client.js';
import { objectCounts } from '../db/schema.js';
import { writeOutbox } from '../outbox/write.js';
import { type Result, fail, ok } from '../shared/result.js';
import { activeLimitSources, countsOf } from '../subscriptions/state.js';
import { type Counts, type OverLimitCrossing, overLimitCrossings, summedLimits } from '../subscriptions/quotas.js';

export interface CountsReport {
  counts: Counts;
  /** Metrics this report took over their limit. */
  crossed: OverLimitCrossing[];
}

export async function reportObjectCounts(tx: Db, accountId: number, counts: Counts, at: Date): Promise<Result<CountsReport>> {
  // The account lock orders concurrent reports, so each crossing is seen by exactly one.
  const account = await lockAccount(tx, accountId);
  if (!account) return fail('not_found', `no account ${accountId}`);
  const previous = await countsOf(tx, accountId);
  const rows = Object.entries(counts).map(([metric, count]) => ({ accountId, metric, count, updatedAt: at }));
  if (rows.length > 0) {
    await tx
      .insert(objectCounts)
      .values(rows)
      .onConflictDoUpdate({ target: [objectCounts.accountId, objectCounts.metric], set: { count: sql`excluded.count`, updatedAt: sql`excluded.updated_at` } });
  }
  const crossed = overLimitCrossings(summedLimits(await activeLimitSources(tx, accountId)), previous, counts);
  for (const c of crossed) {
    await writeOutbox(tx, accountId, 'object_count.over_limit', { account_id: accountId, metric: c.metric, limit: c.limit, count: c.count, billing_emails: account.billingEmails }, at);
  }
  return ok({ counts: { ...previous, ...counts }, crossed });
}

export async function readObjectCounts(db: Db, accountId: number): Promise<Counts> {
  return countsOf(db, accountId);
}

