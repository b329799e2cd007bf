// One step of the billing benchmark in its own process, so its peak RSS is its own:
//   seed DIR|URL accounts perAccount   -> creates the data
//   run  DIR|URL [batches]             -> times one full daily billing run, prints JSON; on
//                                         PostgreSQL with `batches` workers side by side
//                                         (KASSA_BILLING_CONCURRENCY, default 2)
//   serve-run DIR|URL seconds          -> the next day's run while the HTTP server answers
//                                         entitlement checks for that long (the undisturbed
//                                         run's time, so every check falls within the run)
import autocannon from 'autocannon';
import { sql } from 'drizzle-orm';
import { buildApp } from '../src/app.js';
import { createApiKey } from '../src/auth/api-keys.js';
import { runBillingAt } from '../src/billing/run.js';
import { SimulatedClock } from '../src/time/clock.js';
import { defaultBillingSettings } from '../src/config.js';
import { query } from '../src/db/client.js';
import { verifyLedger } from '../src/ledger/verify.js';
import type { Kassa } from '../src/context.js';
import { openKassa } from '../src/kassa.js';
import { randomChecks } from './entitlements.js';
import { BENCH_BOUNDARY, seedBillingBench } from './seed-billing.js';

const [step, target, accounts, perAccount] = process.argv.slice(2);
const where = target!.startsWith('postgres') ? { databaseUrl: target } : { dataDir: target };
const concurrentBatches = step === 'run' && accounts ? Number(accounts) : defaultBillingSettings.concurrentBatches;
const { kassa, database } = await openKassa({ ...where, clock: 'simulated', clockStart: BENCH_BOUNDARY, billing: { ...defaultBillingSettings, concurrentBatches }, poolSize: concurrentBatches + 2 });

if (step === 'seed') {
  await seedBillingBench(kassa.db, Number(accounts), Number(perAccount));
} else if (step === 'serve-run') {
  console.log(JSON.stringify(await checksDuringRun(kassa, Number(accounts))));
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
      concurrent_batches: kassa.backend === 'pglite' ? 1 : concurrentBatches,
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

/**
 * The provider's product keeps asking "may this account do X?" while the nightly run bills:
 * a real server on loopback answers entitlement checks (autocannon in a worker thread) while
 * the next day's run goes on, and the latency it saw is what a run costs the product. The load
 * lasts as long as the undisturbed run took (autocannon's worker mode cannot be stopped early),
 * and a run under load is no faster, so the checks fall within the run.
 */
async function checksDuringRun(kassa: Kassa, seconds: number) {
  const app = await buildApp(kassa);
  const day = new Date(BENCH_BOUNDARY.getTime() + 86_400_000);
  (kassa.clock as SimulatedClock).set(day);
  const { secret } = await createApiKey(kassa.db, 'bench', day);
  const ids = (await query<{ id: bigint }>(kassa.db, sql`select id from accounts order by random() limit 1000`)).map((row) => Number(row.id));
  for (const id of ids) await kassa.entitlements.get(kassa.db, id);
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  // The product has been calling all along: its key is known before the run starts.
  const warm = await fetch(`${address}/v1/accounts/${ids[0]}/entitlements/api`, { headers: { authorization: `Bearer ${secret}` } });
  if (warm.status !== 200) throw new Error(`entitlement check answered ${warm.status}`);
  const answered = autocannon({
    url: address,
    connections: 10,
    duration: Math.max(1, Math.floor(seconds)),
    workers: 1,
    headers: { authorization: `Bearer ${secret}` },
    requests: randomChecks(ids),
  });
  const started = process.hrtime.bigint();
  const run = await runBillingAt(kassa, day);
  const runSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const result = await answered;
  await app.close();
  return {
    run_seconds: runSeconds,
    load_seconds: result.duration,
    billed: run.billed,
    checks: result.requests.total,
    checks_per_second: Math.floor(result.requests.total / result.duration),
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
    max_ms: result.latency.max,
    errors: result.errors + result.timeouts + result.non2xx,
  };
}
