// Deterministic benchmark data in Kassa's own schema, shaped like the reference's:
// prices 1.00..50.99, every 10th account short of funds (15.00), every 20th on system credit
// (20.00 limit from 200.00 bought last month at the default 10% share), balances backed by
// an opening ledger transaction so `kassa verify` holds before and after the run. One account in
// five (a % 5 = 1, all funded, so the outcome stays the reference's) holds a credit grant of
// 200.00, and every other one of those a second, of 50.00 scoped to the plan and drawn first:
// the run draws them before the paid balance (issue 17).
import { sql } from 'drizzle-orm';
import type { Db } from '../src/db/client.js';

export const BENCH_BOUNDARY = new Date('2026-11-22T00:00:00Z');

export async function seedBillingBench(db: Db, accounts: number, perAccount: number): Promise<void> {
  const created = '2026-11-01T00:00:00Z';
  const statements = `
    insert into plans (code, name, kind, cadence, timing, created_at)
      values ('bench', 'Benchmark plan', 'custom', 'daily', 'in_advance', '${created}');
    insert into plan_versions (plan_id, version, currency, effective_from, definition, created_at)
      values (1, 1, 'EUR', '${created}', '{"base_price":"1","items":[],"quotas":{},"features":[]}', '${created}');
    insert into accounts (name, currency, type, status, balance, credit_enabled, credit_limit, created_at)
      select 'bench ' || a, 'EUR', 'billing', 'active',
             case when a % 10 = 0 then 1500 else 1000000 end,
             a % 20 = 0, case when a % 20 = 0 then 2000 else 0 end, '${created}'
      from generate_series(1, ${accounts}) a;
    insert into ledger_transactions (account_id, kind, description, customer_amount, created_at)
      select id, 'adjustment', 'opening balance', balance, '${created}' from accounts;
    insert into ledger_postings (transaction_id, line, account_id, ledger_account, amount)
      select id, 1, account_id, 'customer', customer_amount from ledger_transactions
      union all
      select id, 2, account_id, 'adjustments', -customer_amount from ledger_transactions;
    insert into credit_grants (account_id, kind, amount, cost_basis, priority, scope, effective_at, expires_at, reason, status, created_at)
      select a, 'promotional', 20000, 0, 100, null::text[], '${created}'::timestamptz, '2027-01-31T00:00:00Z'::timestamptz, 'bench grant', 'active', '${created}'::timestamptz
      from generate_series(1, ${accounts}) a where a % 5 = 1
      union all
      select a, 'promotional', 5000, 0, 10, '{bench}'::text[], '${created}'::timestamptz, null, 'bench scoped grant', 'active', '${created}'::timestamptz
      from generate_series(1, ${accounts}) a where a % 10 = 1;
    insert into ledger_transactions (account_id, kind, description, customer_amount, created_at)
      select account_id, 'grant', 'Credit grant ' || id, 0, '${created}' from credit_grants;
    insert into ledger_postings (transaction_id, line, account_id, ledger_account, amount, grant_id)
      select t.id, 1, g.account_id, 'grant', g.amount, g.id from credit_grants g join ledger_transactions t on t.description = 'Credit grant ' || g.id
      union all
      select t.id, 2, g.account_id, 'promotions', -g.amount, null from credit_grants g join ledger_transactions t on t.description = 'Credit grant ' || g.id;
    update accounts a set granted = g.total from (select account_id, sum(amount) as total from credit_grants group by account_id) g where a.id = g.account_id;
    insert into account_monthly_purchases (account_id, month, amount)
      select id, '2026-10', 20000 from accounts where credit_enabled;
    insert into subscriptions (account_id, plan_id, plan_version_id, status, cadence, timing, anchor_day, quantities, period_amount, created_at, status_changed_at)
      select a, 1, 1, 'active', 'daily', 'in_advance', 1, '{}'::jsonb,
             100 + ((a * 7919 + k * 104729) % 5000), '${created}', '${created}'
      from generate_series(1, ${accounts}) a, generate_series(1, ${perAccount}) k
      order by a, k;
    analyze
  `;
  for (const statement of statements.split(';')) if (statement.trim()) await db.execute(sql.raw(statement));
}
