// What sharding by account on Citus relies on (ADR 17), checked on the backend the suite runs
// on: every statement an account-scoped request or the billing run sends reaches account-owned
// rows through one account (or one batch's account range), and no transaction writes rows of
// two accounts except the documented ones. Every statement Kassa sends is seen here, on the
// wire (node-postgres' Client.query, which both backends go through), and its plan is read back
// (EXPLAIN VERBOSE with the same values): each scan of an account-owned table must carry a
// condition on its account column, its own or a join's. Each transaction's write set is read
// back from the rows it left, by their xmin.
import { type SQL, sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Db, query } from '../src/db/client.js';
import { type Harness, startHarness } from './support/harness.js';
import { scenario } from './support/scenario.js';

let h: Harness;
beforeAll(async () => {
  // Batches of two accounts, so that one run has several account ranges.
  h = await startHarness({ billing: { batchAccounts: 2 } });
});
afterAll(() => h?.close());
const s = scenario(() => h);

interface Seen {
  step: string;
  text: string;
  values: unknown[];
}
/** The statements of one transaction, or one statement sent outside any. */
interface Transaction {
  step: string;
  statements: Seen[];
}
const statements: Seen[] = [];
const commits: { step: string; xid: string }[] = [];
const transactions: Transaction[] = [];
const open = new WeakMap<pg.Client, Transaction>();
let step: string | undefined;

// Every statement of every connection, and the transaction id of every commit, while a step runs.
type Query = (this: pg.Client, ...args: unknown[]) => Promise<{ rows: { xid: string | null }[] }>;
const original = pg.Client.prototype.query as unknown as Query;
beforeAll(() => {
  (pg.Client.prototype as unknown as { query: Query }).query = async function (this: pg.Client, ...args: unknown[]) {
    const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string } | undefined)?.text;
    if (step && text) {
      const at = step;
      const values = (Array.isArray(args[1]) ? args[1] : (args[0] as { values?: unknown[] } | undefined)?.values) ?? [];
      const seen = { step: at, text, values };
      statements.push(seen);
      if (/^\s*begin\b/i.test(text)) {
        const txn = { step: at, statements: [] };
        open.set(this, txn);
        transactions.push(txn);
      } else if (/^\s*commit\s*;?\s*$/i.test(text)) {
        const { rows } = await original.call(this, 'select txid_current_if_assigned()::text as xid');
        open.delete(this);
        if (rows[0]?.xid) commits.push({ step: at, xid: rows[0].xid });
      } else if (/^\s*rollback\b/i.test(text)) open.delete(this);
      else if (open.get(this)) open.get(this)!.statements.push(seen);
      else transactions.push({ step: at, statements: [seen] });
    }
    return original.apply(this, args);
  };
});
afterAll(() => {
  (pg.Client.prototype as unknown as { query: Query }).query = original;
});

/** Runs `work` as one named step, with everything it set off in the background. */
async function during<T>(name: string, work: () => Promise<T>): Promise<T> {
  step = name;
  try {
    const result = await work();
    await h.kassa.background.settled();
    return result;
  } finally {
    step = undefined;
  }
}

/** Tables whose rows belong to one account (distributed by it on Citus), with the column naming it. */
async function accountOwnedTables(db: Db): Promise<{ table: string; column: string }[]> {
  const rows = await query<{ table_name: string }>(
    db,
    sql`select table_name from information_schema.columns where table_schema = 'public' and column_name = 'account_id' order by table_name`,
  );
  return [{ table: 'accounts', column: 'id' }, ...rows.map((r) => ({ table: r.table_name, column: 'account_id' }))];
}

/** The accounts whose rows transaction `xid` wrote (and no later one rewrote). */
async function accountsWrittenBy(db: Db, xid: string): Promise<number[]> {
  const tables = await accountOwnedTables(db);
  const union = sql.join(
    tables.map(({ table, column }) => sql`select ${sql.raw(`"${column}"`)} as account from ${sql.raw(`"${table}"`)} where xmin::text = ${xid}`),
    sql` union `,
  );
  const rows = await query<{ account: bigint | number | null }>(db, sql`select distinct account from (${union}) written where account is not null order by account`);
  return rows.map((r) => Number(r.account));
}

describe('sharding by account (ADR 17)', () => {
  it('writes one account per transaction in account-scoped requests', async () => {
    const plan = await s.createPlan('24.00');
    const funded = async (amount: string) => {
      const { id } = await during('create account', () => s.createAccount());
      await during('top up', () => s.topUp(id, amount));
      return id;
    };
    const acme = await funded('10000');
    const globex = await funded('5000');
    await during('grant', () => h.call('POST', `/v1/accounts/${acme}/grants`, { kind: 'promotional', amount: '500', expires_in_days: 30, reason: 'welcome' }, { 'idempotency-key': 'sharding-grant' }));
    await during('subscribe', () => s.subscribe(acme, plan));
    await during('adjust', () => h.call('POST', `/v1/accounts/${globex}/adjustments`, { direction: 'credit', amount: '700', reason: 'goodwill' }, { 'idempotency-key': 'sharding-1' }));
    await during('read', async () => {
      for (const url of [`/v1/accounts/${acme}`, `/v1/accounts/${acme}/ledger`, `/v1/accounts/${acme}/subscriptions`, `/v1/accounts/${acme}/entitlements`, `/v1/accounts/${acme}/billing-history`, `/v1/accounts/${acme}/grants`]) {
        expect((await h.call('GET', url)).status, url).toBe(200);
      }
    });
    // Seen on the wire: every step's statements, and the transactions that wrote.
    expect(new Set(statements.map((st) => st.step))).toEqual(new Set(['create account', 'top up', 'grant', 'subscribe', 'adjust', 'read']));
    expect(commits.length).toBeGreaterThanOrEqual(6);
    const multi = [];
    for (const commit of commits) {
      const written = await accountsWrittenBy(h.kassa.db, commit.xid);
      if (written.length > 1) multi.push({ ...commit, written });
    }
    expect(multi).toEqual([]);
    // Every statement reaches each account-owned row it reads or writes through the account.
    const owned = new Map((await accountOwnedTables(h.kassa.db)).map((t) => [t.table, t.column]));
    const unreached: string[] = [];
    for (const st of statements.filter((st) => touchesOwned(st.text, owned))) {
      for (const scan of await unreachedScans(h.kassa.db, st, owned)) unreached.push(`${st.step}: ${scan}: ${oneLine(st.text)}`);
    }
    expect(unreached).toEqual([]);
  });
});

describe('the billing run on Citus (ADR 17)', () => {
  it('writes the accounts of one batch range per transaction, and reaches their rows through the range', async () => {
    const plan = await s.createPlan('24.00');
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) {
      const { id } = await s.createAccount();
      await s.topUp(id, '10000');
      if (i % 2 === 0) await h.call('POST', `/v1/accounts/${id}/grants`, { kind: 'promotional', amount: '500', expires_in_days: 1, reason: 'trial' }, { 'idempotency-key': `sharding-run-${i}` });
      await s.subscribe(id, plan);
      ids.push(id);
    }
    statements.length = 0;
    commits.length = 0;
    transactions.length = 0;
    await during('billing run', () => s.advanceTo('2026-11-03T00:00:00Z'));
    // Every statement of every batch transaction that reads or writes account-owned rows
    // reaches each of them through the batch's accounts: a condition on its account column,
    // against the range or co-located with another account-owned row (ADR 17).
    const batchTransactions = transactions.filter((t) => t.statements.some((st) => /^update "billing_run_batches" set "finished_at"/.test(st.text)));
    expect(batchTransactions.length).toBe(4);
    const owned = new Map((await accountOwnedTables(h.kassa.db)).map((t) => [t.table, t.column]));
    const unreached: string[] = [];
    for (const { statements: sent } of batchTransactions) {
      for (const st of sent.filter((st) => touchesOwned(st.text, owned))) {
        for (const scan of await unreachedScans(h.kassa.db, st, owned)) unreached.push(`${scan}: ${oneLine(st.text)}`);
      }
    }
    expect(unreached).toEqual([]);
    // Around the batches, the scheduled jobs of the run's tick look for what is due across every
    // account (multi-shard reads on Citus, each then acting on one account per transaction):
    // only the tables ADR 17 lists as swept.
    const swept = new Set<string>();
    for (const t of transactions.filter((t) => !batchTransactions.includes(t))) {
      for (const st of t.statements.filter((st) => touchesOwned(st.text, owned))) {
        for (const scan of await unreachedScans(h.kassa.db, st, owned)) swept.add(scan.split(' ')[0]!);
      }
    }
    expect(swept.size).toBeGreaterThan(0);
    expect([...swept].filter((table) => !SWEPT_ACROSS_ACCOUNTS.has(table))).toEqual([]);
    const batches = await query<{ after: bigint | number; through: bigint | number }>(h.kassa.db, sql`select after_account_id as after, through_account_id as through from billing_run_batches`);
    const inOneBatch = (written: number[]) => batches.some((b) => written.every((id) => id > Number(b.after) && id <= Number(b.through)));
    const spans: number[][] = [];
    for (const commit of commits) {
      const written = await accountsWrittenBy(h.kassa.db, commit.xid);
      if (written.length > 1) spans.push(written);
    }
    // Batches of two: transactions that wrote two accounts, each pair one batch's range.
    expect(spans.length).toBeGreaterThan(0);
    expect(spans.filter((written) => !inOneBatch(written))).toEqual([]);
  });
});

function touchesOwned(text: string, owned: Map<string, string>): boolean {
  return [...text.matchAll(/(?:from|join|update|into)\s+"?([a-z_]+)"?/gi)].some((m) => owned.has(m[1]!));
}

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim().slice(0, 200);

/** Tables the scheduled jobs sweep across accounts for what is due, as ADR 17 lists them. */
const SWEPT_ACROSS_ACCOUNTS = new Set([
  'subscriptions', // repricing at a boundary: the subscriptions of a plan version taking effect
  'top_ups', // pending top-ups past their expiry
  'auto_top_ups', // automatic top-ups to arm again or to start
  'usage_events', // the rating queue: ingested batches not rated yet
  'usage_unrated',
  'usage_reservations', // reservations past their expiry
  'credit_grants', // grants taking effect or expiring; a grant found by its id (a payment's reference)
  'budgets', // budgets whose day or month ended
  'outbox', // events to fan out to webhook endpoints, in order
  'webhook_deliveries', // deliveries due
  'mails', // mails to send
]);

/** A statement seen on the wire, again as a drizzle statement with its values in place of $n. */
function resent(st: Seen, prefix: string): SQL {
  const parts = st.text.split(/\$(\d+)/);
  return sql.join([sql.raw(prefix), ...parts.map((part, i) => (i % 2 === 0 ? sql.raw(part) : sql`${st.values[Number(part) - 1]}`))], sql``);
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  Alias?: string;
  'Parent Relationship'?: string;
  Plans?: PlanNode[];
  [condition: string]: unknown;
}
const CONDITIONS = ['Filter', 'Index Cond', 'Recheck Cond', 'Join Filter', 'Hash Cond', 'Merge Cond', 'TID Cond'];
const JOIN_CONDITIONS = ['Join Filter', 'Hash Cond', 'Merge Cond'];

/**
 * The scans of account-owned tables in the statement's plan with no condition on their account
 * column: neither one of their own nor one of the joins above them (up to a subquery's edge).
 */
async function unreachedScans(db: Db, st: Seen, owned: Map<string, string>): Promise<string[]> {
  const [row] = await query<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(db, resent(st, 'explain (verbose, format json) '));
  const found: string[] = [];
  const walk = (node: PlanNode, inherited: string[]) => {
    const relation = node['Relation Name'];
    const column = relation && owned.get(relation);
    if (column && node['Node Type'] !== 'ModifyTable') {
      const alias = node.Alias ?? relation;
      const conditions = [...inherited, ...CONDITIONS.map((c) => node[c]).filter((c): c is string => typeof c === 'string')];
      if (!conditions.some((c) => c.includes(`${alias}.${column}`))) found.push(`${relation} ${alias}`);
    }
    const joins = JOIN_CONDITIONS.map((c) => node[c]).filter((c): c is string => typeof c === 'string');
    for (const child of node.Plans ?? []) {
      const edge = child['Parent Relationship'] === 'SubPlan' || child['Parent Relationship'] === 'InitPlan';
      walk(child, edge ? [] : [...inherited, ...joins]);
    }
  };
  walk(row!['QUERY PLAN'][0]!.Plan, []);
  return found;
}
