// One batch of the daily billing run: set-based SQL over a range of accounts, in one
// transaction with the run's cursor. The statement follows SPEC section 5:
//
// - in-advance subscriptions whose period starts at the boundary are billed one by one per
//   account, oldest first. The prefix whose running total fits the available funds is
//   charged outright (most accounts); from the first one that does not fit, a recursive walk
//   tries each remaining subscription against what is left, suspending the ones it cannot pay
//   (the same greedy rule as `allocate` in ./allocate.ts, which tests compare against).
// - each account gets one ledger transaction for the boundary: a customer posting per
//   subscription period (the unique billed-period index makes a second charge impossible)
//   and one revenue posting for the total.
// - an account's live credit grants count in its available funds, and its paid subscriptions
//   draw them before the paid balance, as one stream in draw order (`paidFromGrants`, ADR
//   0012). An account holding a grant scoped away from one of its plans, where which money
//   pays depends on the plan, is decided in ./charge-grants.ts and written by the same tail.
// - the balance update is optimistic: it only applies where the balance is still the one the
//   decisions were made on. Accounts changed concurrently are left untouched and retried.
//
// Both timings share one statement: a per-timing step decides, per due subscription, whether
// it is paid and whether it is suspended (`chosen`), the grants' split follows (`decided`,
// `draws`); the tail (debit, ledger transactions and
// postings, one `subscription.charged` event per charged account listing its charges, the
// month's pending invoice rows, monthly purchases, suspensions and their events, counts) is
// written once.
import { type SQL, sql } from 'drizzle-orm';
import { type Db, query } from '../db/client.js';
import { ADD_TO_DAY, chargeDay } from '../ledger/daily.js';
import { ADD_TO_INVOICE, chargeMonth } from '../ledger/document-requests.js';
import type { StoppedPlan } from '../budgets/budgets.js';
import { decideGrantAccounts } from './charge-grants.js';
import { addByCurrency } from '../money/money.js';

export interface BatchInput {
  runId: number;
  boundary: Date;
  /** Accounts with id in (afterAccountId, throughAccountId]. */
  afterAccountId: number;
  throughAccountId: number;
  /** Anchor days whose monthly period starts at this boundary. */
  monthlyAnchors: number[];
  month: string;
  at: Date;
  /** The batch's accounts whose account-wide stop budget is reached (src/budgets): they pay nothing. */
  budgetStopped: number[];
  /** Plans of the batch's accounts whose own stop budget is reached: those subscriptions are suspended (in arrears, once the day used is charged). */
  planStopped: StoppedPlan[];
  /** The batch's accounts decided in ./charge-grants.ts (`mixedScopeAccounts` there). */
  mixedScope: number[];
}

export interface BatchOutcome {
  billed: number;
  suspended: number;
  /** Accounts with a subscription this batch suspended: what they may do has changed. */
  suspendedAccountIds: number[];
  /** What was charged, per currency (minor units). */
  chargedByCurrency: Map<string, bigint>;
  /** Accounts whose balance changed under the batch: their subscriptions are still due. */
  retry: number;
}

/**
 * In-advance subscriptions whose period starts at the boundary, billed one by one per account,
 * oldest first: the prefix the funds cover is paid outright, the rest walked one by one; what
 * is not paid is suspended.
 */
export function chargeInAdvanceBatch(tx: Db, b: BatchInput): Promise<BatchOutcome> {
  const anchors = `{${b.monthlyAnchors.join(',')}}`;
  // A subscription `s` of the batch whose in-advance period starts at the boundary, not paid yet.
  const unpaidDue = sql`s.account_id > ${b.afterAccountId} and s.account_id <= ${b.throughAccountId}
        and s.status = 'active' and s.timing = 'in_advance'
        and (s.cadence = 'daily' or s.anchor_day = any(${anchors}::int[]))
        and not exists (
          select 1 from ledger_postings p
          where p.billed_period_start = ${b.boundary} and p.account_id = s.account_id and p.subscription_id = s.id
            and p.account_id > ${b.afterAccountId} and p.account_id <= ${b.throughAccountId}
        )`;
  const decided = sql`
    due as (
      select s.id, s.account_id, s.plan_id, s.period_amount as price, s.period_discount as discount,
             (sum(s.period_amount) over w)::bigint as running,
             row_number() over w as n,
             a.available
      from subscriptions s
      join acct a on a.id = s.account_id
      where ${unpaidDue}
        ${b.planStopped.length === 0 ? sql`` : sql`and not ${planStoppedIn(b, sql`s`)}`}
      window w as (partition by s.account_id order by s.id)
    ),
    tail as (
      select d.id, d.account_id, d.plan_id, d.price, d.discount, d.running, d.n, d.available,
             row_number() over (partition by d.account_id order by d.id) as k
      from due d
      where d.running > d.available
    ),
    walk (account_id, k, n, id, plan_id, price, discount, paid, remaining) as (
      select t.account_id, t.k, t.n, t.id, t.plan_id, t.price, t.discount,
             t.price <= t.available - (t.running - t.price),
             t.available - (t.running - t.price) - case when t.price <= t.available - (t.running - t.price) then t.price else 0 end
      from tail t where t.k = 1
      union all
      select t.account_id, t.k, t.n, t.id, t.plan_id, t.price, t.discount, t.price <= w.remaining,
             w.remaining - case when t.price <= w.remaining then t.price else 0 end
      from walk w join tail t on t.account_id = w.account_id and t.k = w.k + 1
    ),
    -- Posting lines count the paid ones from 2 (line 1 is revenue): the covered prefix by its
    -- position, the walked ones after the n - k prefix rows before them.
    chosen as (
      select d.id, d.account_id, d.plan_id, d.price, d.discount, true as paid, false as suspend, 1 + d.n as line
      from due d where d.running <= d.available
      union all
      select id, account_id, plan_id, price, discount, true, false, 1 + (n - k) + row_number() over (partition by account_id order by k)
      from walk where paid
      union all
      select id, account_id, plan_id, price, discount, false, true, null from walk where not paid
      ${
        b.planStopped.length === 0
          ? sql``
          : sql`union all
      -- Those of a plan whose stop budget is reached: suspended, nothing charged.
      select s.id, s.account_id, s.plan_id, s.period_amount, s.period_discount, false, true, null
      from subscriptions s join acct a on a.id = s.account_id
      where ${unpaidDue} and ${planStoppedIn(b, sql`s`)}`
      }
    )`;
  const due = sql`(s.cadence = 'daily' or s.anchor_day = any(${anchors}::int[]))`;
  return chargeBatch(tx, b, { periodStart: b.boundary, description: `Billing run ${b.boundary.toISOString().slice(0, 10)}`, decided }, { timing: 'in_advance', due });
}

/**
 * In-arrears daily subscriptions pay, at the run after it, for the UTC date that just ended
 * if they were active at any moment of it and it was not charged yet (deactivation charges
 * the date at once). The day was used, so it is always charged, even into debt; a
 * subscription whose account then has no available funds left is suspended so it runs up
 * no further days.
 */
export async function chargeInArrearsBatch(tx: Db, b: BatchInput, usedDay: Date): Promise<BatchOutcome> {
  // Most batches run no in-arrears plan: one probe of their partial index, and nothing more.
  const [inArrears] = await query<{ any: boolean }>(
    tx,
    sql`select exists (select 1 from subscriptions where account_id > ${b.afterAccountId} and account_id <= ${b.throughAccountId} and timing = 'in_arrears' and status = 'active') as any`,
  );
  if (!inArrears!.any) return { billed: 0, suspended: 0, suspendedAccountIds: [], chargedByCurrency: new Map(), retry: 0 };
  const decided = sql`
    due as (
      select s.id, s.account_id, s.plan_id, s.period_amount as price, s.period_discount as discount, a.available, a.live
      from subscriptions s join acct a on a.id = s.account_id
      where s.account_id > ${b.afterAccountId} and s.account_id <= ${b.throughAccountId}
        and s.status = 'active' and s.timing = 'in_arrears' and s.status_changed_at < ${b.boundary}
        and not exists (
          select 1 from ledger_postings p
          where p.billed_period_start = ${usedDay} and p.account_id = s.account_id and p.subscription_id = s.id
            and p.account_id > ${b.afterAccountId} and p.account_id <= ${b.throughAccountId}
        )
    ),
    -- Suspended when the paid balance ends below the usable credit: the available funds
    -- without the grants, less what of the days the grants do not pay.
    chosen as (
      select d.id, d.account_id, d.plan_id, d.price, d.discount, true as paid,
             d.available - d.live - greatest(0, (sum(d.price) over (partition by d.account_id))::bigint - d.live) < 0
               ${b.planStopped.length === 0 ? sql`` : sql`or ${planStoppedIn(b, sql`d`)}`} as suspend,
             1 + row_number() over (partition by d.account_id order by d.id) as line
      from due d
    )`;
  const due = sql`s.status_changed_at < ${b.boundary}`;
  return chargeBatch(tx, b, { periodStart: usedDay, description: `In-arrears charges ${usedDay.toISOString().slice(0, 10)}`, decided }, { timing: 'in_arrears', due });
}

export interface Charge {
  /** The period every posting of this statement pays (billed_period_start). */
  periodStart: Date;
  description: string;
  /**
   * CTEs over `acct(id, balance, granted, currency, live, available)` ending in
   * chosen(id, account_id, plan_id, price, discount, paid, suspend, line): `live` is what the
   * account's live credit grants hold, `available` its funds with them; `discount` is what
   * the plan items' volume discounts took off the price; `line` numbers the paid ones of an
   * account 2, 3, ... (its revenue posting is line 1). The statement then splits each paid
   * price between the grants and the paid balance (`decided`, `draws`).
   */
  decided: SQL;
  /**
   * Accounts whose grants do not all pay every plan they hold are decided in
   * ./charge-grants.ts, which hands the tail its decided(..., from_balance) rows and the grants'
   * draws(account_id, subscription_id, grant_id, amount, line, service); the set-based
   * decisions above take every other account.
   */
  withGrants?: { draws: string; seen: string };
}

/**
 * The batch's accounts by the set-based statement, but for those holding a grant scoped away
 * from a plan they run (./charge-grants.ts), each written by the same tail.
 */
async function chargeBatch(tx: Db, b: BatchInput, charge: Charge, grantAccounts: { timing: 'in_advance' | 'in_arrears'; due: SQL }): Promise<BatchOutcome> {
  const plain = await chargeOnce(tx, b, charge);
  if (b.mixedScope.length === 0) return plain;
  const withGrants = await decideGrantAccounts(tx, b, b.mixedScope, grantAccounts.timing, charge.periodStart, grantAccounts.due);
  if (!withGrants) return plain;
  const granted = await chargeOnce(tx, b, { ...charge, decided: withGrants.decided, withGrants });
  return {
    billed: plain.billed + granted.billed,
    suspended: plain.suspended + granted.suspended,
    suspendedAccountIds: [...plain.suspendedAccountIds, ...granted.suspendedAccountIds],
    chargedByCurrency: addByCurrency(plain.chargedByCurrency, granted.chargedByCurrency),
    retry: plain.retry + granted.retry,
  };
}

async function chargeOnce(tx: Db, b: BatchInput, charge: Charge): Promise<BatchOutcome> {
  // The planner cannot know how many rows a data-modifying CTE returns (it guesses one), so
  // with real statistics it joined txs to totals in a nested loop: 10,000 x 10,000 rows per
  // batch, eight times slower on PGlite after an ANALYZE. Every table here is read by the
  // batch's id range, so hash joins are always right.
  await query(tx, sql`set local enable_nestloop = off`);
  const outcome = await chargeStatement(tx, b, charge);
  await query(tx, sql`set local enable_nestloop = on`);
  return outcome;
}

/** Whether the subscription row `s` (with account_id and plan_id) is of a plan whose stop budget is reached. */
function planStoppedIn(b: BatchInput, s: SQL): SQL {
  const accounts = `{${b.planStopped.map((p) => p.accountId).join(',')}}`;
  const plans = `{${b.planStopped.map((p) => p.planId).join(',')}}`;
  return sql`(${s}.account_id, ${s}.plan_id) in (select * from unnest(${accounts}::bigint[], ${plans}::bigint[]))`;
}

/**
 * An account's available funds in the set-based statement, its live grants (`l.held`) with
 * them. One whose account-wide stop budget is reached has nothing to pay with: its in-advance
 * subscriptions are suspended, its in-arrears days charged and suspended.
 */
function availableIn(b: BatchInput): SQL {
  const funds = sql`a.balance + case when a.credit_enabled then a.credit_limit else 0 end - a.reserved + coalesce(l.held, 0)`;
  return b.budgetStopped.length === 0 ? funds : sql`case when a.id = any(${`{${b.budgetStopped.join(',')}}`}::bigint[]) then -1 else ${funds} end`;
}

/**
 * The live credit grants of the batch's accounts with something left, each with where it ends
 * in its account's stream of grants in draw order (src/grants/drawdown.ts: scoped first, then
 * priority, soonest expiry, promotional before paid, oldest), and what each account's hold
 * (`live_held`). What a grant holds is the sum of its postings, read by the grant's index.
 */
function grantsOfBatch(b: BatchInput): SQL {
  return sql`
    grants_held as materialized (
      select g.id, g.account_id, g.kind, g.priority, g.scope, g.expires_at,
             (select coalesce(sum(p.amount), 0) from ledger_postings p where p.account_id = g.account_id and p.grant_id = g.id)::bigint as held
      from credit_grants g
      where g.account_id > ${b.afterAccountId} and g.account_id <= ${b.throughAccountId}
        and g.status = 'active' and (g.expires_at is null or g.expires_at > ${b.at})
    ),
    live as (
      select h.id, h.account_id, h.held,
             (sum(h.held) over (partition by h.account_id order by h.scope is null, h.priority, h.expires_at nulls last, h.kind <> 'promotional', h.id))::bigint as upto
      from grants_held h where h.held > 0
    ),
    live_held as (
      select account_id, sum(held)::bigint as held from live group by account_id
    )`;
}

/**
 * Which money pays each paid subscription of an account whose grants pay all its plans alike:
 * its paid ones, oldest first, take the stretch [upto - price, upto) of the account's spending,
 * and the grants the stretches [upto - held, upto) of its stream, so a subscription draws from
 * each grant the overlap of the two and from the paid balance what lies past the grants. The
 * same as drawing one charge after another (src/grants/drawdown.ts), which the tests check.
 */
const paidFromGrants = sql`
    paid_granted as (
      select c.id, c.account_id, c.plan_id, c.price, c.line, l.held as live,
             (sum(c.price) over (partition by c.account_id order by c.line))::bigint as upto
      from chosen c join live_held l on l.account_id = c.account_id
      where c.paid
    ),
    decided as (
      select c.id, c.account_id, c.plan_id, c.price, c.discount, c.paid, c.suspend, c.line,
             case when g.id is null then c.price else least(c.price, greatest(0, g.upto - g.live)) end as from_balance
      from chosen c left join paid_granted g on g.id = c.id
    ),
    -- The grants' postings come after the account's subscription postings.
    draws as (
      select g.account_id, g.id as subscription_id, l.id as grant_id,
             least(g.upto, l.upto) - greatest(g.upto - g.price, l.upto - l.held) as amount,
             (n.last_line + row_number() over (partition by g.account_id order by g.line, l.upto))::smallint as line,
             pl.code as service
      from paid_granted g
      join live l on l.account_id = g.account_id
      join (select account_id, max(line) as last_line from paid_granted group by account_id) n on n.account_id = g.account_id
      join plans pl on pl.id = g.plan_id
      where least(g.upto, l.upto) > greatest(g.upto - g.price, l.upto - l.held)
    )`;

async function chargeStatement(tx: Db, b: BatchInput, { periodStart, description, decided, withGrants }: Charge): Promise<BatchOutcome> {
  const [row] = await query<{ billed: bigint; suspended: bigint; suspended_accounts: string[]; by_currency: Record<string, string>; retry: bigint }>(
    tx,
    sql`
    with recursive
    ${
      withGrants
        ? sql`
    acct as (
      select a.id, v.balance, v.granted, a.currency, null::bigint as live, null::bigint as available
      from accounts a join jsonb_to_recordset(${withGrants.seen}::jsonb) as v(id bigint, balance bigint, granted bigint) on v.id = a.id
      where a.id > ${b.afterAccountId} and a.id <= ${b.throughAccountId}
    ),
    ${decided},
    draws as (
      select * from jsonb_to_recordset(${withGrants.draws}::jsonb) as d(account_id bigint, subscription_id bigint, grant_id bigint, amount bigint, line smallint, service text)
    ),`
        : sql`${grantsOfBatch(b)},
    acct as (
      select a.id, a.balance, a.granted, a.currency, coalesce(l.held, 0)::bigint as live, ${availableIn(b)} as available
      from accounts a left join live_held l on l.account_id = a.id
      where a.id > ${b.afterAccountId} and a.id <= ${b.throughAccountId} and a.status in ('active', 'suspended')
        and a.id <> all(${`{${b.mixedScope.join(',')}}`}::bigint[])
    ),
    ${decided},
    ${paidFromGrants},`
    }
    -- Per account and plan (the billing history's rows), then per account: most accounts run
    -- one plan, so the second step adds up about as many rows as there are accounts.
    by_plan as (
      select account_id, plan_id,
             coalesce(sum(price) filter (where paid), 0)::bigint as total,
             coalesce(sum(discount) filter (where paid), 0)::bigint as discount,
             coalesce(sum(from_balance) filter (where paid), 0)::bigint as from_balance,
             count(*) filter (where paid) as paid_count,
             min(id) as first_id,
             string_agg('{"subscription_id":' || id || ',"amount":"' || price || case when discount > 0 then '","discount":"' || discount else '' end || '"}', ',' order by id) filter (where paid) as charges
      from decided group by account_id, plan_id
    ),
    totals as (
      select t.*, a.balance, a.granted, a.currency
      from (
        select account_id, sum(total)::bigint as total, sum(discount)::bigint as discount, sum(from_balance)::bigint as from_balance,
               sum(paid_count)::bigint as paid_count, string_agg(charges, ',' order by first_id) as charges
        from by_plan group by account_id
      ) t join acct a on a.id = t.account_id
    ),
    debited as (
      update accounts a set balance = a.balance - t.from_balance, granted = a.granted - (t.total - t.from_balance)
      from totals t
      where a.id = t.account_id and a.balance = t.balance and a.granted = t.granted
        and a.id > ${b.afterAccountId} and a.id <= ${b.throughAccountId}
      returning a.id
    ),
    txs as (
      insert into ledger_transactions (account_id, kind, description, customer_amount, billing_run_id, created_at)
      select t.account_id, 'billing_run', ${description}, -t.from_balance, ${b.runId}, ${b.at}
      from totals t join debited d on d.id = t.account_id
      where t.paid_count > 0
      returning id, account_id
    ),
    postings as (
      insert into ledger_postings (transaction_id, line, account_id, ledger_account, amount, subscription_id, billed_period_start, grant_id, service)
      select x.id, c.line, c.account_id, 'customer', -c.from_balance, c.id, ${periodStart}::timestamptz, null::bigint, pl.code
      from decided c join txs x on x.account_id = c.account_id join plans pl on pl.id = c.plan_id where c.paid
      union all
      -- One revenue posting for the account's total: its customer and grant postings, one per
      -- subscription, name each one's plan (the revenue report splits it by them).
      select x.id, 1, x.account_id, 'revenue', t.total, null, null, null, null
      from txs x join totals t on t.account_id = x.account_id
      union all
      select x.id, d.line, x.account_id, 'grant', -d.amount, d.subscription_id, null, d.grant_id, d.service
      from draws d join txs x on x.account_id = d.account_id
    ),
    -- The payload is written as JSON text and only checked (the column is json): jsonb_build_object
    -- and jsonb_agg cost twice as much at a million charges (measured on PostgreSQL 15), and
    -- converting the text to jsonb about a twentieth of the whole run. Every value in it
    -- is a number, a fixed string or the currency, which to_json quotes.
    charge_events as (
      insert into outbox (account_id, topic, payload, created_at)
      select x.account_id, 'subscription.charged',
             ('{"reason":"billing_run","billing_run_id":' || ${b.runId}::bigint || ',"transaction_id":' || x.id ||
              ',"period_start":"' || ${periodStart.toISOString()}::text || '","amount":"' || t.total ||
              '","currency":' || to_json(t.currency) || ',"balance":"' || (t.balance - t.from_balance) ||
              '","charges":[' || t.charges || ']}')::json,
             ${b.at}
      from txs x
      join totals t on t.account_id = x.account_id
    ),
    history as (
      insert into billing_daily (account_id, day, channel, kind, quantity, amount)
      -- Per plan, under its code, at the price before the volume discounts, and the discount as
      -- its own row.
      select p.account_id, ${chargeDay(b.at)}::date, pl.code, 'plan', p.paid_count, p.total + p.discount
      from by_plan p join debited d on d.id = p.account_id join plans pl on pl.id = p.plan_id where p.total > 0
      union all
      select p.account_id, ${chargeDay(b.at)}::date, pl.code, 'discount', 0, -p.discount
      from by_plan p join debited d on d.id = p.account_id join plans pl on pl.id = p.plan_id where p.total > 0 and p.discount > 0
      ${ADD_TO_DAY}
    ),
    -- The month's invoice (src/documents): per plan, its periods, price, discount and transaction.
    invoiced as (
      insert into invoice_pending (account_id, month, service, kind, quantity, price, discount, period_start, period_end, transaction_ids)
      select p.account_id, ${chargeMonth(b.at)}, pl.code, 'plan', p.paid_count, p.total + p.discount, p.discount, ${chargeDay(periodStart)}::date, ${chargeDay(periodStart)}::date, array[x.id]
      from by_plan p join txs x on x.account_id = p.account_id join plans pl on pl.id = p.plan_id where p.total + p.discount > 0
      ${ADD_TO_INVOICE}
    ),
    purchases as (
      insert into account_monthly_purchases (account_id, month, amount)
      select t.account_id, ${b.month}, t.total from totals t join debited d on d.id = t.account_id where t.total > 0
      on conflict (account_id, month) do update set amount = account_monthly_purchases.amount + excluded.amount
    ),
    suspended as (
      update subscriptions s set status = 'suspended', status_changed_at = ${b.at}
      from decided r join debited d on d.id = r.account_id
      where s.id = r.id and s.account_id = r.account_id and r.suspend
        and s.account_id > ${b.afterAccountId} and s.account_id <= ${b.throughAccountId}
      returning s.id, s.account_id, s.period_amount
    ),
    suspension_events as (
      insert into outbox (account_id, topic, payload, created_at)
      select account_id, 'subscription.suspended',
             jsonb_build_object('subscription_id', id, 'reason', 'insufficient_funds',
                                'period_start', ${periodStart.toISOString()}::text, 'amount', period_amount::text),
             ${b.at}
      from suspended
    )
    select
      (select count(*) from decided c join debited d on d.id = c.account_id where c.paid) as billed,
      (select count(*) from suspended) as suspended,
      (select coalesce(array_agg(distinct account_id), '{}') from suspended)::text[] as suspended_accounts,
      (select coalesce(json_object_agg(c.currency, c.amount), '{}'::json)
         from (select t.currency, sum(t.total)::text as amount from totals t join debited d on d.id = t.account_id group by t.currency) c) as by_currency,
      (select count(*) from totals) - (select count(*) from debited) as retry
  `,
  );
  return {
    billed: Number(row!.billed),
    suspended: Number(row!.suspended),
    suspendedAccountIds: row!.suspended_accounts.map(Number),
    chargedByCurrency: new Map(Object.entries(row!.by_currency).map(([currency, amount]) => [currency, BigInt(amount)])),
    retry: Number(row!.retry),
  };
}
