// Moves running subscriptions onto the plan version effective at `at`, so a price change
// reaches them from their next period on. The billing run calls this before every
// boundary, over possibly millions of subscriptions, so the usual case (no version became
// effective) costs one small query over the catalog plus an index probe per superseded
// version, and real work goes in batches: one SELECT and one UPDATE per batch.
import { sql } from 'drizzle-orm';
import { type Db, query } from '../db/client.js';
import type { Timing } from '../db/schema.js';
import type { PlanDefinition } from './plan-definition.js';
import { periodCharge, periodPrice } from './pricing.js';

export const REPRICE_BATCH_SIZE = 5_000;

interface Supersession {
  fromId: number;
  toId: number;
  currency: string;
  definition: PlanDefinition;
}

export interface RepriceOutcome {
  changed: number;
  /** Accounts whose subscriptions changed: their entitlements (quotas, features) may differ. */
  accountIds: number[];
}

/** How many subscriptions moved to a newer version. */
export async function repriceSubscriptions(db: Db, at: Date): Promise<number> {
  return (await repriceSubscriptionsDetailed(db, at)).changed;
}

export interface RepriceOptions {
  batchSize?: number;
  /** Only plans with this timing (the billing run reprices in-arrears plans after charging the day that ended). */
  timing?: Timing;
}

export async function repriceSubscriptionsDetailed(db: Db, at: Date, options: RepriceOptions = {}): Promise<RepriceOutcome> {
  const batchSize = options.batchSize ?? REPRICE_BATCH_SIZE;
  const supersessions = await supersededVersionsInUse(db, at, options.timing);
  const outcome: RepriceOutcome = { changed: 0, accountIds: [] };
  if (supersessions.size === 0) return outcome;
  const accounts = new Set<number>();
  // Per superseded version, in id order: each batch is an index range scan on
  // subscriptions_plan_version_idx (plan_version_id, id), never a sort of the remainder.
  for (const supersession of supersessions.values()) {
    for (let cursor = 0; ; ) {
      const batch = await subscriptionsOn(db, supersession.fromId, cursor, batchSize);
      if (batch.length === 0) break;
      cursor = batch[batch.length - 1]!.id;
      const updated = await writeNewPrices(db, batch, supersession);
      outcome.changed += updated.length;
      for (const row of updated) accounts.add(Number(row.account_id));
      if (batch.length < batchSize) break;
    }
  }
  outcome.accountIds = [...accounts].sort((a, b) => a - b);
  return outcome;
}

/**
 * Versions that a newer version of the same plan and currency has replaced by `at`, mapped
 * to that replacement, limited to versions some running subscription still uses.
 */
async function supersededVersionsInUse(db: Db, at: Date, timing: Timing | undefined): Promise<Map<number, Supersession>> {
  const rows = await query<{ from_id: bigint; to_id: bigint; currency: string; definition: PlanDefinition }>(
    db,
    sql`select cv.id as from_id, nv.id as to_id, nv.currency, nv.definition
        from plan_versions cv
        cross join lateral (
          select w.id, w.version, w.currency, w.definition from plan_versions w
          where w.plan_id = cv.plan_id and w.currency = cv.currency and w.effective_from <= ${at.toISOString()}::timestamptz
          order by w.effective_from desc, w.version desc
          limit 1
        ) nv
        where nv.version > cv.version
          and (${timing ?? null}::text is null or exists (select 1 from plans p where p.id = cv.plan_id and p.timing = ${timing ?? null}::text))
          and exists (select 1 from subscriptions s where s.plan_version_id = cv.id and s.status <> 'cancelled')`,
  );
  return new Map(
    rows.map((r) => [Number(r.from_id), { fromId: Number(r.from_id), toId: Number(r.to_id), currency: r.currency, definition: parseJson(r.definition) }]),
  );
}

interface OutdatedSubscription {
  id: number;
  quantities: Record<string, number>;
}

async function subscriptionsOn(db: Db, versionId: number, afterId: number, limit: number): Promise<OutdatedSubscription[]> {
  const rows = await query<{ id: bigint; quantities: Record<string, number> | string }>(
    db,
    sql`select id, quantities from subscriptions
        where plan_version_id = ${versionId} and status <> 'cancelled' and id > ${afterId}
        order by plan_version_id, id
        limit ${limit}`,
  );
  return rows.map((r) => ({ id: Number(r.id), quantities: parseJson(r.quantities) }));
}

/**
 * One UPDATE for the batch. A row is only written if its version and quantities are still
 * the ones priced here: a subscription changed concurrently keeps its own newer answer and
 * is picked up by the next call.
 */
async function writeNewPrices(db: Db, batch: OutdatedSubscription[], next: Supersession) {
  const changes = batch.map((s) => {
    const charge = periodCharge(periodPrice(next.definition, s.quantities), next.currency);
    return { id: s.id, amount: charge.amount.toString(), discount: charge.discount.toString(), quantities: s.quantities };
  });
  return query<{ id: bigint; account_id: bigint }>(
    db,
    sql`update subscriptions s
        set plan_version_id = ${next.toId}, period_amount = u.amount, period_discount = u.discount
        from jsonb_to_recordset(${JSON.stringify(changes)}::jsonb) as u(id int8, amount int8, discount int8, quantities jsonb)
        where s.id = u.id and s.plan_version_id = ${next.fromId} and s.quantities = u.quantities and s.status <> 'cancelled'
        returning s.id, s.account_id`,
  );
}

/** jsonb arrives parsed from node-postgres and PGlite alike, but tolerate text. */
function parseJson<T>(value: T | string): T {
  return typeof value === 'string' ? (JSON.parse(value) as T) : value;
}
