// Several processes on one PostgreSQL (SPEC 14, issue 11): two `kassa serve` and two
// `kassa work`, each its own Node process on the real clock. The workers start today's
// billing run over 40,000 accounts (200,000 subscriptions) at once and share its batches;
// meanwhile both APIs answer entitlement checks without an error. One worker is killed
// (SIGKILL) after the first batches are committed: the other finishes the run, and every
// subscription due today is charged exactly once or suspended, the ledger balanced. A block
// made through one API is refused by the other within a second (LISTEN/NOTIFY). An API told
// to stop (SIGTERM) while clients keep asking answers every request it took, none with a 5xx.
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../src/auth/api-keys.js';
import { type Database, openDatabase, query } from '../src/db/client.js';
import { verifyLedger } from '../src/ledger/verify.js';
import { startOfUtcDay } from '../src/time/periods.js';
import { seedBillingBench } from '../bench/seed-billing.js';
import { createTestDatabase } from './support/harness.js';
import { eventually, kassaProcesses } from './support/processes.js';

const postgres = Boolean(process.env.DATABASE_URL);
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
const kassa = kassaProcesses();

const ACCOUNTS = 40_000;
const PER_ACCOUNT = 5;

describe.runIf(postgres)('two API processes and two workers on one PostgreSQL', () => {
  it('bill one run together, survive a killed worker, share entitlement changes, and drain on SIGTERM', async () => {
    const database = await createTestDatabase();
    cleanups.push(database.drop);
    const db: Database = await openDatabase({ databaseUrl: database.url!, poolSize: 2 });
    cleanups.push(() => db.close());
    // The benchmark's accounts (every tenth short of funds), their plan granting `api`.
    await seedBillingBench(db.db, ACCOUNTS, PER_ACCOUNT);
    await query(db.db, sql`update plan_versions set definition = jsonb_set(definition::jsonb, '{features}', '["api"]')::json`);
    const { secret } = await createApiKey(db.db, 'multi-process', new Date());
    const env = { DATABASE_URL: database.url!, KASSA_BILLING_BATCH: '2000', KASSA_BILLING_CONCURRENCY: '1' };

    const apis = await Promise.all([kassa('serve', env), kassa('serve', env)]);
    const get = (api: number, account: number) =>
      fetch(`${apis[api]!.url}/v1/accounts/${account}/entitlements/api`, { headers: { authorization: `Bearer ${secret}` } });

    // Entitlement checks against both APIs, from before the workers start until the run is done.
    const answers = new Map<number, number>();
    let checking = true;
    const checks = (async () => {
      for (let i = 0; checking; i++) {
        const replies = await Promise.all([0, 1].map((api) => get(api, 1 + ((i * 7919 + api) % ACCOUNTS)).catch(() => undefined)));
        for (const reply of replies) {
          const status = reply?.status ?? 0;
          answers.set(status, (answers.get(status) ?? 0) + 1);
          await reply?.arrayBuffer();
        }
      }
    })();

    const workers = await Promise.all([kassa('work', env), kassa('work', env)]);
    const today = startOfUtcDay(new Date());
    // Killed once both have started billing and some batches are committed, before the end.
    const finishedBatches = async () => Number((await query<{ n: bigint }>(db.db, sql`select count(*) as n from billing_run_batches where finished_at is not null`))[0]!.n);
    await eventually(async () => ((await finishedBatches()) >= 2 ? true : undefined), 60_000);
    workers[0]!.child.kill('SIGKILL');
    const atKill = await finishedBatches();
    const [run] = await eventually(async () => {
      const rows = await query<{ status: string; billed: bigint; suspended: bigint }>(db.db, sql`select status, billed, suspended from billing_runs where boundary = ${today}`);
      return rows[0]?.status === 'completed' ? rows : undefined;
    }, 120_000);
    checking = false;
    await checks;
    expect(atKill).toBeLessThan(ACCOUNTS / 2000); // the run was not over when the worker died

    // Every due subscription charged once, or suspended for want of funds; nothing twice.
    const [outcome] = await query<{ subscriptions: bigint; charged: bigint; suspended: bigint; wrong: bigint }>(
      db.db,
      sql`select count(*) as subscriptions,
                 count(*) filter (where p.n = 1) as charged,
                 count(*) filter (where s.status = 'suspended' and p.n = 0) as suspended,
                 count(*) filter (where p.n <> case when s.status = 'suspended' then 0 else 1 end) as wrong
          from subscriptions s
          cross join lateral (select count(*) as n from ledger_postings p
                              where p.account_id = s.account_id and p.subscription_id = s.id and p.billed_period_start = ${today}) p`,
    );
    expect(Number(outcome!.subscriptions)).toBe(ACCOUNTS * PER_ACCOUNT);
    expect(Number(outcome!.wrong)).toBe(0);
    expect(Number(outcome!.charged) + Number(outcome!.suspended)).toBe(ACCOUNTS * PER_ACCOUNT);
    expect(Number(run!.billed)).toBe(Number(outcome!.charged));
    expect(Number(run!.suspended)).toBe(Number(outcome!.suspended));
    expect(Number(outcome!.suspended)).toBeGreaterThan(0); // the accounts short of funds
    expect((await verifyLedger(db.db)).ok).toBe(true);
    expect(workers[1]!.output()).not.toMatch(/"level":(50|60)/);
    // The checks while the run went on: answered, every one.
    expect([...answers.keys()]).toEqual([200]);
    expect(answers.get(200)!).toBeGreaterThan(100);

    // A block through one API is refused by the other within a second.
    const watched = 11; // funded (not a tenth account), so allowed until blocked
    expect(await (await get(1, watched)).json()).toMatchObject({ allowed: true });
    const blocked = await fetch(`${apis[0]!.url}/v1/accounts/${watched}/block`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'fraud review' }),
    });
    expect(blocked.status).toBe(200);
    const since = performance.now();
    const refused = await eventually(async () => {
      const body = (await (await get(1, watched)).json()) as { allowed: boolean; reason?: string };
      return body.allowed ? undefined : body;
    }, 5_000);
    expect(performance.now() - since).toBeLessThan(1_000);
    expect(refused).toMatchObject({ allowed: false, reason: 'account_blocked' });

    // SIGTERM while eight clients keep asking: each answered 200 until the process stops
    // taking connections, none with a 5xx.
    const stopping = apis[1]!;
    const exited = new Promise<number | null>((resolve) => stopping.child.once('exit', resolve));
    const statuses: number[] = [];
    const client = async (from: number) => {
      for (let i = from; ; i += 8) {
        const reply = await get(1, 1 + (i % ACCOUNTS)).catch(() => undefined);
        if (!reply) return;
        statuses.push(reply.status);
        await reply.arrayBuffer();
        if (statuses.length === 100) stopping.child.kill('SIGTERM');
      }
    };
    await Promise.all(Array.from({ length: 8 }, (_, i) => client(i)));
    expect(await exited).toBe(0);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(statuses.length).toBeGreaterThanOrEqual(100);
  }, 240_000);
});
