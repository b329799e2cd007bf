// What sharding by account on Citus relies on (ADR 17), checked on the backend the suite runs
// on: every statement an account-scoped request or the billing run sends reaches account-owned
// rows through one account (or one batch's account range), and no transaction writes rows of
// two accounts except the documented ones. Every statement Kassa sends is seen here, on the
// wire (node-postgres' Client.query, which both backends go through); each transaction's write
// set is read back from the rows it left, by their xmin.
import { sql } from 'drizzle-orm';
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
}
const statements: Seen[] = [];
const commits: { step: string; xid: string }[] = [];
let step: string | undefined;

// Every statement of every connection, and the transaction id of every commit, while a step runs.
type Query = (this: pg.Client, ...args: unknown[]) => Promise<{ rows: { xid: string | null }[] }>;
const original = pg.Client.prototype.query as unknown as Query;
beforeAll(() => {
  (pg.Client.prototype as unknown as { query: Query }).query = async function (this: pg.Client, ...args: unknown[]) {
    const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string } | undefined)?.text;
    if (step && text) {
      const at = step;
      statements.push({ step: at, text });
      if (/^\s*commit\s*;?\s*$/i.test(text)) {
        const { rows } = await original.call(this, 'select txid_current_if_assigned()::text as xid');
        if (rows[0]?.xid) commits.push({ step: at, xid: rows[0].xid });
      }
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
    await during('subscribe', () => s.subscribe(acme, plan));
    await during('adjust', () => h.call('POST', `/v1/accounts/${globex}/adjustments`, { direction: 'credit', amount: '700', reason: 'goodwill' }, { 'idempotency-key': 'sharding-1' }));
    await during('read', async () => {
      for (const url of [`/v1/accounts/${acme}`, `/v1/accounts/${acme}/ledger`, `/v1/accounts/${acme}/subscriptions`, `/v1/accounts/${acme}/entitlements`, `/v1/accounts/${acme}/billing-history`]) {
        expect((await h.call('GET', url)).status, url).toBe(200);
      }
    });
    // Seen on the wire: every step's statements, and the transactions that wrote.
    expect(new Set(statements.map((st) => st.step))).toEqual(new Set(['create account', 'top up', 'subscribe', 'adjust', 'read']));
    expect(commits.length).toBeGreaterThanOrEqual(6);
    const multi = [];
    for (const commit of commits) {
      const written = await accountsWrittenBy(h.kassa.db, commit.xid);
      if (written.length > 1) multi.push({ ...commit, written });
    }
    expect(multi).toEqual([]);
    const owned = new Set((await accountOwnedTables(h.kassa.db)).map((t) => t.table));
    const unfiltered = statements.filter((st) => touchesOwned(st.text, owned) && !filtersOnAccount(st.text));
    expect(unfiltered.map((st) => `${st.step}: ${st.text.replace(/\s+/g, ' ').slice(0, 300)}`)).toEqual([]);
  });
});

describe('the billing run on Citus (ADR 17)', () => {
  it('writes the accounts of one batch range per transaction, and reaches their rows through the range', async () => {
    const plan = await s.createPlan('24.00');
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) {
      const { id } = await s.createAccount();
      await s.topUp(id, '10000');
      await s.subscribe(id, plan);
      ids.push(id);
    }
    statements.length = 0;
    commits.length = 0;
    await during('billing run', () => s.advanceTo('2026-11-03T00:00:00Z'));
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
    // The statements of the run's scheduled jobs sweep every account for what is due (cross-shard
    // reads on Citus); checking the batch statements' text alone is still to do (ADR 17, open).
  });
});

function touchesOwned(text: string, owned: Set<string>): boolean {
  return [...text.matchAll(/(?:from|join|update|into)\s+"?([a-z_]+)"?/gi)].some((m) => owned.has(m[1]!));
}

function filtersOnAccount(text: string): boolean {
  return /"?account_id"?\s*(=|in\b|= any)/i.test(text) || /"accounts"\."id"\s*=/i.test(text) || /^\s*insert\b/i.test(text);
}
