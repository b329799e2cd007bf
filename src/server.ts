// Starts listening, seeds the demo on a fresh database, and runs the billing scheduler.
import type { KassaApp } from './http/kassa-app.js';
import type { Config } from './config.js';
import type { Kassa } from './context.js';
import type { Database } from './db/client.js';
import { seedDemo } from './demo.js';
import { startScheduler } from './jobs/scheduler.js';
import { startMailDelivery } from './notifications/delivery.js';

export async function startServer(app: KassaApp, kassa: Kassa, database: Database, config: Config) {
  if (config.demoData) {
    const demo = await seedDemo(kassa);
    if (demo) app.log.warn(`Demo data created. API key (shown once): ${demo.apiKey}`);
  }
  const scheduler = config.clock === 'real' ? startScheduler(kassa, app.log) : undefined;
  const mail = startMailDelivery(kassa, app.log, config.mail);
  const stop = async () => {
    await scheduler?.stop();
    await mail.stop();
    await app.close();
    await database.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await app.listen({ port: config.port, host: config.host });
  app.log.info(`Kassa on http://localhost:${config.port} (${kassa.backend}, ${kassa.clock.kind} clock); docs at /docs`);
}
