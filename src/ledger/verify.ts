// The ledger's invariants, checked set-based over the whole database (`kassa verify`).
// Each check is one query returning the violating rows (a few as examples) and their count.
import { type SQL, sql } from 'drizzle-orm';
import { type Db, query } from '../db/client.js';

export interface LedgerCheck {
  name: string;
  ok: boolean;
  violations: number;
  examples: unknown[];
  /** Reported for the operator, not counted against the ledger's health (see below). */
  advisory?: boolean;
}

const EXAMPLES = 5;

const checks: { name: string; advisory?: boolean; violating: SQL }[] = [
  {
    name: 'every transaction has two or more postings summing to zero',
    violating: sql`
      select t.id as transaction_id, count(p.transaction_id) as postings, coalesce(sum(p.amount), 0) as total
      from ledger_transactions t left join ledger_postings p on p.transaction_id = t.id
      group by t.id
      having count(p.transaction_id) < 2 or coalesce(sum(p.amount), 0) <> 0`,
  },
  {
    name: "every posting belongs to an existing transaction of the same account",
    violating: sql`
      select p.line as posting_line, p.transaction_id, p.account_id, t.account_id as transaction_account_id
      from ledger_postings p left join ledger_transactions t on t.id = p.transaction_id
      where t.id is null or t.account_id <> p.account_id`,
  },
  {
    name: "every transaction's customer_amount equals its customer postings",
    violating: sql`
      select t.id as transaction_id, t.customer_amount, coalesce(c.total, 0) as customer_postings
      from ledger_transactions t
      left join (select transaction_id, sum(amount) as total from ledger_postings where ledger_account = 'customer' group by transaction_id) c
        on c.transaction_id = t.id
      where t.customer_amount <> coalesce(c.total, 0)`,
  },
  {
    name: "every account's balance equals its customer postings",
    violating: sql`
      select a.id as account_id, a.balance, coalesce(c.total, 0) as customer_postings
      from accounts a
      left join (select account_id, sum(amount) as total from ledger_postings where ledger_account = 'customer' group by account_id) c
        on c.account_id = a.id
      where a.balance <> coalesce(c.total, 0)`,
  },
  {
    name: "every account's granted equals its credit-grant postings",
    violating: sql`
      select a.id as account_id, a.granted, coalesce(g.total, 0) as grant_postings
      from accounts a
      left join (select account_id, sum(amount) as total from ledger_postings where ledger_account = 'grant' group by account_id) g
        on g.account_id = a.id
      where a.granted <> coalesce(g.total, 0)`,
  },
  {
    name: 'every credit grant holds between nothing and its amount, and nothing unless it is active',
    violating: sql`
      select g.id as grant_id, g.account_id, g.status, g.amount, coalesce(p.held, 0) as held, p.accounts
      from credit_grants g
      left join (select grant_id, sum(amount) as held, array_agg(distinct account_id) as accounts from ledger_postings where grant_id is not null group by grant_id) p
        on p.grant_id = g.id
      where coalesce(p.held, 0) < 0 or coalesce(p.held, 0) > g.amount or (g.status <> 'active' and coalesce(p.held, 0) <> 0)
         or p.accounts <> array[g.account_id]`,
  },
  {
    name: 'every credit-grant posting names a grant',
    violating: sql`
      select p.transaction_id, p.line, p.grant_id
      from ledger_postings p left join credit_grants g on g.id = p.grant_id
      where p.grant_id is not null and g.id is null`,
  },
  {
    name: 'no subscription period is billed twice',
    violating: sql`
      select account_id, subscription_id, billed_period_start, count(*) as times
      from ledger_postings where billed_period_start is not null
      group by account_id, subscription_id, billed_period_start
      having count(*) > 1`,
  },
  {
    name: 'reversals reverse a transaction of the same account',
    violating: sql`
      select t.id as transaction_id, t.reverses_id
      from ledger_transactions t left join ledger_transactions r on r.id = t.reverses_id
      where t.reverses_id is not null and (r.id is null or r.account_id <> t.account_id)`,
  },
  {
    name: 'reserved funds equal the holds of open usage reservations',
    violating: sql`
      select a.id as account_id, a.reserved, coalesce(r.held, 0) as held
      from accounts a left join (select account_id, sum(held) as held from usage_reservations where status = 'open' group by account_id) r on r.account_id = a.id
      where a.reserved <> coalesce(r.held, 0)`,
  },
  {
    name: 'credit limits are not negative',
    violating: sql`select id as account_id, credit_limit from accounts where credit_limit < 0`,
  },
  {
    // Advisory: a balance under minus the usable credit is not ledger corruption. In-arrears
    // charges bill what was already consumed and may legitimately push an account past its
    // limit (the service is then suspended), and turning credit off or a lower recomputed
    // limit leaves older debt in place. It is money to collect, so it is shown, not failed.
    name: 'balances within the usable credit (advisory)',
    advisory: true,
    violating: sql`
      select id as account_id, balance, case when credit_enabled then credit_limit else 0 end as usable_credit
      from accounts
      where balance < -(case when credit_enabled then credit_limit else 0 end)`,
  },
];

export async function verifyLedger(db: Db): Promise<{ ok: boolean; checks: LedgerCheck[] }> {
  const results: LedgerCheck[] = [];
  for (const check of checks) {
    const rows = await query<Record<string, unknown> & { violations: bigint | number | string }>(
      db,
      sql`select v.*, count(*) over () as violations from (${check.violating}) v limit ${EXAMPLES}`,
    );
    const violations = Number(rows[0]?.violations ?? 0);
    const examples = rows.map(({ violations: _count, ...row }) => plain(row));
    results.push({ name: check.name, ok: violations === 0, violations, examples, ...(check.advisory ? { advisory: true } : {}) });
  }
  return { ok: results.every((c) => c.ok || c.advisory), checks: results };
}

/**
 * Examples in one shape on both backends: raw int8 arrives as number or bigint from PGlite
 * and as string from node-postgres, so every number becomes its decimal string.
 */
function plain(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(row).map(([key, value]) => [
      key,
      typeof value === 'bigint' || typeof value === 'number' ? value.toString() : value instanceof Date ? value.toISOString() : value,
    ]),
  );
}
