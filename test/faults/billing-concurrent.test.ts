// "No period is ever billed twice, and none is skipped, whatever concurrent writes happen"
// (SPEC 5, 15), on PostgreSQL, where other connections write while a batch runs. Two operator
// top-ups, written but not yet committed, hold account rows while the billing run's batch
// statements reach them: the in-advance one meets Globex's row, the in-arrears one Acme's.
// Each statement leaves the account it found changed and charges it again on the new balance;
// every due day is charged exactly once. (PGlite has one connection: nothing runs beside a batch.)
// 2026-11-02 is a Monday; both plans cost 24.00 a day (2400 minor units, 100 an hour).
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Db, query } from '../../src/db/client.js';
import { postLedgerTransaction } from '../../src/ledger/post.js';
import { type Harness, startHarness } from '../support/harness.js';
import { type Scenario, scenario } from '../support/scenario.js';

describe.skipIf(!process.env.DATABASE_URL)('a billing batch with concurrent writes to its accounts (PostgreSQL)', () => {
  let h: Harness;
  let s: Scenario;
  const holders: pg.Client[] = [];

  beforeAll(async () => {
    h = await startHarness({ clockStart: '2026-11-02T10:00:00Z' });
    s = scenario(h);
  });
  afterAll(async () => {
    for (const holder of holders) await holder.end();
    await h.close();
  });

  /** An operator top-up whose transaction has written everything and holds the account row until `commit`. */
  async function pendingTopUp(accountId: number, amount: bigint) {
    const client = new pg.Client({ connectionString: h.databaseUrl });
    holders.push(client);
    await client.connect();
    const db = drizzle(client) as unknown as Db;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let written!: (xid: string) => void;
    const xid = new Promise<string>((resolve) => (written = resolve));
    const done = db.transaction(async (txn) => {
      const tx = txn as unknown as Db;
      const postings = [{ ledgerAccount: 'customer' as const, amount }, { ledgerAccount: 'adjustments' as const, amount: -amount }];
      await postLedgerTransaction(tx, { accountId, kind: 'adjustment', description: 'top-up racing the run', postings, at: h.kassa.clock.now() });
      const [row] = await query<{ xid: string }>(tx, sql`select (pg_current_xact_id()::text::bigint % 4294967296)::text as xid`);
      written(row!.xid);
      await gate;
    });
    return { xid: await xid, commit: () => (release(), done) };
  }

  /** Resolves once some statement waits for this transaction's row lock (bounded: 20 s). */
  async function blockedOn(xid: string): Promise<void> {
    const watcher = new pg.Client({ connectionString: h.databaseUrl });
    await watcher.connect();
    try {
      for (const deadline = Date.now() + 20_000; Date.now() < deadline; ) {
        const { rows } = await watcher.query(`select 1 from pg_locks where not granted and locktype = 'transactionid' and transactionid::text = $1`, [xid]);
        if (rows.length > 0) return;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      throw new Error(`nothing waited for transaction ${xid}`);
    } finally {
      await watcher.end();
    }
  }

  it('charges every due day exactly once, on the balance the concurrent top-up left', async () => {
    const arrearsPlan = await s.createPlan('24.00', { timing: 'in_arrears' });
    const advancePlan = await s.createPlan('24.00');
    const acme = (await s.createAccount()).id;
    await s.topUp(acme, '10000');
    const acmeSub = (await s.subscribe(acme, arrearsPlan)).subscription.id; // nothing now: paid after the day
    const globex = (await s.createAccount()).id;
    await s.topUp(globex, '10000');
    const globexSub = (await s.subscribe(globex, advancePlan)).subscription.id; // 1400 now: 10:00-24:00 is 14/24 of 2400
    await s.advanceTo('2026-11-02T23:00:00Z');

    const globexTopUp = await pendingTopUp(globex, 1000n);
    const acmeTopUp = await pendingTopUp(acme, 1000n);
    const advancing = s.advanceTo('2026-11-03T00:00:00Z');
    await blockedOn(globexTopUp.xid); // the in-advance statement waits for Globex's row
    await globexTopUp.commit();
    await blockedOn(acmeTopUp.xid); // then the in-arrears statement for Acme's
    await acmeTopUp.commit();
    const [run] = await advancing;

    expect(run).toMatchObject({ status: 'completed', billed: 2, suspended: 0, total_charged: '4800' }); // 2400 + 2400
    expect(await s.chargesOf(acme, acmeSub)).toEqual([['2026-11-02T00:00:00.000Z', '2400']]); // Nov 2, used from 10:00
    expect(await s.chargesOf(globex, globexSub)).toEqual([
      ['2026-11-02T00:00:00.000Z', '1400'],
      ['2026-11-03T00:00:00.000Z', '2400'],
    ]);
    expect(await s.balanceOf(acme)).toBe('8600'); // 10000 + 1000 - 2400
    expect(await s.balanceOf(globex)).toBe('7200'); // 10000 - 1400 + 1000 - 2400
    await s.expectLedgerConsistent(acme, globex);
  });
});
