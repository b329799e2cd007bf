// "Rating is exactly once" (SPEC 7, issue 8): a real process rating kept usage is killed with
// SIGKILL half way; rating again in another process charges every event once, none twice,
// and the charges come to exactly what rating all the usage at once does.
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { MeterPrice, PlanDefinition } from '../../src/catalog/plan-definition.js';
import { defaultBillingSettings } from '../../src/config.js';
import { query } from '../../src/db/client.js';
import { verifyLedger } from '../../src/ledger/verify.js';
import { openKassa } from '../../src/kassa.js';
import { Exact } from '../../src/money/money.js';
import { rateUsage } from '../../src/usage/rate.js';
import { rateUsageBatches } from '../../src/usage/rate-batch.js';
import { crashTargets, killAfter, TS_CHILD } from './crash-support.js';

const USAGE_CRASH_NOW = new Date('2026-12-10T12:00:00Z');
const ACCOUNTS = 300;
const BATCHES = 100; // of 200 events: 5 steps of 20 batches in the child, each charging 300 accounts in 6 groups
const child = join(import.meta.dirname, 'usage-child.ts');
const target = crashTargets('kassa-usage-crash-');

describe('usage rating killed half way', () => {
  it('is finished by the next rater, every event charged exactly once', async () => {
    const where = await target();
    execFileSync(process.execPath, [...TS_CHILD, child, 'seed', where, USAGE_CRASH_NOW.toISOString(), String(ACCOUNTS), String(BATCHES)], { stdio: 'inherit' });

    const proc = spawn(process.execPath, [...TS_CHILD, child, 'rate', where, USAGE_CRASH_NOW.toISOString()], { stdio: ['ignore', 'pipe', 'inherit'] });
    // Killed inside the first step: its batches taken, some of its accounts charged, the rest not.
    const committed = await killAfter(proc, 'committed', 5);
    expect(committed).toBeGreaterThanOrEqual(5);

    const { kassa, database } = await openKassa({
      ...(where.startsWith('postgres') ? { databaseUrl: where } : { dataDir: where }),
      clock: 'simulated',
      clockStart: USAGE_CRASH_NOW,
      billing: defaultBillingSettings,
    });
    try {
      const [left] = await query<{ unrated: bigint; untaken: bigint }>(
        kassa.db,
        sql`select (select count(distinct account_id) from usage_unrated) as unrated, (select count(*) from usage_batches where rated_at is null) as untaken`,
      );
      expect(Number(left!.unrated)).toBeGreaterThan(0); // killed, not finished
      expect(Number(left!.untaken)).toBeGreaterThan(0);
      expect(Number(left!.untaken)).toBeLessThan(BATCHES);

      expect(await rateUsageBatches(kassa)).toBeGreaterThan(0);
      const [unrated] = await query<{ n: bigint }>(kassa.db, sql`select (select count(*) from usage_batches where rated_at is null) + (select count(*) from usage_unrated) as n`);
      expect(Number(unrated!.n)).toBe(0);

      // What all the usage costs rated at once, account by account, against the ledger's usage charges.
      const [version] = await query<{ definition: PlanDefinition }>(kassa.db, sql`select definition from plan_versions`);
      const prices = new Map((version!.definition.meters as MeterPrice[]).map((m) => [m.meter, m]));
      const usage = await query<{ account_id: string; meter: string; day: string; quantity: string }>(
        kassa.db,
        sql`select account_id::text, meter, to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD') as day, sum(quantity)::text as quantity from usage_events group by 1, 2, 3`,
      );
      const charged = await query<{ account_id: string; charged: string; charges: string }>(
        kassa.db,
        sql`select account_id::text, (-sum(customer_amount))::text as charged, count(*)::text as charges from ledger_transactions where kind = 'usage_charge' group by 1`,
      );
      const chargedOf = new Map(charged.map((c) => [c.account_id, BigInt(c.charged)]));
      const expected = new Map<string, bigint>();
      for (const accountId of new Set(usage.map((u) => u.account_id))) {
        const days = usage.filter((u) => u.account_id === accountId).map((u) => ({ meter: u.meter, day: u.day, quantity: new Exact(u.quantity) }));
        expected.set(accountId, rateUsage({ currency: 'EUR', prices, months: new Map(), freeOnceUsed: new Map() }, days).total);
      }
      expect(expected.size).toBe(ACCOUNTS);
      for (const [accountId, total] of expected) expect(chargedOf.get(accountId) ?? 0n, `account ${accountId}`).toBe(total);
      // no account was charged more often than there were steps: the child's first, then one after
      expect(Math.max(...charged.map((c) => Number(c.charges)))).toBeLessThanOrEqual(2);
      expect((await verifyLedger(kassa.db)).ok).toBe(true);
    } finally {
      await database.close();
    }
  }, 180_000);
});
