// The daily run's batches (ADR 0014): accounts are handed out a range at a time and billed
// side by side, by several workers of one process and by several processes (PostgreSQL; PGlite
// bills one batch at a time), and a batch whose worker died is billed by the next run. Every
// due subscription is charged once or suspended, the same outcome as the reference program on
// the benchmark's data (3,000 accounts x 5 subscriptions: 13,842 charged, 1,158 suspended).
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { type BillingRun, runBillingAt } from '../src/billing/run.js';
import { defaultBillingSettings } from '../src/config.js';
import { type Db, query } from '../src/db/client.js';
import { verifyLedger } from '../src/ledger/verify.js';
import { openKassa } from '../src/kassa.js';
import { BENCH_BOUNDARY, seedBillingBench } from '../bench/seed-billing.js';
import { createTestDatabase } from './support/harness.js';

const ACCOUNTS = 3000; // 30 batches of 100 accounts
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function seededKassas(processes: number, concurrentBatches: number) {
  const database = await createTestDatabase();
  closers.push(database.drop);
  const open = async () => {
    const opened = await openKassa({
      databaseUrl: database.url,
      dataDir: 'memory://',
      loadDataDir: database.loadDataDir,
      poolSize: concurrentBatches + 1,
      clock: 'simulated',
      clockStart: BENCH_BOUNDARY,
      billing: { ...defaultBillingSettings, batchAccounts: 100, concurrentBatches },
    });
    closers.push(() => opened.database.close());
    return opened.kassa;
  };
  const first = await open();
  await seedBillingBench(first.db, ACCOUNTS, 5);
  const others = [];
  for (let i = 1; i < processes; i++) others.push(await open());
  return [first, ...others];
}

/** Every due subscription charged once or suspended, as the reference does it, and the ledger balanced. */
async function expectBilledOnce(db: Db, run: BillingRun) {
  const [counts] = await query<{ periods: bigint; distinct_subs: bigint; suspended: bigint }>(
    db,
    sql`select (select count(*) from ledger_postings where billed_period_start = ${BENCH_BOUNDARY}) as periods,
               (select count(distinct subscription_id) from ledger_postings where billed_period_start = ${BENCH_BOUNDARY}) as distinct_subs,
               (select count(*) from subscriptions where status = 'suspended') as suspended`,
  );
  expect(counts!.periods).toBe(counts!.distinct_subs);
  expect(counts!.periods).toBe(13_842n);
  expect(counts!.suspended).toBe(1_158n);
  expect(run.status).toBe('completed');
  expect(Number(run.billed)).toBe(13_842);
  expect(Number(run.suspended)).toBe(1_158);
  expect((await verifyLedger(db)).ok).toBe(true);
}

/** The run's batches, in account order: (0, 100], (100, 200], ... each finished, none overlapping, the last ending at the last account. */
async function expectBatchesCoverEveryAccount(db: Db, runId: number) {
  const batches = await query<{ after: bigint; through: bigint; finished: boolean }>(
    db,
    sql`select after_account_id as after, through_account_id as through, finished_at is not null as finished
        from billing_run_batches where run_id = ${runId} order by after_account_id`,
  );
  const [last] = await query<{ id: bigint }>(db, sql`select max(id) as id from accounts`);
  expect(batches).toHaveLength(ACCOUNTS / 100);
  expect(batches.every((b) => b.finished)).toBe(true);
  expect(Number(batches[0]!.after)).toBe(0);
  for (let i = 1; i < batches.length; i++) expect(batches[i]!.after).toBe(batches[i - 1]!.through);
  expect(batches.at(-1)!.through).toBe(last!.id);
}

describe('the billing run in batches', () => {
  it('batches billed side by side, three workers in each of two processes, charge every due subscription once', async () => {
    // PGlite has one session for one process: one worker bills every batch in turn.
    const processes = process.env.DATABASE_URL ? 2 : 1;
    const kassas = await seededKassas(processes, 3);
    const committed: number[] = [];
    const runs = await Promise.all(kassas.map((kassa) => runBillingAt(kassa, BENCH_BOUNDARY, { onBatchCommitted: (run) => committed.push(run.id) })));
    expect(committed).toHaveLength(ACCOUNTS / 100); // each batch billed by exactly one worker
    expect(new Set(runs.map((r) => r.id)).size).toBe(1);
    const done = runs.find((r) => r.status === 'completed')!;
    await expectBilledOnce(kassas[0]!.db, done);
    await expectBatchesCoverEveryAccount(kassas[0]!.db, done.id);

    const again = await runBillingAt(kassas[0]!, BENCH_BOUNDARY);
    expect(again.billed).toBe(done.billed); // a completed run does nothing more
  }, 120_000);

  it('a batch claimed by a worker that died before it committed is billed by the next run', async () => {
    const [kassa] = await seededKassas(1, 2);
    // What a dead worker leaves: the run open, its batch claimed (the cursor moved past it) and not finished.
    const [edge] = await query<{ id: bigint }>(kassa!.db, sql`select id from accounts order by id offset 99 limit 1`);
    const [opened] = await query<{ id: bigint }>(
      kassa!.db,
      sql`insert into billing_runs (boundary, status, started_at, cursor_account_id) values (${BENCH_BOUNDARY}, 'running', ${BENCH_BOUNDARY}, ${edge!.id}) returning id`,
    );
    await query(kassa!.db, sql`insert into billing_run_batches (run_id, after_account_id, through_account_id) values (${opened!.id}, 0, ${edge!.id})`);

    const run = await runBillingAt(kassa!, BENCH_BOUNDARY);
    await expectBilledOnce(kassa!.db, run);
    await expectBatchesCoverEveryAccount(kassa!.db, run.id);
  }, 120_000);
});
