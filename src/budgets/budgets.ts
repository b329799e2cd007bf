// Budgets (SPEC 4): spend limits the customer sets per UTC day or calendar month, for every
// charge of the account or one metered service. What a budget has spent is the billing
// history's daily rollup for its period (src/ledger/daily.ts: written with every charge, so it
// adds up to the ledger's charges, refunds counting back), read in the transaction of the
// charge. After every charge its account's budgets are evaluated there (./crossings.ts):
// - each share crossed is told once (`budget.threshold_crossed`, mailed);
// - a stop budget reached is told (`budget.reached`, mailed) and turns its service off: the
//   meter's entitlement (or, for an account-wide budget, every entitlement) answers
//   `budget_reached`, reservations are refused, and an account-wide one suspends the account's
//   subscriptions at their next charge. Usage already sent is still charged: it happened.
// A new period starts every budget afresh (the `budget periods` job turns a stopped service
// back on). Changing a budget never changes a charge: it is evaluated again, that is all.
import { sql } from 'drizzle-orm';
import type { Kassa } from '../context.js';
import { type Db, query, toDate } from '../db/client.js';
import type { BudgetAction, BudgetPeriod } from '../db/schema.js';
import type { Minor } from '../money/money.js';
import { type OutboxEvent, writeOutboxEvents } from '../outbox/write.js';
import { crossings, periodKeyOf, periodStartOf } from './crossings.js';

export interface Budget {
  id: number;
  accountId: number;
  service: string | null;
  period: BudgetPeriod;
  amount: Minor;
  action: BudgetAction;
  notifyAt: number[];
  periodKey: string | null;
  notified: number[];
  reachedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A budget with what its current period (at the time asked) has spent so far. */
export interface BudgetStanding extends Budget {
  periodStart: string;
  spent: Minor;
  /** Its recorded state (`notified`, `reachedAt`) is of the current period; else nothing is told or reached yet. */
  current: boolean;
}

type BudgetRow = {
  id: number | string;
  account_id: number | string;
  service: string | null;
  period: BudgetPeriod;
  amount: string;
  action: BudgetAction;
  notify_at: number[];
  period_key: string | null;
  notified: number[];
  reached_at: Date | string | null;
  created_at: Date | string;
  updated_at: Date | string;
  currency: string;
  spent: string;
};

/**
 * The budgets of these accounts (or only `budgetIds`) with each one's spend in its period at
 * `at`, in one statement; `lock` takes their rows for update (the accounts are locked first).
 */
export async function budgetStandings(db: Db, accountIds: readonly number[], at: Date, { lock = false, budgetIds }: { lock?: boolean; budgetIds?: readonly number[] } = {}): Promise<(BudgetStanding & { currency: string })[]> {
  if (accountIds.length === 0) return [];
  const today = at.toISOString().slice(0, 10);
  const month = `${at.toISOString().slice(0, 7)}-01`;
  const rows = await query<BudgetRow>(
    db,
    sql`with mine as (
          select * from budgets
          where account_id = any(${`{${accountIds.join(',')}}`}::bigint[])
            ${budgetIds ? sql`and id = any(${`{${budgetIds.join(',')}}`}::bigint[])` : sql``}
          ${lock ? sql`for update` : sql``}
        )
        select b.id, b.account_id, b.service, b.period, b.amount::text as amount, b.action, b.notify_at, b.period_key, b.notified, b.reached_at, b.created_at, b.updated_at, a.currency,
               coalesce((select sum(d.amount) from billing_daily d
                          where d.account_id = b.account_id
                            and d.day between (case when b.period = 'day' then ${today}::date else ${month}::date end) and ${today}::date
                            and (b.service is null or d.channel = b.service)), 0)::text as spent
        from mine b join accounts a on a.id = b.account_id
        order by b.account_id, b.id`,
  );
  return rows.map((r) => ({
    id: Number(r.id),
    accountId: Number(r.account_id),
    service: r.service,
    period: r.period,
    amount: BigInt(r.amount),
    action: r.action,
    notifyAt: r.notify_at.map(Number),
    periodKey: r.period_key,
    notified: r.notified.map(Number),
    reachedAt: r.reached_at === null ? null : toDate(r.reached_at),
    createdAt: toDate(r.created_at),
    updatedAt: toDate(r.updated_at),
    currency: r.currency,
    periodStart: periodStartOf(r.period, at),
    spent: BigInt(r.spent),
    current: r.period_key === periodKeyOf(r.period, at),
  }));
}

/**
 * Evaluates these accounts' budgets after a charge (or a change to a budget), in the caller's
 * transaction: tells each share crossed and each stop budget reached once, and records the
 * state. Answers the accounts whose stopped services changed, for the entitlement cache.
 */
export async function evaluateBudgets(tx: Db, accountIds: readonly number[], at: Date, budgetIds?: readonly number[]): Promise<number[]> {
  const standings = await budgetStandings(tx, accountIds, at, { lock: true, budgetIds });
  if (standings.length === 0) return [];
  const events: OutboxEvent[] = [];
  const changed = new Set<number>();
  const updates: { id: number; key: string; notified: string; reached: boolean }[] = [];
  for (const b of standings) {
    const key = periodKeyOf(b.period, at);
    const c = crossings({ ...b, reached: b.reachedAt !== null }, b.spent, key);
    const payload = { budget_id: b.id, service: b.service, period: b.period, period_start: b.periodStart, limit: b.amount, spent: b.spent, currency: b.currency, action: b.action };
    for (const share of c.crossed) events.push({ accountId: b.accountId, topic: 'budget.threshold_crossed', payload: { ...payload, share } });
    if (c.nowReached) events.push({ accountId: b.accountId, topic: 'budget.reached', payload });
    if (c.nowReached || c.nowReleased) changed.add(b.accountId);
    const same = b.periodKey === key && b.notified.join() === c.notified.join() && (b.reachedAt !== null) === c.reached;
    if (!same) updates.push({ id: b.id, key, notified: `{${c.notified.join(',')}}`, reached: c.reached });
  }
  if (updates.length > 0) {
    await query(
      tx,
      sql`update budgets b set period_key = u.key, notified = u.notified::smallint[],
                 reached_at = case when not u.reached then null when b.reached_at is not null and b.period_key = u.key then b.reached_at else ${at}::timestamptz end
          from jsonb_to_recordset(${JSON.stringify(updates)}::jsonb) as u(id bigint, key text, notified text, reached boolean)
          where b.id = u.id`,
    );
  }
  await writeOutboxEvents(tx, events, at);
  return [...changed];
}

/** A budget row that is a stop budget reached in the period of `at`. */
const stopReachedIn = (at: Date) =>
  sql`action = 'stop' and reached_at is not null and period_key = case when period = 'day' then ${periodKeyOf('day', at)} else ${periodKeyOf('month', at)} end`;

/** The account's stop budget reached in the period of `at` that a charge of this plan may not pass, if any: account-wide, or the plan's. */
export async function reachedBudgetFor(db: Db, accountId: number, planCode: string, at: Date): Promise<{ id: number; service: string | null; period: BudgetPeriod; amount: Minor } | undefined> {
  const [row] = await query<{ id: number | string; service: string | null; period: BudgetPeriod; amount: string }>(
    db,
    sql`select id, service, period, amount::text as amount from budgets
        where account_id = ${accountId} and (service is null or service = ${planCode}) and ${stopReachedIn(at)}
        order by service nulls first limit 1`,
  );
  return row && { id: Number(row.id), service: row.service, period: row.period, amount: BigInt(row.amount) };
}

/** A plan of an account whose stop budget is reached: its subscriptions there pay nothing more this period. */
export interface StoppedPlan {
  accountId: number;
  planId: number;
}

/**
 * The billing run's one look at a batch's budgets (accounts with id in the range): the accounts
 * that have any, evaluated after the batch is charged; those whose account-wide stop budget is
 * reached in the period of `at`, which it charges nothing; and the plans whose own stop budget
 * is, whose subscriptions it suspends (in arrears: after charging the day used).
 */
export async function budgetsOfBatch(db: Db, afterAccountId: number, throughAccountId: number, at: Date): Promise<{ withBudgets: number[]; stopped: number[]; stoppedPlans: StoppedPlan[] }> {
  const rows = await query<{ account_id: number | string; stopped: boolean; plans: (number | string)[] }>(
    db,
    sql`select b.account_id, bool_or(b.service is null and ${stopReachedIn(at)}) as stopped,
               coalesce(array_agg(p.id) filter (where p.id is not null and ${stopReachedIn(at)}), '{}') as plans
        from budgets b left join plans p on p.code = b.service
        where b.account_id > ${afterAccountId} and b.account_id <= ${throughAccountId}
        group by b.account_id`,
  );
  return {
    withBudgets: rows.map((r) => Number(r.account_id)),
    stopped: rows.filter((r) => r.stopped).map((r) => Number(r.account_id)),
    stoppedPlans: rows.flatMap((r) => r.plans.map((planId) => ({ accountId: Number(r.account_id), planId: Number(planId) }))),
  };
}

/**
 * A scheduled job: stop budgets reached in a period that has ended start afresh, so their
 * services come back on at the new day or month. Answers how many were released.
 */
export async function releaseEndedBudgets(kassa: Kassa, at: Date): Promise<number> {
  const released = await query<{ account_id: number | string }>(
    kassa.db,
    sql`update budgets set reached_at = null, notified = '{}', period_key = null
        where reached_at is not null
          and period_key <> case when period = 'day' then ${periodKeyOf('day', at)} else ${periodKeyOf('month', at)} end
        returning account_id`,
  );
  const accountIds = [...new Set(released.map((r) => Number(r.account_id)))];
  if (accountIds.length > 0) await kassa.entitlements.refresh(kassa.db, accountIds);
  return released.length;
}
