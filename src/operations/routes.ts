// Liveness, readiness and metrics (SPEC 14, issue 11), outside /v1: what a load balancer, an
// orchestrator and Prometheus call. /healthz answers as long as the process serves requests;
// /readyz only when the database answers and is migrated to this version, so a rolling update
// sends no traffic to a process whose database is behind; /metrics needs KASSA_METRICS_TOKEN.
import { timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { Gauge, Registry } from 'prom-client';
import { Type } from 'typebox';
import { type Db, migrationsFolder, poolOf, query } from '../db/client.js';
import type { KassaApp } from '../http/kassa-app.js';
import { problemResponses, sendProblem } from '../shared/problem.js';
import { httpRequestSeconds, processMetrics } from './metrics.js';

let shippedMigration: { when: number; tag: string } | undefined;
/** The newest migration this version ships (read once): a database migrated to it has its time in drizzle's table. */
function latestMigration(): { when: number; tag: string } {
  if (shippedMigration) return shippedMigration;
  const journal = JSON.parse(readFileSync(join(migrationsFolder, 'meta/_journal.json'), 'utf8')) as { entries: { when: number; tag: string }[] };
  return (shippedMigration = journal.entries.reduce((newest, entry) => (entry.when > newest.when ? entry : newest)));
}

// Schemas made once, so every app of a process shares their compiled serializers.
const LIVENESS = { tags: ['system'], security: [], summary: 'Is this process alive (it reads nothing)', response: { 200: Type.Object({ status: Type.Literal('ok') }, { examples: [{ status: 'ok' }] }) } };
const READINESS = {
  tags: ['system'],
  security: [],
  summary: 'May this process take traffic: the database answers and is migrated to this version',
  response: { 200: Type.Object({ status: Type.Literal('ready'), backend: Type.String(), migration: Type.String() }, { examples: [{ status: 'ready', backend: 'postgres', migration: '0026_webhook_endpoint_health' }] }), ...problemResponses(503) },
};
const METRICS = {
  tags: ['system'],
  security: [{ metricsToken: [] }],
  summary: "This process's figures in Prometheus' text format (needs KASSA_METRICS_TOKEN as a bearer token)",
  response: {
    200: { description: 'The figures', content: { 'text/plain': { schema: Type.String({ title: 'PrometheusText', examples: ['# HELP kassa_outbox_backlog Outbox events not yet fanned out to the webhook endpoints\n# TYPE kassa_outbox_backlog gauge\nkassa_outbox_backlog 0\n'] }) } } },
    ...problemResponses(404),
  },
};

export async function operationsRoutes(app: KassaApp, options: { metricsToken: string | undefined }) {
  const { kassa } = app;
  const shipped = latestMigration();

  // Every answer's time, by the route's template (never the URL, whose ids would make a series
  // per account), measured from the request's arrival by Fastify itself.
  app.addHook('onResponse', (request, reply, done) => {
    httpRequestSeconds.observe({ method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
    done();
  });

  app.get(
    '/healthz',
    { config: { access: 'public' }, schema: LIVENESS },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    { config: { access: 'public' }, schema: READINESS },
    async (request, reply) => {
      let applied: number;
      try {
        const [row] = await query<{ latest: string | null }>(kassa.db, sql`select max(created_at)::text as latest from drizzle.__drizzle_migrations`);
        applied = Number(row?.latest ?? 0);
      } catch (error) {
        // Why, only in the log: the endpoint is public, and a driver's message names hosts and users.
        request.log.warn({ err: error }, 'readiness: the database did not answer');
        return sendProblem(reply, { code: 'not_ready', detail: 'the database did not answer; the log says why' });
      }
      if (applied < shipped.when) return sendProblem(reply, { code: 'not_ready', detail: 'the database is not migrated to this version: run `kassa migrate`' });
      return { status: 'ready' as const, backend: kassa.backend, migration: shipped.tag };
    },
  );

  // Read from the database at each scrape: what waits, across every process sharing it.
  const shared = new Registry();
  const backlog = new Gauge({ name: 'kassa_outbox_backlog', help: 'Outbox events not yet fanned out to the webhook endpoints', registers: [shared] });
  const deliveries = new Gauge({ name: 'kassa_webhook_deliveries', help: 'Webhook deliveries by state: pending (first try due), retrying (failed at least once), failed (given up)', labelNames: ['state'] as const, registers: [shared] });
  const mailQueue = new Gauge({ name: 'kassa_mail_queue', help: 'Mails by state: pending (to be sent or retried) and failed (given up)', labelNames: ['state'] as const, registers: [shared] });
  const cached = new Gauge({ name: 'kassa_entitlement_cache_accounts', help: "Accounts whose entitlement answers this process holds in memory", registers: [shared] });
  const pool = new Gauge({ name: 'kassa_db_pool_connections', help: "This process's database connections: in_use (lent to a query or transaction), idle, max (the pool's size)", labelNames: ['state'] as const, registers: [shared] });
  const waiting = new Gauge({ name: 'kassa_db_pool_waiting', help: 'Queries and transactions of this process waiting for a free database connection', registers: [shared] });
  const loads = new Gauge({ name: 'kassa_entitlement_cache_loads', help: 'Database reads of entitlement answers this process made (cache misses), since it started', registers: [shared] });

  app.get(
    '/metrics',
    { config: { access: 'public' }, schema: METRICS },
    async (request, reply) => {
      if (!options.metricsToken) return sendProblem(reply, { code: 'not_found', detail: 'metrics are off: set KASSA_METRICS_TOKEN and send it as a bearer token' });
      if (!sameSecret(request.headers.authorization ?? '', `Bearer ${options.metricsToken}`)) return sendProblem(reply, { code: 'unauthorized', detail: 'send KASSA_METRICS_TOKEN as a bearer token' });
      await readShared(kassa.db, { backlog, deliveries, mailQueue });
      cached.set(kassa.entitlements.size);
      loads.set(kassa.entitlements.loads);
      const connections = poolOf(kassa.db);
      pool.set({ state: 'in_use' }, connections.totalCount - connections.idleCount);
      pool.set({ state: 'idle' }, connections.idleCount);
      pool.set({ state: 'max' }, connections.options.max);
      waiting.set(connections.waitingCount);
      reply.type(processMetrics.contentType);
      return `${await processMetrics.metrics()}\n${await shared.metrics()}`;
    },
  );
}

async function readShared(db: Db, gauges: { backlog: Gauge; deliveries: Gauge<'state'>; mailQueue: Gauge<'state'> }) {
  const [row] = await query<{ backlog: bigint; pending: bigint; retrying: bigint; failed: bigint; mail_pending: bigint; mail_failed: bigint }>(
    db,
    sql`select
          (select count(*) from outbox o
            where o.id > coalesce((select settled_outbox_id from webhook_fanout_state where id = 1), 0)
              and not exists (select 1 from webhook_fanned_out f where f.outbox_id = o.id)) as backlog,
          (select count(*) from webhook_deliveries where status = 'pending' and attempts = 0) as pending,
          (select count(*) from webhook_deliveries where status = 'pending' and attempts > 0) as retrying,
          (select count(*) from webhook_deliveries where status = 'failed') as failed,
          (select count(*) from mails where state = 'pending') as mail_pending,
          (select count(*) from mails where state = 'failed') as mail_failed`,
  );
  gauges.backlog.set(Number(row!.backlog));
  gauges.deliveries.set({ state: 'pending' }, Number(row!.pending));
  gauges.deliveries.set({ state: 'retrying' }, Number(row!.retrying));
  gauges.deliveries.set({ state: 'failed' }, Number(row!.failed));
  gauges.mailQueue.set({ state: 'pending' }, Number(row!.mail_pending));
  gauges.mailQueue.set({ state: 'failed' }, Number(row!.mail_failed));
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
