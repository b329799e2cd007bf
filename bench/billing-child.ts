// One step of the billing benchmark in its own process, so its peak RSS is its own:
//   seed DIR|URL accounts perAccount   -> creates the data
//   run  DIR|URL                       -> times one full daily billing run, prints JSON
import { sql } from 'drizzle-orm';
import { runBillingAt } from '../src/billing/run.js';
import { SimulatedClock } from '../src/clock/clock.js';
import { defaultBillingSettings } from '../src/config.js';
import { query } from '../src/db/client.js';
import { verifyLedger } from '../src/ledger/verify.js';
import { openKassa } from '../src/kassa.js';
import { BENCH_BOUNDARY, seedBillingBench } from './seed-billing.js';

const [step, target, accounts, perAccount] = process.argv.slice(2);
const where = target!.startsWith('postgres') ? { databaseUrl: target } : { dataDir: target };
const { kassa, database } = await openKassa({ ...where, clock: 'simulated', clockStart: BENCH_BOUNDARY, billing: defaultBillingSettings });

if (step === 'seed') {
  await seedBillingBench(kassa.db, Number(accounts), Number(perAccount));
} else {
  (kassa.clock as SimulatedClock).set(BENCH_BOUNDARY);
  const started = process.hrtime.bigint();
  const run = await runBillingAt(kassa, BENCH_BOUNDARY);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const peakRssMb = Math.ceil(process.resourceUsage().maxRSS / 1024);
  const [counts] = await query<{ due: bigint }>(kassa.db, sql`select count(*) as due from subscriptions`);
  const verified = await verifyLedger(kassa.db);
  console.log(
    JSON.stringify({
      subscriptions: Number(counts!.due),
      billed: run.billed,
      suspended: run.suspended,
      total_charged: run.totalCharged.toString(),
      seconds,
      peak_rss_mb: peakRssMb,
      ledger_ok: verified.ok,
      failed_checks: verified.checks.filter((c) => !c.ok).map((c) => c.name),
    }),
  );
}
await database.close();
