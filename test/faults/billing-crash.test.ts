// "A run that was interrupted resumes where it stopped" and "no period is billed twice,
// whatever crashes happen" (SPEC 5, 15): a real process running the billing run is killed
// with SIGKILL half way; a rerun completes it with every due subscription charged once.
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { runBillingAt } from '../../src/billing/run.js';
import { defaultBillingSettings } from '../../src/config.js';
import { query } from '../../src/db/client.js';
import { verifyLedger } from '../../src/ledger/verify.js';
import { openKassa } from '../../src/kassa.js';
import { BENCH_BOUNDARY } from '../../bench/seed-billing.js';
import { crashTargets, killAfter, TS_CHILD } from './crash-support.js';

const ACCOUNTS = 3000; // x 5 subscriptions, 30 batches of 100 accounts
const child = join(import.meta.dirname, 'billing-child.ts');
const target = crashTargets('kassa-crash-');

describe('a billing run killed half way', () => {
  it('is completed by the rerun, every due subscription charged exactly once', async () => {
    const where = await target();
    execFileSync(process.execPath, [...TS_CHILD, child, 'seed', where, String(ACCOUNTS)], { stdio: 'inherit' });

    const proc = spawn(process.execPath, [...TS_CHILD, child, 'run', where], { stdio: ['ignore', 'pipe', 'inherit'] });
    const batchesBeforeKill = await killAfter(proc, 'batch committed', 5);
    expect(batchesBeforeKill).toBeGreaterThanOrEqual(5);

    const { kassa, database } = await openKassa({
      ...(where.startsWith('postgres') ? { databaseUrl: where } : { dataDir: where }),
      clock: 'simulated',
      clockStart: BENCH_BOUNDARY,
      billing: { ...defaultBillingSettings, batchAccounts: 100 },
    });
    try {
      const [before] = await query<{ status: string; cursor: bigint; billed: bigint }>(
        kassa.db,
        sql`select status, cursor_account_id as cursor, billed from billing_runs`,
      );
      expect(before!.status).toBe('running'); // killed, not finished
      expect(Number(before!.cursor)).toBeGreaterThan(0);
      expect(Number(before!.cursor)).toBeLessThan(ACCOUNTS);

      const run = await runBillingAt(kassa, BENCH_BOUNDARY);
      expect(run.status).toBe('completed');

      const [counts] = await query<{ periods: bigint; distinct_subs: bigint; subs: bigint; suspended: bigint }>(
        kassa.db,
        sql`select (select count(*) from ledger_postings where billed_period_start = ${BENCH_BOUNDARY}) as periods,
                   (select count(distinct subscription_id) from ledger_postings where billed_period_start = ${BENCH_BOUNDARY}) as distinct_subs,
                   (select count(*) from subscriptions) as subs,
                   (select count(*) from subscriptions where status = 'suspended') as suspended`,
      );
      // every subscription was either charged once for the boundary or suspended, none twice
      expect(counts!.periods).toBe(counts!.distinct_subs);
      expect(counts!.periods + counts!.suspended).toBe(counts!.subs);
      expect(Number(run.billed)).toBe(Number(counts!.periods));
      // the same outcome as the reference run on this data (3000 accounts): 13,842 charged, 1,158 suspended
      expect(counts!.periods).toBe(13_842n);
      expect(counts!.suspended).toBe(1_158n);
      expect((await verifyLedger(kassa.db)).ok).toBe(true);

      const again = await runBillingAt(kassa, BENCH_BOUNDARY);
      expect(again.billed).toBe(run.billed); // a completed run does nothing more
    } finally {
      await database.close();
    }
  }, 180_000);
});
