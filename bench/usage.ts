// Usage ingest against a running Kassa (issue 8): N usage events from A accounts over five
// meters, in HTTP batches of 1,000, 5% of each batch copies of the batch before (a product
// retrying), sent by 4 kept-alive connections from a worker thread that builds the batches (so
// the server keeps the main thread; this machine has 2 cores), every account on a plan pricing
// the meters by graduated tiers, so each batch is rated (charged) just after it is kept.
// Then up to 500,000 more events sent at the issue's target rate (25,000/s on PGlite, 50,000/s
// on PostgreSQL) whatever the answers, each batch timed from when it was due: the latency a
// product sending at that rate sees. Reports events per second ingested and rated, the latency
// of a batch in both phases, peak RSS, a year of
// one account's billing history read over HTTP, and checks that every distinct event was kept
// once, every copy answered as a duplicate, and every batch rated.
//   npx tsx bench/usage.ts [--backend pglite|postgres] [--events 1000000] [--accounts 10000]
// prints one JSON line.
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { buildApp } from '../src/app.js';
import { createApiKey } from '../src/auth/api-keys.js';
import { defaultBillingSettings } from '../src/config.js';
import { type Db, query } from '../src/db/client.js';
import { openKassa } from '../src/kassa.js';
import { rateUsageBatches } from '../src/usage/rate-batch.js';
import { runLoadWorker } from './load-worker.js';
import { scratchTarget } from './scratch.js';

export interface UsageBenchResult {
  backend: 'pglite' | 'postgres';
  events: number;
  accounts: number;
  batches: number;
  events_per_second: number;
  batch_p50_ms: number;
  batch_p99_ms: number;
  batch_max_ms: number;
  /** From the first batch sent until the last is rated (charged to the ledger). */
  rated_events_per_second: number;
  usage_charges: number;
  /** A year of one account's billing history (365 days x 5 channels), read over HTTP. */
  history_year_p50_ms: number;
  history_year_p99_ms: number;
  /** Batches sent at a fixed rate (the issue's target for the backend), each timed from when it was due. */
  paced_events_per_second: number;
  paced_batch_p50_ms: number;
  paced_batch_p99_ms: number;
  paced_batch_max_ms: number;
  errors: number;
  /** Every distinct event kept once, every copy answered as a duplicate, nothing refused. */
  kept_once: boolean;
  duplicates_recognised: number;
  peak_rss_mib: number;
  load_average_1m: number;
}

const METERS = ['emails', 'sms', 'push', 'messenger', 'storage_gb_hours'];
const BATCH = 1_000;
/** Issue 8's throughput targets, at which the paced phase's latency is measured. */
const PACED_RATE = { pglite: 25_000, postgres: 50_000 } as const;
const HISTORY_WARMUP_READS = 5;
const HISTORY_READS = 200;
const PACED_EVENTS = 500_000;

export async function benchUsage(options: { backend: 'pglite' | 'postgres'; events?: number; accounts?: number; connections?: number; pacedRate?: number; databaseUrl?: string }): Promise<UsageBenchResult> {
  const total = options.events ?? 1_000_000;
  const accountCount = options.accounts ?? 10_000;
  const target = await scratchTarget(options.backend, 'usage', options.databaseUrl);
  const { kassa, database } = await openKassa({ databaseUrl: target.databaseUrl, dataDir: target.dataDir, poolSize: 10, clock: 'real', billing: defaultBillingSettings });
  const app = await buildApp(kassa);
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  try {
    await query(kassa.db, sql`insert into accounts (name, currency, type, status, created_at) select 'usage ' || g, 'EUR', 'billing', 'active', now() from generate_series(1, ${accountCount}) g`);
    const [first] = await query<{ id: number | string }>(kassa.db, sql`select min(id) as id from accounts where name like 'usage %'`);
    for (const code of METERS) {
      await query(kassa.db, sql`insert into services (code, name, unit, meter_aggregation, meter_decimals, created_at) values (${code}, ${code}, 'unit', 'sum', ${code === 'storage_gb_hours' ? 6 : 0}, now())`);
    }
    await seedPricedAccounts(kassa.db);
    const { secret } = await createApiKey(kassa.db, 'usage bench', kassa.clock.now());
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const started = performance.now();
    const measured = await drive(`${url}/v1/usage/events`, secret, { total, firstAccount: Number(first!.id), accounts: accountCount, connections: options.connections ?? 4, rate: 0, firstEvent: 0 });
    const seconds = (performance.now() - started) / 1000;
    // Rating runs beside the ingest, just after each batch; wait for it to catch up.
    await rateUsageBatches(kassa);
    await kassa.background.settled();
    await rateUsageBatches(kassa);
    const ratedSeconds = (performance.now() - started) / 1000;
    // Then batches sent at the target rate, as a product sends them, whatever the answers:
    // the latency a sender sees, which the closed loop above (4 senders, each waiting for its
    // answer) cannot show, since there a batch's time is 4 batches' work by construction.
    const rate = options.pacedRate ?? PACED_RATE[options.backend];
    const paced = await drive(`${url}/v1/usage/events`, secret, { total: Math.min(total, PACED_EVENTS), firstAccount: Number(first!.id), accounts: accountCount, connections: 0, rate, firstEvent: total });
    await rateUsageBatches(kassa);
    await kassa.background.settled();
    await rateUsageBatches(kassa);
    const [kept] = await query<{ n: number | string }>(kassa.db, sql`select count(*) as n from usage_events`);
    const [unrated] = await query<{ n: number | string }>(kassa.db, sql`select (select count(*) from usage_batches where rated_at is null) + (select count(*) from usage_unrated) as n`);
    const [charges] = await query<{ n: number | string }>(kassa.db, sql`select count(*) as n from ledger_transactions where kind = 'usage_charge'`);
    const history = await timeYearOfHistory(kassa.db, app, secret, Number(first!.id));
    return {
      backend: options.backend,
      events: measured.sent,
      accounts: accountCount,
      batches: measured.batches,
      events_per_second: Math.floor(measured.sent / seconds),
      batch_p50_ms: measured.p50,
      batch_p99_ms: measured.p99,
      batch_max_ms: measured.max,
      rated_events_per_second: Math.floor(measured.sent / ratedSeconds),
      usage_charges: Number(charges!.n),
      history_year_p50_ms: history.p50,
      history_year_p99_ms: history.p99,
      paced_events_per_second: rate,
      paced_batch_p50_ms: paced.p50,
      paced_batch_p99_ms: paced.p99,
      paced_batch_max_ms: paced.max,
      errors: measured.errors + paced.errors,
      kept_once:
        Number(unrated!.n) === 0 &&
        Number(kept!.n) === measured.sent - measured.copies + paced.sent - paced.copies &&
        [measured, paced].every((phase) => phase.accepted === phase.sent - phase.copies && phase.refused === 0),
      duplicates_recognised: measured.duplicates + paced.duplicates,
      peak_rss_mib: Math.floor(peakRss / 1024 / 1024),
      load_average_1m: +loadavg()[0]!.toFixed(2),
    };
  } finally {
    clearInterval(sampler);
    await app.close();
    await database.close();
    await target.drop();
  }
}

/** One plan pricing the five meters, every bench account on it, funded by an opening ledger transaction. */
async function seedPricedAccounts(db: Db): Promise<void> {
  const meters = METERS.map((meter, i) => ({ meter, tier_mode: 'graduated', tiers: [{ up_to: 1000, unit_price: `0.00${i + 1}` }, { up_to: null, unit_price: `0.000${i + 5}` }], included: 0, free_once: 0 }));
  const definition = JSON.stringify({ base_price: '0', items: [], quotas: {}, features: [], meters });
  for (const statement of [
    sql`insert into plans (code, name, kind, cadence, timing, created_at) values ('usage_bench', 'Usage bench', 'preset', 'monthly', 'in_advance', now())`,
    sql`insert into plan_versions (plan_id, version, currency, effective_from, definition, created_at) select id, 1, 'EUR', now(), ${definition}::jsonb, now() from plans where code = 'usage_bench'`,
    sql`update accounts set balance = 1000000 where name like 'usage %'`,
    sql`insert into ledger_transactions (account_id, kind, description, customer_amount, created_at) select id, 'adjustment', 'opening balance', balance, now() from accounts where name like 'usage %'`,
    sql`insert into ledger_postings (transaction_id, line, account_id, ledger_account, amount)
          select id, 1, account_id, 'customer', customer_amount from ledger_transactions where description = 'opening balance'
          union all select id, 2, account_id, 'adjustments', -customer_amount from ledger_transactions where description = 'opening balance'`,
    sql`insert into subscriptions (account_id, plan_id, plan_version_id, status, cadence, timing, anchor_day, quantities, period_amount, created_at, status_changed_at)
          select a.id, v.plan_id, v.id, 'active', 'monthly', 'in_advance', 1, '{}'::jsonb, 0, now(), now()
          from accounts a cross join plan_versions v join plans p on p.id = v.plan_id and p.code = 'usage_bench' where a.name like 'usage %'`,
  ]) {
    await query(db, statement);
  }
}

/**
 * 365 days x 5 channels of one account's history, then the year read over HTTP: 5 reads to warm
 * up (the first plans the query and compiles the serializer), then 200 timed, so the p99 is a
 * percentile and not the one cold read.
 */
async function timeYearOfHistory(db: Db, app: Awaited<ReturnType<typeof buildApp>>, key: string, accountId: number): Promise<{ p50: number; p99: number }> {
  await query(
    db,
    sql`insert into billing_daily (account_id, day, channel, kind, quantity, amount)
        select ${accountId}, d::date, m, 'usage', 100, 37 from generate_series(date '2025-01-01', date '2025-12-31', interval '1 day') d, unnest(${`{${METERS.join(',')}}`}::text[]) m
        on conflict do nothing`,
  );
  const took: number[] = [];
  for (let i = 0; i < HISTORY_WARMUP_READS + HISTORY_READS; i++) {
    const started = performance.now();
    const answer = await app.inject({ method: 'GET', url: `/v1/accounts/${accountId}/billing-history?from=2025-01-01&to=2025-12-31`, headers: { authorization: `Bearer ${key}` } });
    if (i >= HISTORY_WARMUP_READS) took.push(performance.now() - started);
    if (answer.statusCode !== 200 || (JSON.parse(answer.body) as { data: unknown[] }).data.length < 365 * 5) throw new Error(`history answered ${answer.statusCode}`);
  }
  took.sort((a, b) => a - b);
  return { p50: +took[Math.floor(took.length / 2)]!.toFixed(2), p99: +took[Math.floor(took.length * 0.99)]!.toFixed(2) };
}

// The load: batches built in the worker thread, `connections` loops sharing one counter.
// Batch b holds events b*950 .. b*950+949 and 50 copies of events of the batch before (the
// first batch: of its own); event n is account n % A, meter n % 5, quantity 1 + n % 7.
const DRIVER = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const { url, total, firstAccount, accounts, connections, meters, batch, rate, firstEvent } = workerData;
const target = new URL(url);
// Paced (rate > 0), a batch may be sent while others are still answered: sockets as needed.
const agent = new http.Agent({ keepAlive: true, maxSockets: rate > 0 ? 256 : connections });
const copiesPerBatch = Math.floor(batch / 20);
const newPerBatch = batch - copiesPerBatch;
const batches = Math.ceil(total / batch);
const now = Date.now();
function event(n) {
  const meter = meters[n % meters.length];
  const quantity = meter === 'storage_gb_hours' ? '0.' + String(1 + (n % 999)).padStart(3, '0') : String(1 + (n % 7));
  return { id: 'e' + n, account_id: firstAccount + (n % accounts), meter, quantity, timestamp: new Date(now - (n % 3600) * 1000).toISOString() };
}
function body(b) {
  const events = [];
  const size = Math.min(batch, total - b * batch);
  const copies = Math.min(copiesPerBatch, size - 1);
  const start = firstEvent + b * newPerBatch;
  const copied = b === 0 ? start : start - newPerBatch; // the first batch repeats some of its own
  for (let i = 0; i < size - copies; i++) events.push(event(start + i));
  for (let i = 0; i < copies; i++) events.push(event(copied + ((i * 17) % newPerBatch)));
  return { text: JSON.stringify({ events }), copies };
}
let next = 0, errors = 0, sent = 0, copies = 0, accepted = 0, duplicates = 0, refused = 0;
const latencies = [];
function post(text) {
  return new Promise((resolve) => {
    const request = http.request({ agent, host: target.hostname, port: target.port, path: target.pathname, method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), authorization: 'Bearer ' + workerData.key } }, (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode, body: Buffer.concat(chunks).toString() }));
    });
    // A request never answered counts as an error rather than holding the benchmark.
    request.setTimeout(30000, () => request.destroy(new Error('no answer in 30 s')));
    request.on('error', () => resolve({ status: 0, body: '' }));
    request.end(text);
  });
}
async function send(b, started) {
  const { text, copies: c } = body(b);
  if (started === undefined) started = performance.now();
  const answer = await post(text);
  latencies.push(performance.now() - started);
  if (answer.status !== 200) { errors++; return; }
  const parsed = JSON.parse(answer.body);
  sent += parsed.accepted + parsed.duplicates + parsed.refused.length;
  copies += c;
  accepted += parsed.accepted;
  duplicates += parsed.duplicates;
  refused += parsed.refused.length;
}
// Closed: 'connections' loops, each sending its next batch when the last is answered.
async function loop() {
  while (next < batches) await send(next++);
}
// Paced: batch b is due at b * batch / rate seconds and timed from then, not from when it
// could be sent, so a server falling behind shows in the latency (no coordinated omission).
async function paced() {
  const begin = performance.now();
  const sending = [];
  for (let b = 0; b < batches; b++) {
    const due = begin + (b * batch * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    sending.push(send(b, due));
  }
  await Promise.all(sending);
}
(rate > 0 ? paced() : Promise.all(Array.from({ length: connections }, loop))).then(() => {
  parentPort.postMessage({ latencies, errors, sent, copies, accepted, duplicates, refused, batches });
  agent.destroy();
});
`;

function drive(url: string, key: string, load: { total: number; firstAccount: number; accounts: number; connections: number; rate: number; firstEvent: number }) {
  return runLoadWorker<{ latencies: number[]; errors: number; sent: number; copies: number; accepted: number; duplicates: number; refused: number; batches: number }>(DRIVER, { url, ...load, meters: METERS, batch: BATCH, key });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { backend: { type: 'string', default: 'pglite' }, events: { type: 'string', default: '1000000' }, accounts: { type: 'string', default: '10000' } } });
  console.log(JSON.stringify(await benchUsage({ backend: values.backend === 'postgres' ? 'postgres' : 'pglite', events: Number(values.events), accounts: Number(values.accounts) })));
}
