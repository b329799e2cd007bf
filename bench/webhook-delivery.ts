// Webhook delivery throughput (issue 10): N outbox events of 1,000 accounts, fanned out to one
// endpoint and sent to a receiver on loopback that answers 200 at once, first by one dispatcher
// and then (N more events) by two side by side. Reports deliveries per second for each, the
// time from the events being written to each one's arrival (p50, p99: a burst of N, so this is
// how long the last of a burst waits, not an idle latency), and checks that every event arrived
// once. The receiver runs in the same process as the dispatchers (this machine has 2 cores).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { defaultBillingSettings } from '../src/config.js';
import { query } from '../src/db/client.js';
import { openKassa } from '../src/kassa.js';
import { pino } from 'pino';
import { dispatchDue, fanOut } from '../src/webhooks/dispatch.js';
import { startWebhookDelivery } from '../src/webhooks/worker.js';
import { createEndpoint } from '../src/webhooks/endpoints.js';
import { scratchTarget } from './scratch.js';

export interface WebhookDeliveryBenchResult {
  backend: 'pglite' | 'postgres';
  events: number;
  one_dispatcher_per_second: number;
  two_dispatchers_per_second: number;
  burst_p50_ms: number;
  burst_p99_ms: number;
  /** One event written alone while the server's delivery worker runs: from its commit to its arrival. */
  single_p50_ms: number;
  single_max_ms: number;
  each_once: boolean;
}

const SINGLE_EVENTS = 10;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;

export async function benchWebhookDelivery(options: { backend: 'pglite' | 'postgres'; events?: number; databaseUrl?: string }): Promise<WebhookDeliveryBenchResult> {
  const events = options.events ?? 20_000;
  const arrived = new Map<string, number>();
  let duplicates = 0;
  const receiver = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      const id = String(request.headers['webhook-id']);
      if (arrived.has(id)) duplicates += 1;
      else arrived.set(id, performance.now());
      response.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const target = await scratchTarget(options.backend, 'webhook_delivery', options.databaseUrl);
  const webhooks = { allowHttp: true, allowPrivate: true };
  const { kassa, database } = await openKassa({ databaseUrl: target.databaseUrl, dataDir: target.dataDir, poolSize: 10, clock: 'simulated', clockStart: new Date('2026-12-01T00:00:00Z'), billing: defaultBillingSettings, webhooks });
  try {
    const at = kassa.clock.now();
    const created = await createEndpoint(kassa.db, kassa.secrets, { kind: 'system' }, { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks` }, webhooks, null, at);
    if (!created.ok) throw new Error(created.failure.detail);
    await query(kassa.db, sql`insert into accounts (name, currency, type, status, created_at) select 'hooked ' || g, 'EUR', 'billing', 'active', ${at}::timestamptz from generate_series(1, 1000) g`);

    /** Writes `events` events (each account's in order), then delivers them with `dispatchers` side by side; answers the seconds it took and each arrival's wait. */
    const round = async (dispatchers: number) => {
      arrived.clear();
      const written = performance.now();
      await query(
        kassa.db,
        sql`insert into outbox (account_id, topic, payload, created_at)
            select (g % 1000) + (select min(id) from accounts), 'balance.low', json_build_object('available', '100', 'n', g), ${at}::timestamptz from generate_series(1, ${events}) g`,
      );
      // As a database in use would have them: the tables' statistics (a fresh scratch database has none).
      await query(kassa.db, sql`analyze outbox, webhook_fanned_out, webhook_deliveries`);
      await fanOut(kassa.db, at);
      await query(kassa.db, sql`analyze webhook_deliveries`);
      const dispatcher = async () => {
        while ((await dispatchDue(kassa, at)) > 0);
      };
      await Promise.all(Array.from({ length: dispatchers }, dispatcher));
      const seconds = (performance.now() - written) / 1000;
      return { seconds, waits: [...arrived.values()].map((t) => t - written).sort((a, b) => a - b), count: arrived.size };
    };
    const one = await round(1);
    const two = await round(2);

    // The idle case a product feels: one suspension, nothing else happening, the worker as `npm start` runs it.
    const worker = startWebhookDelivery(kassa, pino({ level: 'silent' }));
    const singles: number[] = [];
    try {
      for (let i = 0; i < SINGLE_EVENTS; i++) {
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 1000));
        arrived.clear();
        const [row] = await query<{ id: string }>(kassa.db, sql`insert into outbox (account_id, topic, payload, created_at) values ((select min(id) from accounts), 'balance.low', '{"available":"100"}', ${at}::timestamptz) returning id`);
        const written = performance.now();
        while (!arrived.has(`evt_${row!.id}`) && performance.now() - written < 10_000) await new Promise((resolve) => setTimeout(resolve, 1));
        singles.push((arrived.get(`evt_${row!.id}`) ?? Number.NaN) - written);
      }
    } finally {
      await worker.stop();
    }
    singles.sort((a, b) => a - b);
    return {
      backend: options.backend,
      events,
      one_dispatcher_per_second: Math.floor(one.count / one.seconds),
      two_dispatchers_per_second: Math.floor(two.count / two.seconds),
      burst_p50_ms: Math.floor(percentile(one.waits, 50)),
      burst_p99_ms: Math.floor(percentile(one.waits, 99)),
      single_p50_ms: Math.floor(percentile(singles, 50)),
      single_max_ms: Math.floor(singles.at(-1)!),
      each_once: one.count === events && two.count === events && duplicates === 0 && singles.every(Number.isFinite),
    };
  } finally {
    receiver.closeAllConnections();
    await new Promise((resolve) => receiver.close(resolve));
    await database.close();
    await target.drop();
  }
}
