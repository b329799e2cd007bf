// Webhook delivery in its own process, for the crash test and the two-process test: seeds (when
// asked) an endpoint at the parent's receiver and events of some accounts; then delivers them
// (the crash test kills it while it waits for the answers; the two-process test runs two).
import { sql } from 'drizzle-orm';
import { defaultBillingSettings } from '../../src/config.js';
import { query } from '../../src/db/client.js';
import { openKassa } from '../../src/kassa.js';
import { writeOutboxEvents } from '../../src/outbox/write.js';
import { createEndpoint } from '../../src/webhooks/endpoints.js';
import { deliverWebhooks } from '../../src/webhooks/dispatch.js';

const [step, target, now, url, perAccount, accountCount] = process.argv.slice(2);
const at = new Date(now!);
const webhooks = { allowHttp: true, allowPrivate: true };
const where = target!.startsWith('postgres') ? { databaseUrl: target } : { dataDir: target };
const { kassa, database } = await openKassa({ ...where, clock: 'simulated', clockStart: at, billing: defaultBillingSettings, webhooks });
if (step === 'seed') {
  // Five accounts (or as many as asked); with a count per account, ordered delivery (one account's events in turn), else one event each, in parallel.
  const events = Number(perAccount ?? 0);
  const created = await createEndpoint(kassa.db, kassa.secrets, { kind: 'system' }, { url: url!, parallel: events === 0 }, webhooks, null, at);
  if (!created.ok) throw new Error(created.failure.detail);
  const accounts = await query<{ id: number }>(kassa.db, sql`insert into accounts (name, currency, type, status, created_at) select 'hook ' || g, 'EUR', 'billing', 'active', ${at}::timestamptz from generate_series(1, ${Number(accountCount ?? 5)}) g returning id`);
  const rounds = Array.from({ length: Math.max(events, 1) }, (_, n) => n);
  await writeOutboxEvents(kassa.db, rounds.flatMap((n) => accounts.map((a) => ({ accountId: Number(a.id), topic: 'balance.low' as const, payload: { available: String(100 - n) } }))), at);
  process.stdout.write(`secret ${created.value.secret}\n`);
} else {
  // Crash test: the parent's receiver holds every request unanswered, and kills this process
  // once all have arrived. Two-process test ('together'): both start sending on the parent's word.
  if (step === 'together') {
    process.stdout.write('ready\n');
    await new Promise((resolve) => process.stdin.once('data', resolve));
  }
  process.stdout.write(`attempts ${await deliverWebhooks(kassa, at)}\n`);
}
await database.close();
