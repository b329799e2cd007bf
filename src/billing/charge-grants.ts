// The billing run's accounts holding a credit grant scoped away from one of the plans they run
// (SPEC 4 and 5, ADR 0012). Which money pays a subscription then depends on its plan, so these
// accounts are decided here (every other account's grants are drawn set-based, as one stream,
// in ./charge-batch.ts), set-based in reading and writing and in JavaScript in between:
// one query reads the batch's due subscriptions of such accounts, one their live grants; each
// account is walked oldest subscription first by the same greedy rule as the set-based
// statement (a subscription the funds that may pay it cover is paid, drawing its grants first,
// the next one is still tried), and the shared tail of ./charge-batch.ts writes the result in
// one statement, with the grants' draws as postings of the same ledger transaction.
import { type SQL, sql } from 'drizzle-orm';
import { type Db, query } from '../db/client.js';
import { type DrawableGrant, chargeFromGrants, grantFundsFor } from '../grants/drawdown.js';
import { liveGrants } from '../grants/grants.js';
import type { Minor } from '../money/money.js';
import type { BatchInput } from './charge-batch.js';

interface Due {
  id: number;
  accountId: number;
  price: Minor;
  /** What the plan items' volume discounts took off the price. */
  discount?: Minor;
  planId: number;
  planCode: string;
  /** Its plan's stop budget is reached: in advance it is not paid, in arrears its day is charged; either way it is suspended. */
  stopped?: boolean;
}

interface Funds {
  balance: Minor;
  credit: Minor;
  reserved: Minor;
  /** Its account-wide stop budget is reached: in advance nothing is paid, in arrears everything is suspended. */
  stopped?: boolean;
}

export interface DecidedRow {
  id: number;
  account_id: number;
  plan_id: number;
  price: string;
  discount: string;
  paid: boolean;
  suspend: boolean;
  line: number | null;
  from_balance: string;
}

export interface DrawRow {
  account_id: number;
  subscription_id: number;
  grant_id: number;
  amount: string;
  line: number;
  /** The plan code of the subscription it pays. */
  service: string;
}

/**
 * One account's due subscriptions, oldest first. In advance, each is paid when the funds that
 * may pay its plan cover it (its grants first, then the paid balance and credit), else
 * suspended; in arrears each is paid, into debt if need be, and all are suspended when the
 * paid balance ends below the usable credit. Pure: the tests compare it with `allocate`.
 */
export function decideWithGrants(timing: 'in_advance' | 'in_arrears', dues: readonly Due[], funds: Funds, grants: readonly DrawableGrant[]): { decided: DecidedRow[]; draws: DrawRow[] } {
  const decided: DecidedRow[] = [];
  const draws: Omit<DrawRow, 'line'>[] = [];
  let held = [...grants];
  let balance = funds.balance;
  let line = 1;
  for (const due of dues) {
    const available = balance + funds.credit - funds.reserved + grantFundsFor(held, due.planCode);
    if (timing === 'in_advance' && (funds.stopped || due.stopped || due.price > available)) {
      decided.push({ id: due.id, account_id: due.accountId, plan_id: due.planId, price: due.price.toString(), discount: String(due.discount ?? 0n), paid: false, suspend: true, line: null, from_balance: due.price.toString() });
      continue;
    }
    const charge = chargeFromGrants(held, due.planCode, due.price);
    held = charge.after;
    balance -= charge.drawn.fromBalance;
    decided.push({ id: due.id, account_id: due.accountId, plan_id: due.planId, price: due.price.toString(), discount: String(due.discount ?? 0n), paid: true, suspend: due.stopped === true, line: ++line, from_balance: charge.drawn.fromBalance.toString() });
    for (const d of charge.drawn.draws) draws.push({ account_id: due.accountId, subscription_id: due.id, grant_id: d.grantId, amount: d.amount.toString(), service: due.planCode });
  }
  if (timing === 'in_arrears' && (funds.stopped || balance + funds.credit - funds.reserved < 0n)) for (const row of decided) row.suspend = true;
  // The grants' postings come after the account's subscription postings.
  return { decided, draws: draws.map((d, i) => ({ ...d, line: line + 1 + i })) };
}

/**
 * The accounts with id in (afterAccountId, throughAccountId] holding a live grant, with
 * something left, that may not pay a plan one of their subscriptions runs: which money pays a
 * subscription then depends on its plan. Every other account's grants pay all its charges
 * alike, so they are drawn as one stream in draw order, set-based. Read once per batch, before
 * its statements, with the planner's nested loops, by the grants' indexes.
 */
export async function mixedScopeAccounts(tx: Db, afterAccountId: number, throughAccountId: number, at: Date): Promise<number[]> {
  const rows = await query<{ account_id: number | string }>(
    tx,
    sql`select distinct g.account_id from credit_grants g
        where g.account_id > ${afterAccountId} and g.account_id <= ${throughAccountId}
          and g.status = 'active' and g.scope is not null and (g.expires_at is null or g.expires_at > ${at})
          and exists (
            select 1 from subscriptions s join plans pl on pl.id = s.plan_id
            where s.account_id = g.account_id and s.status = 'active' and pl.code <> all(g.scope)
          )
          and (select coalesce(sum(p.amount), 0) from ledger_postings p where p.account_id = g.account_id and p.grant_id = g.id) > 0`,
  );
  return rows.map((r) => Number(r.account_id));
}

/**
 * The due subscriptions of these accounts of the batch (those the set-based statement saw
 * holding grants, whatever they hold now), decided: the `decided` CTE, the
 * draws and the balances the decisions were made on (the tail writes only where they still
 * stand, as it does for the set-based decisions), or null when nothing of them is due.
 */
export async function decideGrantAccounts(tx: Db, b: BatchInput, accountIds: readonly number[], timing: 'in_advance' | 'in_arrears', periodStart: Date, dueWhere: SQL): Promise<{ decided: SQL; draws: string; seen: string } | null> {
  const rows = await query<{ id: number | string; account_id: number | string; price: string; discount: string; plan_id: number | string; plan_code: string; balance: string; granted: string; credit: string; reserved: string }>(
    tx,
    sql`select s.id, s.account_id, s.period_amount::text as price, s.period_discount::text as discount, s.plan_id, p.code as plan_code,
               a.balance::text as balance, a.granted::text as granted, (case when a.credit_enabled then a.credit_limit else 0 end)::text as credit, a.reserved::text as reserved
        from accounts a
        join subscriptions s on s.account_id = a.id
        join plans p on p.id = s.plan_id
        where a.id = any(${`{${accountIds.join(',')}}`}::bigint[]) and a.status in ('active', 'suspended')
          and s.account_id > ${b.afterAccountId} and s.account_id <= ${b.throughAccountId}
          and s.status = 'active' and s.timing = ${timing} and ${dueWhere}
          and not exists (
            select 1 from ledger_postings x
            where x.billed_period_start = ${periodStart} and x.account_id = s.account_id and x.subscription_id = s.id
          )
        order by s.account_id, s.id`,
  );
  if (rows.length === 0) return null;
  const byAccount = new Map<number, typeof rows>();
  for (const row of rows) {
    const accountId = Number(row.account_id);
    byAccount.set(accountId, [...(byAccount.get(accountId) ?? []), row]);
  }
  const grants = await liveGrants(tx, [...byAccount.keys()], b.at);
  const decided: DecidedRow[] = [];
  const draws: DrawRow[] = [];
  const seen: { id: number; balance: string; granted: string }[] = [];
  const stoppedPlans = new Set(b.planStopped.map((p) => `${p.accountId}/${p.planId}`));
  for (const [accountId, mine] of byAccount) {
    const first = mine[0]!;
    const dues = mine.map((r) => ({ id: Number(r.id), accountId, price: BigInt(r.price), discount: BigInt(r.discount), stopped: stoppedPlans.has(`${accountId}/${Number(r.plan_id)}`), planId: Number(r.plan_id), planCode: r.plan_code }));
    const one = decideWithGrants(timing, dues, { balance: BigInt(first.balance), credit: BigInt(first.credit), reserved: BigInt(first.reserved), stopped: b.budgetStopped.includes(accountId) }, grants.get(accountId) ?? []);
    decided.push(...one.decided);
    draws.push(...one.draws);
    seen.push({ id: accountId, balance: first.balance, granted: first.granted });
  }
  return {
    decided: sql`decided as (
      select * from jsonb_to_recordset(${JSON.stringify(decided)}::jsonb)
        as c(id bigint, account_id bigint, plan_id bigint, price bigint, discount bigint, paid boolean, suspend boolean, line smallint, from_balance bigint)
    )`,
    draws: JSON.stringify(draws),
    seen: JSON.stringify(seen),
  };
}
