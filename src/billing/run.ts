// The daily billing run (SPEC section 5). One run per UTC midnight boundary, recorded in
// billing_runs. Accounts are handed out in id (creation) order in batches (ADR 0014): a short
// transaction claims the next range of account ids (billing_run_batches) and moves the run's
// cursor on, and a worker bills a claimed batch in one transaction holding its charges,
// suspensions, outbox rows and the batch's finished mark. Several workers (in one process or
// many) bill batches side by side, one per database connection. A batch whose worker was
// killed is left unfinished and unlocked, so the next worker bills it: a run resumes where
// it stopped, and the billed-period unique index makes a second charge for a period
// impossible whatever happens.
import { and, eq, ne, sql } from 'drizzle-orm';
import { creditLimitFor } from '../accounts/credit.js';
import { monthKey } from '../accounts/purchases.js';
import { repriceSubscriptionsDetailed } from '../catalog/reprice.js';
import type { Kassa } from '../context.js';
import { type Db, query } from '../db/client.js';
import { type Timing, billingRunBatches, billingRuns } from '../db/schema.js';
import { writeOutbox } from '../outbox/write.js';
import { type BatchInput, type BatchOutcome, chargeInAdvanceBatch, chargeInArrearsBatch } from './charge-batch.js';
import { addByCurrency, mixedTotal } from '../money/money.js';
import { mixedScopeAccounts } from './charge-grants.js';
import { budgetsOfBatch, evaluateBudgets } from '../budgets/budgets.js';
import { addDays, boundariesBetween, monthlyAnchorsStartingOn, startOfUtcDay } from '../time/periods.js';
import { billingBatches, billingPeriodsCharged, billingRunSeconds, countCharged } from '../operations/metrics.js';

export type BillingRun = typeof billingRuns.$inferSelect;

/** How often a batch is retried when accounts in it changed under it (concurrent writes). */
const MAX_BATCH_ATTEMPTS = 5;

export interface RunOptions {
  /** Called after each batch commits (progress reporting, fault tests). */
  onBatchCommitted?: (run: BillingRun) => void;
}

/** Runs (or resumes) the billing run of one boundary to completion. */
export async function runBillingAt(kassa: Kassa, boundary: Date, options: RunOptions = {}): Promise<BillingRun> {
  const run = await openRun(kassa.db, boundary, kassa.clock.now());
  if (run.status === 'completed') return run;
  const took = billingRunSeconds.startTimer();
  // New prices apply to periods starting at the boundary: in-advance plans are repriced
  // before they are charged, in-arrears plans after the day that just ended was charged.
  await reprice(kassa, boundary, 'in_advance');
  // PGlite has one database session: its batches go one after the other.
  const workers = kassa.backend === 'pglite' ? 1 : kassa.billing.concurrentBatches;
  const ended = await Promise.allSettled(Array.from({ length: workers }, () => billBatches(kassa, run, options)));
  const failed = ended.find((e) => e.status === 'rejected');
  if (failed) throw failed.reason;
  await reprice(kassa, boundary, 'in_arrears');
  const completed = await completeRun(kassa, run.id);
  took();
  return completed;
}

/**
 * One worker of a run: bills a claimed batch nobody holds, else claims the next one, until
 * every account is handed out; then waits for the batches other workers hold, and bills any
 * of them whose worker died.
 */
async function billBatches(kassa: Kassa, run: BillingRun, options: RunOptions): Promise<void> {
  for (;;) {
    const billed = await billOpenBatch(kassa, run, 'skip_held');
    if (billed) options.onBatchCommitted?.(billed);
    else if (await claimNextBatch(kassa, run)) continue;
    else {
      const left = await billOpenBatch(kassa, run, 'wait_for_held');
      if (!left) return;
      options.onBatchCommitted?.(left);
    }
  }
}

/** Hands out the next batch of accounts after the run's cursor; false when every account has been. */
async function claimNextBatch(kassa: Kassa, run: BillingRun): Promise<boolean> {
  return kassa.db.transaction(async (txn) => {
    const tx = txn as unknown as Db;
    const [locked] = await query<{ cursor: bigint; status: string }>(
      tx,
      sql`select cursor_account_id as cursor, status from billing_runs where id = ${run.id} for update`,
    );
    if (!locked || locked.status === 'completed') return false;
    const after = Number(locked.cursor);
    const [edge] = await query<{ through: bigint | null }>(
      tx,
      sql`select max(id) as through from (select id from accounts where id > ${after} order by id limit ${kassa.billing.batchAccounts}) batch`,
    );
    if (edge?.through === null || edge?.through === undefined) return false;
    await tx.insert(billingRunBatches).values({ runId: run.id, afterAccountId: after, throughAccountId: Number(edge.through) });
    await tx.update(billingRuns).set({ cursorAccountId: Number(edge.through) }).where(eq(billingRuns.id, run.id));
    return true;
  });
}

/** Marks the run completed with its event, once: a second finisher (a rerun racing it) finds it done. */
async function completeRun(kassa: Kassa, runId: number): Promise<BillingRun> {
  return kassa.db.transaction(async (tx) => {
    const at = kassa.clock.now();
    // Not while a batch is unfinished: another process's worker still bills it.
    const [done] = await tx
      .update(billingRuns)
      .set({ status: 'completed', finishedAt: at })
      .where(
        and(
          eq(billingRuns.id, runId),
          ne(billingRuns.status, 'completed'),
          sql`not exists (select 1 from billing_run_batches b where b.run_id = ${runId} and b.finished_at is null)`,
        ),
      )
      .returning();
    if (!done) return (await tx.select().from(billingRuns).where(eq(billingRuns.id, runId)))[0]!;
    await writeOutbox(tx, null, 'billing_run.completed', {
      billing_run_id: done.id,
      boundary: done.boundary.toISOString(),
      started_at: done.startedAt.toISOString(),
      finished_at: at.toISOString(),
      billed: done.billed,
      suspended: done.suspended,
      skipped: done.skipped,
      total_charged: done.totalCharged,
    }, at);
    return done;
  });
}

async function reprice(kassa: Kassa, boundary: Date, timing: Timing) {
  const { accountIds } = await repriceSubscriptionsDetailed(kassa.db, boundary, { timing });
  for (const accountId of accountIds) kassa.entitlements.invalidate(accountId);
}

/**
 * Runs every boundary that is due at `now` and not completed yet, oldest first: interrupted
 * runs resume, and a server that was down over midnights bills the missed ones in order.
 */
export async function runDueBoundaries(kassa: Kassa, now: Date): Promise<BillingRun[]> {
  const runs: BillingRun[] = [];
  for (const boundary of await dueBoundaries(kassa.db, now)) runs.push(await runBillingAt(kassa, boundary));
  return runs;
}

export async function dueBoundaries(db: Db, now: Date): Promise<Date[]> {
  const [state] = await query<{ unfinished: Date | string | null; last: Date | string | null }>(
    db,
    sql`select (select min(boundary) from billing_runs where status <> 'completed') as unfinished,
               (select max(boundary) from billing_runs) as last`,
  );
  const today = startOfUtcDay(now);
  const unfinished = state?.unfinished ? new Date(state.unfinished) : undefined;
  const last = state?.last ? new Date(state.last) : undefined;
  const from = unfinished ?? (last ? addDays(last, 1) : today);
  if (from.getTime() > now.getTime()) return [];
  return [from, ...boundariesBetween(from, now)];
}

async function openRun(db: Db, boundary: Date, at: Date): Promise<BillingRun> {
  await db.insert(billingRuns).values({ boundary, status: 'running', startedAt: at }).onConflictDoNothing({ target: billingRuns.boundary });
  const [run] = await db.select().from(billingRuns).where(eq(billingRuns.boundary, boundary));
  return run!;
}

/**
 * Bills the first claimed, unfinished batch of the run that no other worker holds
 * (`skip_held`), or the first still unfinished once those held are done (`wait_for_held`);
 * undefined when there is none. The batch row stays locked until its effects commit.
 */
async function billOpenBatch(kassa: Kassa, run: BillingRun, held: 'skip_held' | 'wait_for_held'): Promise<BillingRun | undefined> {
  const changed = await kassa.db.transaction(async (txn) => {
    const tx = txn as unknown as Db;
    const [open] = await query<{ after: bigint; through: bigint }>(
      tx,
      sql`select after_account_id as after, through_account_id as through from billing_run_batches
          where run_id = ${run.id} and finished_at is null
          order by after_account_id limit 1
          for update ${held === 'skip_held' ? sql`skip locked` : sql``}`,
    );
    if (!open) return undefined;
    // The batch sorts tens of thousands of rows: keep them in memory rather than on disk. Its
    // estimated cost is large (the recursive walk is estimated high), which would make
    // PostgreSQL JIT-compile the plan on every batch: compiling costs more than it saves here.
    await query(tx, sql`set local work_mem = '64MB'`);
    await query(tx, sql`set local jit = off`);
    const after = Number(open.after);
    const through = Number(open.through);
    const at = kassa.clock.now();
    const budgeted = await budgetsOfBatch(tx, after, through, run.boundary);
    const batch: BatchInput = {
      runId: run.id,
      boundary: run.boundary,
      afterAccountId: after,
      throughAccountId: through,
      monthlyAnchors: monthlyAnchorsStartingOn(run.boundary),
      month: monthKey(run.boundary),
      at,
      budgetStopped: budgeted.stopped,
      planStopped: budgeted.stoppedPlans,
      mixedScope: await mixedScopeAccounts(tx, after, through, at),
    };
    await refreshCreditLimits(tx, kassa, batch);
    const advance = await untilSettled(batch, () => chargeInAdvanceBatch(tx, batch));
    const arrears = await untilSettled(batch, () => chargeInArrearsBatch(tx, batch, addDays(run.boundary, -1)));
    const skipped = await countSkipped(tx, batch);
    await flagLowBalances(tx, batch);
    const charged = addByCurrency(advance.chargedByCurrency, arrears.chargedByCurrency);
    // Budgets of the batch's accounts, against what the run charged them.
    const budgetsChanged = await evaluateBudgets(tx, budgeted.withBudgets, at);
    await tx
      .update(billingRunBatches)
      .set({ finishedAt: at })
      .where(and(eq(billingRunBatches.runId, run.id), eq(billingRunBatches.afterAccountId, after)));
    // Last: batches billed side by side wait for each other only here, just before committing.
    const [updated] = await tx
      .update(billingRuns)
      .set({
        billed: sql`${billingRuns.billed} + ${advance.billed + arrears.billed}`,
        suspended: sql`${billingRuns.suspended} + ${advance.suspended + arrears.suspended}`,
        skipped: sql`${billingRuns.skipped} + ${skipped}`,
        totalCharged: sql`${billingRuns.totalCharged} + ${mixedTotal(charged)}`,
      })
      .where(eq(billingRuns.id, run.id))
      .returning();
    return { run: updated!, periods: advance.billed + arrears.billed, charged, suspendedAccountIds: [...advance.suspendedAccountIds, ...arrears.suspendedAccountIds, ...budgetsChanged] };
  });
  if (!changed) return undefined;
  billingBatches.inc();
  billingPeriodsCharged.inc(changed.periods);
  countCharged('billing_run', changed.charged);
  // Suspensions change what those accounts may do: their answers are read again now, before
  // the next batch holds the database. Every other account's answers stay in memory.
  await kassa.entitlements.refresh(kassa.db, [...new Set(changed.suspendedAccountIds)]);
  return changed.run;
}

/**
 * Charges one timing's due subscriptions of the batch, again for the accounts whose balance
 * changed under the statement (a concurrent top-up or charge), until none is left: their
 * subscriptions are still due, and moving the cursor on would leave their period unbilled.
 */
async function untilSettled(batch: BatchInput, charge: () => Promise<BatchOutcome>): Promise<Omit<BatchOutcome, 'retry'>> {
  const total = { billed: 0, suspended: 0, suspendedAccountIds: [] as number[], chargedByCurrency: new Map<string, bigint>() };
  for (let attempt = 1; ; attempt++) {
    const outcome = await charge();
    total.billed += outcome.billed;
    total.suspended += outcome.suspended;
    total.suspendedAccountIds.push(...outcome.suspendedAccountIds);
    total.chargedByCurrency = addByCurrency(total.chargedByCurrency, outcome.chargedByCurrency);
    if (outcome.retry === 0) return total;
    if (attempt === MAX_BATCH_ATTEMPTS) throw new Error(`accounts kept changing under billing batch ${batch.afterAccountId}..${batch.throughAccountId}`);
  }
}

/** Active subscriptions the run passes over because their account may not be charged (blocked, closed, unverified). */
async function countSkipped(tx: Db, batch: BatchInput): Promise<number> {
  const [row] = await query<{ skipped: bigint }>(
    tx,
    sql`select count(*) as skipped from accounts a join subscriptions s on s.account_id = a.id
        where a.id > ${batch.afterAccountId} and a.id <= ${batch.throughAccountId}
          and a.status not in ('active', 'suspended') and s.status = 'active'`,
  );
  return Number(row!.skipped);
}

/** Recomputes the system credit limit of the batch's credit-enabled accounts (SPEC 4). */
async function refreshCreditLimits(tx: Db, kassa: Kassa, batch: BatchInput): Promise<void> {
  const first = new Date(Date.UTC(batch.boundary.getUTCFullYear(), batch.boundary.getUTCMonth() - 11, 1));
  const rows = await query<{ id: bigint; currency: string; credit_limit: bigint; purchases: bigint }>(
    tx,
    sql`select a.id, a.currency, a.credit_limit, coalesce(sum(p.amount), 0)::bigint as purchases
        from accounts a
        left join account_monthly_purchases p on p.account_id = a.id and p.month >= ${monthKey(first)} and p.month <= ${batch.month}
        where a.id > ${batch.afterAccountId} and a.id <= ${batch.throughAccountId} and a.credit_enabled
        group by a.id`,
  );
  const ids: string[] = [];
  const limits: string[] = [];
  for (const row of rows) {
    const limit = creditLimitFor(row.purchases, kassa.billing.creditShare, kassa.billing.creditCap, row.currency);
    if (limit === row.credit_limit) continue;
    ids.push(String(row.id));
    limits.push(String(limit));
  }
  if (ids.length === 0) return;
  await query(
    tx,
    sql`update accounts a set credit_limit = v.credit_limit
        from unnest(${`{${ids.join(',')}}`}::bigint[], ${`{${limits.join(',')}}`}::bigint[]) as v(id, credit_limit)
        where a.id = v.id`,
  );
}

/**
 * Low-balance warnings for the batch, by the same rule as evaluateLowBalance (the interactive
 * path): the threshold is the higher of the amount and N days of current daily spend
 * (monthly subscriptions count 12/365 of their period a day), warned once per crossing and
 * re-armed when funds reach it again or the threshold is removed. In minor units the days
 * threshold is n / 365 with n = days x (365 x daily + 12 x monthly); 365 is odd, so there is
 * never an exact tie and rounding half to even is floor((2n + 365) / 730).
 */
async function flagLowBalances(tx: Db, batch: BatchInput): Promise<void> {
  await query(
    tx,
    sql`
    with acct as (
      select a.id, a.currency, a.balance, a.billing_emails, a.low_balance_warned,
             a.balance + a.granted + case when a.credit_enabled then a.credit_limit else 0 end - a.reserved as available,
             a.low_balance_threshold as by_amount,
             case when a.low_balance_threshold_days is null then null else
               (2 * a.low_balance_threshold_days::numeric * (
                  select coalesce(sum(case when s.cadence = 'daily' then 365 * s.period_amount else 12 * s.period_amount end), 0)
                  from subscriptions s where s.account_id = a.id and s.status = 'active') + 365) / 730
             end as by_days
      from accounts a
      where a.id > ${batch.afterAccountId} and a.id <= ${batch.throughAccountId}
        and (a.low_balance_threshold is not null or a.low_balance_threshold_days is not null or a.low_balance_warned)
    ),
    judged as (
      select *, greatest(by_amount, floor(by_days)::bigint) as threshold from acct
    ),
    flipped as (
      update accounts a set low_balance_warned = not j.low_balance_warned
      from judged j
      where a.id = j.id and j.low_balance_warned <> coalesce(j.available < j.threshold, false)
      returning j.*
    )
    insert into outbox (account_id, topic, payload, created_at)
    select id, 'balance.low',
           jsonb_build_object('account_id', id, 'currency', currency, 'balance', balance::text, 'available', available::text,
                              'threshold', threshold::text, 'billing_emails', billing_emails),
           ${batch.at}
    from flipped where not low_balance_warned`,
  );
}
