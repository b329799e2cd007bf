// Starts listening, seeds the demo on a fresh database, and runs the billing scheduler, mail and webhook delivery.
import type { KassaApp } from './http/kassa-app.js';
import type { Config } from './config.js';
import type { Kassa } from './context.js';
import type { Database } from './db/client.js';
import { seedDemo } from './demo.js';
import { startScheduler } from './jobs/scheduler.js';
import { startMailDelivery } from './notifications/delivery.js';
import { startWebhookDelivery } from './webhooks/worker.js';

export async function startServer(app: KassaApp, kassa: Kassa, database: Database, config: Config) {
  // Listening first: a start that fails on a busy port has seeded nothing, so the next one
  // still creates the demo and shows its key.
  await app.listen({ port: config.port, host: config.host });
  if (config.demoData) {
    const demo = await seedDemo(kassa);
    // On standard output, whatever LOG_LEVEL says: it is shown once.
    if (demo) process.stdout.write(`Demo data created. API key (shown once): ${demo.apiKey}\n`);
  }
  const scheduler = config.clock === 'real' ? startScheduler(kassa, app.log) : undefined;
  const mail = startMailDelivery(kassa, app.log, config.mail);
  const webhooks = startWebhookDelivery(kassa, app.log);
  const stop = async (signal: string) => {
    app.log.info(`stopping (${signal})`);
    await scheduler?.stop();
    await mail.stop();
    await webhooks.stop();
    await app.close();
    await database.close();
    app.log.info('stopped');
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  app.log.info(`Kassa on http://localhost:${config.port} (${kassa.backend}, ${kassa.clock.kind} clock); docs at /docs`);
}
