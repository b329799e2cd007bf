// Starts listening and runs a process's roles (KASSA_ROLES): `api` seeds the demo on a fresh
// database and serves the API; `worker` runs the billing scheduler (real clock), mail and
// webhook delivery. A worker-only process listens too, for /healthz, /readyz and /metrics.
import type { KassaApp } from './http/kassa-app.js';
import type { Config } from './config.js';
import type { Kassa } from './context.js';
import type { Database } from './db/client.js';
import { seedDemo } from './demo.js';
import { startScheduler } from './jobs/scheduler.js';
import { startMailDelivery } from './notifications/delivery.js';
import { startWebhookDelivery } from './webhooks/worker.js';

/** How long a SIGTERM's drain may take: the 30 s an orchestrator gives before SIGKILL. */
export const STOP_WITHIN_MS = 30_000;

export async function startServer(app: KassaApp, kassa: Kassa, database: Database, config: Config) {
  let stopping = false;
  // An answer sent while stopping closes its connection: a kept-alive one would hold the drain
  // until its idle timeout.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (stopping) reply.header('connection', 'close');
    done(null, payload);
  });
  // Listening first: a start that fails on a busy port has seeded nothing, so the next one
  // still creates the demo and shows its key.
  await app.listen({ port: config.port, host: config.host });
  const { api, worker } = config.roles;
  if (api && config.demoData) {
    const demo = await seedDemo(kassa);
    // On standard output, whatever LOG_LEVEL says: it is shown once.
    if (demo) process.stdout.write(`Demo data created. API key (shown once): ${demo.apiKey}\n`);
  }
  const scheduler = worker && config.clock === 'real' ? startScheduler(kassa, app.log) : undefined;
  const mail = worker ? startMailDelivery(kassa, app.log, config.mail) : undefined;
  const webhooks = worker ? startWebhookDelivery(kassa, app.log) : undefined;
  // A drain: no new connections, the requests in flight answered, the workers' current work
  // (a billing batch, a mail, a delivery) finished, then the database closed. What is not done
  // in STOP_WITHIN_MS is left to the next process, which takes it over (leases and locks).
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info(`stopping (${signal}): answering the requests in flight, finishing the current work`);
    setTimeout(() => {
      app.log.error(`not stopped within ${STOP_WITHIN_MS / 1000} s; exiting, the next start takes over what is unfinished`);
      process.exit(1);
    }, STOP_WITHIN_MS).unref();
    await app.close();
    await Promise.all([scheduler?.stop(), mail?.stop(), webhooks?.stop()]);
    await database.close();
    app.log.info('stopped');
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  const port = (app.server.address() as { port: number } | null)?.port ?? config.port;
  if (!worker) app.log.info(`Kassa API on http://localhost:${port} (${kassa.backend}, ${kassa.clock.kind} clock); docs at /docs; billing runs, jobs, mail and webhooks are left to the worker processes`);
  else if (!api) app.log.info(`Kassa worker (${kassa.backend}, ${kassa.clock.kind} clock): billing runs, jobs, mail and webhooks; /healthz, /readyz and /metrics on http://localhost:${port}`);
  else app.log.info(`Kassa on http://localhost:${port} (${kassa.backend}, ${kassa.clock.kind} clock); docs at /docs`);
}
