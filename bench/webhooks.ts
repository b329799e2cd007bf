// Stripe webhook deliveries against a running Kassa (issue 7): N distinct signed
// payment_intent.succeeded deliveries for N pending card top-ups, plus 10% duplicates (the same
// event ids again), shuffled, sent by 10 concurrent connections from a worker thread (so the
// server keeps the main thread; this machine has 2 cores), over node:http. Reports deliveries answered per
// second and their latency, how long until every payment was credited (events are acted on
// just after the answer), and checks that each was credited exactly once and the ledger verifies.
//   npx tsx bench/webhooks.ts [--backend pglite|postgres] [--deliveries 10000] [--connections 10]
// prints one JSON line.
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import Stripe from 'stripe';
import { buildApp } from '../src/app.js';
import { defaultBillingSettings } from '../src/config.js';
import { query } from '../src/db/client.js';
import { openKassa } from '../src/kassa.js';
import { verifyLedger } from '../src/ledger/verify.js';
import { runLoadWorker } from './load-worker.js';
import { scratchTarget } from './scratch.js';

export interface WebhookBenchResult {
  backend: 'pglite' | 'postgres';
  deliveries: number;
  distinct_payments: number;
  deliveries_per_second: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  errors: number;
  /** From the first delivery until every event was acted on (credited), and the rate that makes. */
  all_credited_within_seconds: number;
  credited_per_second: number;
  /** Every payment credited exactly once, the duplicates answered as such, the ledger balanced. */
  credited_once: boolean;
  duplicates_recognised: number;
  ledger_ok: boolean;
  load_average_1m: number;
}

const SECRET = 'whsec_kassa_bench';

export async function benchWebhooks(options: { backend: 'pglite' | 'postgres'; deliveries?: number; connections?: number; databaseUrl?: string }): Promise<WebhookBenchResult> {
  const payments = options.deliveries ?? 10_000;
  const connections = options.connections ?? 10;
  const target = await scratchTarget(options.backend, 'webhooks', options.databaseUrl);
  const { kassa, database } = await openKassa({
    databaseUrl: target.databaseUrl,
    dataDir: target.dataDir,
    poolSize: 10,
    clock: 'real',
    billing: defaultBillingSettings,
    // No Stripe call is made: each event names its top-up in its metadata.
    payments: { stripe: { secretKey: 'sk_test_kassa_bench', webhookSecret: SECRET, apiBase: 'http://127.0.0.1:9' } },
  });
  const app = await buildApp(kassa);
  try {
    // One account and one pending card top-up per payment, in bulk.
    await query(kassa.db, sql`insert into accounts (name, currency, type, status, created_at) select 'webhook ' || g, 'EUR', 'billing', 'active', now() from generate_series(1, ${payments}) g`);
    const topUps = await query<{ id: number | bigint; account_id: number | bigint }>(
      kassa.db,
      sql`insert into top_ups (account_id, method, status, currency, amount_requested, created_by, created_at, updated_at)
          select id, 'card', 'pending', 'EUR', 1000 + id % 9000, 'bench', now(), now() from accounts where name like 'webhook %' returning id, account_id`,
    );
    const amounts = await query<{ id: number | bigint; amount_requested: number | bigint | string }>(kassa.db, sql`select id, amount_requested from top_ups`);
    const amountOf = new Map(amounts.map((r) => [Number(r.id), Number(r.amount_requested)]));
    const bodies = topUps.map(({ id, account_id }) =>
      JSON.stringify({
        id: `evt_bench_${id}`, object: 'event', api_version: '2026-10-28.endive', created: Math.floor(Date.now() / 1000), livemode: false, pending_webhooks: 1, request: { id: null, idempotency_key: null },
        type: 'payment_intent.succeeded',
        data: { object: { id: `pi_bench_${id}`, object: 'payment_intent', amount: amountOf.get(Number(id)), amount_received: amountOf.get(Number(id)), currency: 'eur', status: 'succeeded', payment_method: null, metadata: { kassa_top_up_id: String(id), kassa_account_id: String(account_id) } } },
      }),
    );
    const duplicates = Array.from({ length: Math.floor(payments / 10) }, (_, i) => bodies[(i * 7919) % bodies.length]!);
    const deliveries = shuffle([...bodies, ...duplicates]).map((payload) => ({ payload, signature: Stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET }) }));
    const address = await app.listen({ host: '127.0.0.1', port: 0 });

    const started = performance.now();
    const measured = await drive(`${address}/v1/webhooks/stripe`, deliveries, connections);
    // Answered at once; acted on just after, in the background: wait for the last of it.
    await kassa.background.settled();
    const actedOnWithin = (performance.now() - started) / 1000;
    const [check] = await query<{ credited_once: boolean; receipts: number | bigint; events: number | bigint }>(
      kassa.db,
      sql`select bool_and(r.n = 1 and t.amount_received = t.amount_requested and t.status = 'succeeded') as credited_once,
                 (select count(*) from top_up_receipts) as receipts, (select count(*) from payment_events) as events
          from top_ups t left join lateral (select count(*) as n from top_up_receipts r where r.top_up_id = t.id and r.account_id = t.account_id) r on true`,
    );
    const ledger = await verifyLedger(kassa.db);
    return {
      backend: options.backend,
      deliveries: deliveries.length,
      distinct_payments: payments,
      deliveries_per_second: Math.floor(deliveries.length / measured.seconds),
      p50_ms: measured.p50,
      p99_ms: measured.p99,
      max_ms: measured.max,
      errors: measured.errors,
      all_credited_within_seconds: +actedOnWithin.toFixed(2),
      credited_per_second: Math.floor(payments / actedOnWithin),
      credited_once: Boolean(check?.credited_once) && Number(check?.receipts) === payments && Number(check?.events) === payments,
      duplicates_recognised: measured.duplicates,
      ledger_ok: ledger.ok,
      load_average_1m: +loadavg()[0]!.toFixed(2),
    };
  } finally {
    await app.close();
    await database.close();
    await target.drop();
  }
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

// The load: plain JavaScript in a worker thread, `connections` loops sharing one queue, each on
// its own kept-alive socket through node:http (fetch costs this 2-core machine twice the CPU
// per request, which the server under test would not have to share with Stripe's senders).
const DRIVER = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const { url, deliveries, connections } = workerData;
const target = new URL(url);
const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
let next = 0, errors = 0, duplicates = 0;
const latencies = [];
function post({ payload, signature }) {
  return new Promise((resolve) => {
    const request = http.request({ agent, host: target.hostname, port: target.port, path: target.pathname, method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), 'stripe-signature': signature } }, (response) => {
      const chunks = [];
      response.on('data', (chunk) => chunks.push(chunk));
      response.on('end', () => {
        if (response.statusCode !== 200) errors++;
        else if (JSON.parse(Buffer.concat(chunks).toString()).duplicate) duplicates++;
        resolve();
      });
    });
    // A request never answered counts as an error rather than holding the benchmark.
    request.setTimeout(30000, () => request.destroy(new Error('no answer in 30 s')));
    request.on('error', () => { errors++; resolve(); });
    request.end(payload);
  });
}
async function loop() {
  while (next < deliveries.length) {
    const delivery = deliveries[next++];
    const started = performance.now();
    await post(delivery);
    latencies.push(performance.now() - started);
  }
}
const started = performance.now();
Promise.all(Array.from({ length: connections }, loop)).then(() => {
  parentPort.postMessage({ seconds: (performance.now() - started) / 1000, latencies, errors, duplicates });
  agent.destroy();
});
`;

async function drive(url: string, deliveries: { payload: string; signature: string }[], connections: number) {
  const { seconds, p50, p99, max, errors, duplicates } = await runLoadWorker<{ seconds: number; latencies: number[]; errors: number; duplicates: number }>(DRIVER, { url, deliveries, connections });
  return { seconds, p50, p99, max, errors, duplicates };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { backend: { type: 'string', default: 'pglite' }, deliveries: { type: 'string', default: '10000' }, connections: { type: 'string', default: '10' } } });
  console.log(JSON.stringify(await benchWebhooks({ backend: values.backend === 'postgres' ? 'postgres' : 'pglite', deliveries: Number(values.deliveries), connections: Number(values.connections) })));
}
