// Entitlement checks over HTTP, the provider's hot path: a real Kassa server on loopback,
// N seeded accounts, autocannon asking random accounts about random features.
//   npx tsx bench/entitlements.ts [--backend pglite|postgres] [--seconds 10] [--accounts 1000] [--connections 10]
// prints one JSON line. The load runs in an autocannon worker thread so the server keeps
// the main thread (this machine has 2 cores).
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { sql } from 'drizzle-orm';
import { EntitlementCache, createKassaClient } from '../packages/client/src/index.js';
import { buildApp } from '../src/app.js';
import { scratchTarget } from './scratch.js';
import { createApiKey } from '../src/auth/api-keys.js';
import { defaultBillingSettings } from '../src/config.js';
import { type Db, query } from '../src/db/client.js';
import { openKassa } from '../src/kassa.js';

export interface EntitlementBenchOptions {
  backend: 'pglite' | 'postgres';
  /** PostgreSQL server to use (a scratch database is created there and dropped after). */
  databaseUrl?: string;
  accounts?: number;
  seconds?: number;
  connections?: number;
}

export interface EntitlementBenchResult {
  backend: 'pglite' | 'postgres';
  checks_per_second: number;
  p50_ms: number;
  p99_ms: number;
  requests: number;
  errors: number;
  /** CPU time of the server's thread per check: what the figures above cost, whatever else runs. */
  server_cpu_us_per_check: number | null;
  /** Database loads during the measured run (0 in steady state). */
  cache_misses: number;
  /** 1-minute load average when the run ended: on a shared machine, read the figures with it. */
  load_average_1m: number;
  /** The same checks answered by @kassa/client's cache in this process, after one load per account. */
  in_process: InProcessChecks;
}

export interface InProcessChecks {
  checks_per_second: number;
  /** Each check timed alone (performance.now() around it, its own cost included). */
  p50_us: number;
  p99_us: number;
  /** HTTP loads the cache made: one per account, none while measured. */
  loads: number;
  /** In-process checks per second over HTTP checks per second. */
  times_http: number;
}

const IN_PROCESS_CHECKS = 5_000_000;
const TIMED_CHECKS = 1_000_000;

/**
 * The client's cache (packages/client) following the server's stream, every account loaded once
 * over HTTP; then checks of random accounts and features, as a product's request handlers make them.
 */
async function inProcessChecks(address: string, apiKey: string, accountIds: number[], httpPerSecond: number): Promise<InProcessChecks> {
  const cache = new EntitlementCache({ client: createKassaClient({ baseUrl: address, apiKey }), baseUrl: address, apiKey });
  await cache.connect();
  try {
    for (const id of accountIds) await cache.load(id);
    const loads = cache.loads;
    const ids = Array.from({ length: 4096 }, () => accountIds[Math.floor(Math.random() * accountIds.length)]!);
    const features = Array.from({ length: 4096 }, () => FEATURES[Math.floor(Math.random() * FEATURES.length)]!);
    let allowed = 0;
    const run = (n: number) => {
      for (let i = 0; i < n; i++) if (cache.check(ids[i & 4095]!, features[(i * 7) & 4095]!)?.allowed) allowed++;
    };
    run(200_000); // warm-up: let the JIT settle
    const started = performance.now();
    run(IN_PROCESS_CHECKS);
    const elapsed_ms = performance.now() - started;
    const timed = new Float64Array(TIMED_CHECKS);
    for (let i = 0; i < TIMED_CHECKS; i++) {
      const t0 = performance.now();
      if (cache.check(ids[i & 4095]!, features[(i * 7) & 4095]!)?.allowed) allowed++;
      timed[i] = performance.now() - t0;
    }
    timed.sort();
    if (allowed === 0 || cache.loads !== loads) throw new Error('in-process checks answered nothing, or loaded while measured');
    const perSecond = Math.floor(IN_PROCESS_CHECKS / (elapsed_ms / 1000));
    return {
      checks_per_second: perSecond,
      p50_us: +(timed[Math.floor(TIMED_CHECKS * 0.5)]! * 1000).toFixed(3),
      p99_us: +(timed[Math.floor(TIMED_CHECKS * 0.99)]! * 1000).toFixed(3),
      loads,
      times_http: Math.floor(perSecond / Math.max(httpPerSecond, 1)),
    };
  } finally {
    cache.close();
  }
}

const FEATURES = ['api', 'users', 'sites', 'sso', 'cpe_devices', 'public_ip'];
const REQUEST_MIX = 4_000;
const WARMUP_SECONDS = 2;

export async function benchEntitlements(options: EntitlementBenchOptions): Promise<EntitlementBenchResult> {
  const accountCount = options.accounts ?? 1_000;
  const seconds = Math.min(Math.max(options.seconds ?? 10, 1), 120);
  const connections = options.connections ?? 10;
  const target = await scratchTarget(options.backend, 'entitlements', options.databaseUrl);
  const { kassa, database } = await openKassa({
    databaseUrl: target.databaseUrl,
    dataDir: target.dataDir,
    poolSize: 10,
    clock: 'real',
    billing: defaultBillingSettings,
  });
  await kassa.entitlements.connect(kassa.db, kassa.backend);
  const app = await buildApp(kassa);
  try {
    const accountIds = await seedEntitlementAccounts(kassa.db, accountCount);
    const { secret } = await createApiKey(kassa.db, 'bench', new Date());
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const load = (duration: number) =>
      autocannon({
        url: address,
        connections,
        duration,
        workers: 1,
        headers: { authorization: `Bearer ${secret}` },
        requests: randomChecks(accountIds),
      });
    // Steady state: the accounts the product asks about are in memory (a miss is one query,
    // then nothing until the next change or maxAge); the HTTP warm-up lets the JIT settle.
    for (const id of accountIds) await kassa.entitlements.get(kassa.db, id);
    await load(WARMUP_SECONDS);
    const loadsBefore = kassa.entitlements.loads;
    const cpuBefore_us = mainThreadCpu_us();
    const result = await load(seconds);
    const cpuAfter_us = mainThreadCpu_us();
    const httpPerSecond = Math.floor(result.requests.total / result.duration);
    const inProcess = await inProcessChecks(address, secret, accountIds, httpPerSecond);
    return {
      backend: options.backend,
      checks_per_second: Math.floor(result.requests.total / result.duration),
      p50_ms: result.latency.p50,
      p99_ms: result.latency.p99,
      requests: result.requests.total,
      errors: result.errors + result.timeouts + result.non2xx,
      server_cpu_us_per_check:
        cpuBefore_us === null || cpuAfter_us === null ? null : Math.floor((cpuAfter_us - cpuBefore_us) / result.requests.total),
      cache_misses: kassa.entitlements.loads - loadsBefore,
      load_average_1m: +loadavg()[0]!.toFixed(2),
      in_process: inProcess,
    };
  } finally {
    await app.close();
    await kassa.entitlements.close();
    await database.close();
    await target.drop();
  }
}

/** The main thread's user+system CPU (Linux; the autocannon worker thread is not counted). */
function mainThreadCpu_us(): number | null {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
    return ticks * (1_000_000 / 100); // USER_HZ is 100
  } catch {
    return null;
  }
}

/** A fixed shuffled mix of checks; each connection walks it in order (workers need plain data). */
export function randomChecks(accountIds: number[]): { method: 'GET'; path: string }[] {
  return Array.from({ length: REQUEST_MIX }, () => {
    const id = accountIds[Math.floor(Math.random() * accountIds.length)]!;
    const feature = FEATURES[Math.floor(Math.random() * FEATURES.length)]!;
    return { method: 'GET' as const, path: `/v1/accounts/${id}/entitlements/${feature}` };
  });
}

/** One plan version, N active accounts each with a subscription and object counts, in bulk. */
export async function seedEntitlementAccounts(db: Db, accounts: number): Promise<number[]> {
  const definition = {
    base_price: '10',
    items: [{ service: 'cpe_devices', unit_price: '0.5', tier_mode: 'flat', included: 0, min: 0, max: null, default: 10, decrease: 'refund' }],
    quotas: { users: 10, sites: 3 },
    features: ['sso'],
  };
  await query(db, sql`insert into plans (code, name, kind, cadence, timing, created_at) values ('bench', 'Bench', 'preset', 'daily', 'in_advance', now())`);
  await query(
    db,
    sql`insert into plan_versions (plan_id, version, currency, effective_from, definition, created_at)
        select id, 1, 'EUR', now(), ${JSON.stringify(definition)}::jsonb, now() from plans where code = 'bench'`,
  );
  const ids = await query<{ id: bigint | number }>(
    db,
    sql`insert into accounts (name, currency, type, status, created_at)
        select 'bench ' || g, 'EUR', case when g % 5 = 0 then 'trial' else 'billing' end, 'active', now()
        from generate_series(1, ${accounts}) g returning id`,
  );
  await query(
    db,
    sql`insert into subscriptions (account_id, plan_id, plan_version_id, status, cadence, timing, anchor_day, quantities, period_amount, created_at, status_changed_at)
        select a.id, v.plan_id, v.id, 'active', 'daily', 'in_advance', 1, jsonb_build_object('cpe_devices', 20 + a.id % 50), 1000, now(), now()
        from accounts a cross join plan_versions v where a.name like 'bench %'`,
  );
  await query(
    db,
    sql`insert into object_counts (account_id, metric, count, updated_at)
        select a.id, m.metric, (a.id * m.k) % 13, now()
        from accounts a cross join (values ('users', 7), ('sites', 3), ('cpe_devices', 11)) as m(metric, k) where a.name like 'bench %'`,
  );
  return ids.map((row) => Number(row.id));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      backend: { type: 'string', default: 'pglite' },
      seconds: { type: 'string', default: '10' },
      accounts: { type: 'string', default: '1000' },
      connections: { type: 'string', default: '10' },
    },
  });
  const result = await benchEntitlements({
    backend: values.backend === 'postgres' ? 'postgres' : 'pglite',
    seconds: Number(values.seconds),
    accounts: Number(values.accounts),
    connections: Number(values.connections),
  });
  console.log(JSON.stringify(result));
}
