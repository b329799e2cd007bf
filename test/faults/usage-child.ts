// Usage rating in its own process, for the crash test: seeds (when asked) metered services, a
// plan pricing them, accounts on it and kept usage batches; then rates in steps of 20 batches
// (taken 10 at a time) and groups of 50 accounts, printing a line after each committed
// transaction so the parent knows when to kill it.
import { sql } from 'drizzle-orm';
import { defaultBillingSettings } from '../../src/config.js';
import { openKassa } from '../../src/kassa.js';
import { ingestUsage } from '../../src/usage/ingest.js';
import { chargeAccounts, takeBatches, unratedAccounts } from '../../src/usage/rate-batch.js';

const METERS = ['emails', 'sms', 'storage'];

const [step, target, now, accounts, batches] = process.argv.slice(2);
const USAGE_CRASH_NOW = new Date(now!);
{
  const where = target!.startsWith('postgres') ? { databaseUrl: target } : { dataDir: target };
  const { kassa, database } = await openKassa({ ...where, clock: 'simulated', clockStart: USAGE_CRASH_NOW, billing: defaultBillingSettings });
  if (step === 'seed') {
    const created = '2026-12-01T00:00:00Z';
    const definition = JSON.stringify({
      base_price: '0',
      items: [],
      quotas: {},
      features: [],
      meters: [
        { meter: 'emails', tier_mode: 'flat', unit_price: '0.0013', included: 0, free_once: 2500 },
        { meter: 'sms', tier_mode: 'graduated', tiers: [{ up_to: 500, unit_price: '0.07' }, { up_to: null, unit_price: '0.045' }], included: 100, free_once: 0 },
        { meter: 'storage', tier_mode: 'flat', unit_price: '0.00031', included: 0, free_once: 0 },
      ],
    });
    for (const statement of [
      `insert into services (code, name, unit, meter_aggregation, meter_decimals, created_at) values
         ('emails', 'E-mails', 'e-mail', 'sum', 0, '${created}'), ('sms', 'SMS', 'message', 'sum', 0, '${created}'), ('storage', 'Storage', 'GB-hour', 'sum', 3, '${created}')`,
      `insert into plans (code, name, kind, cadence, timing, created_at) values ('usage', 'Usage', 'preset', 'monthly', 'in_advance', '${created}')`,
      `insert into plan_versions (plan_id, version, currency, effective_from, definition, created_at) values (1, 1, 'EUR', '${created}', '${definition}', '${created}')`,
      `insert into accounts (name, currency, type, status, created_at) select 'usage ' || a, 'EUR', 'billing', 'active', '${created}' from generate_series(1, ${accounts}) a`,
      `insert into subscriptions (account_id, plan_id, plan_version_id, status, cadence, timing, anchor_day, quantities, period_amount, created_at, status_changed_at)
         select id, 1, 1, 'active', 'monthly', 'in_advance', 1, '{}'::jsonb, 0, '${created}', '${created}' from accounts`,
    ]) {
      await kassa.db.execute(sql.raw(statement));
    }
    let n = 0;
    for (let b = 0; b < Number(batches); b++) {
      const events = Array.from({ length: 200 }, () => {
        n++;
        const meter = METERS[n % 3]!;
        const quantity = meter === 'storage' ? `${(n * 7919) % 100}.${n % 1000}` : String(1 + ((n * 104729) % 400));
        const at = new Date(USAGE_CRASH_NOW.getTime() - ((n * 37) % (2 * 86_400)) * 1000);
        return { id: `ev-${n}`, account_id: 1 + ((n * 31) % Number(accounts)), meter, quantity, timestamp: at.toISOString() };
      });
      await ingestUsage(kassa, events);
    }
  } else {
    for (;;) {
      let took = 0;
      for (let taken = await takeBatches(kassa.db, kassa.clock.now(), 10); taken.batches > 0; taken = took < 20 ? await takeBatches(kassa.db, kassa.clock.now(), 10) : { batches: 0, events: 0 }) {
        took += taken.batches;
        console.log(`committed: took ${taken.batches} batches`);
      }
      if (took === 0) break;
      const unrated = await unratedAccounts(kassa.db);
      for (let from = 0; from < unrated.length; from += 50) {
        const group = await chargeAccounts(kassa, unrated.slice(from, from + 50));
        console.log(`committed: charged ${group.accountIds.length} accounts`);
      }
    }
    console.log('rating completed');
  }
  await database.close();
}
