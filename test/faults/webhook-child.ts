// Webhook delivery in its own process, for the crash test: seeds (when asked) an endpoint at the
// parent's receiver and an event of each of five accounts; then delivers them (the parent kills
// it while it waits for the answers).
import { sql } from 'drizzle-orm';
import { defaultBillingSettings } from '../../src/config.js';
import { query } from '../../src/db/client.js';
import { openKassa } from '../../src/kassa.js';
import { writeOutboxEvents } from '../../src/outbox/write.js';
import { createEndpoint } from '../../src/webhooks/endpoints.js';
import { deliverWebhooks } from '../../src/webhooks/dispatch.js';

const [step, target, now, url] = process.argv.slice(2);
const at = new Date(now!);
const webhooks = { allowHttp: true, allowPrivate: true };
const where = target!.startsWith('postgres') ? { databaseUrl: target } : { dataDir: target };
const { kassa, database } = await openKassa({ ...where, clock: 'simulated', clockStart: at, billing: defaultBillingSettings, webhooks });
if (step === 'seed') {
  const created = await createEndpoint(kassa.db, { kind: 'system' }, { url: url!, parallel: true }, webhooks, null, at);
  if (!created.ok) throw new Error(created.failure.detail);
  const accounts = await query<{ id: number }>(kassa.db, sql`insert into accounts (name, currency, type, status, created_at) select 'hook ' || g, 'EUR', 'billing', 'active', ${at}::timestamptz from generate_series(1, 5) g returning id`);
  await writeOutboxEvents(kassa.db, accounts.map((a) => ({ accountId: Number(a.id), topic: 'balance.low', payload: { available: '100' } })), at);
  process.stdout.write(`secret ${created.value.secret}\n`);
} else {
  // The parent's receiver holds every request unanswered, and kills this process once all have arrived.
  await deliverWebhooks(kassa, at);
}
await database.close();
