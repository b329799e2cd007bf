// Assembles a running Kassa from its configuration: database, clock, settings, caches.
import { eq, sql } from 'drizzle-orm';
import { ApiKeyAuthenticator } from './auth/principal.js';
import { type Clock, SimulatedClock, realClock } from './time/clock.js';
import { type BillingSettings, ConfigError, type IdentitySettings, type PaymentSettings, type WebhookSettings } from './config.js';
import type { Kassa } from './context.js';
import { type Database, type OpenOptions, openDatabase, query, toDate } from './db/client.js';
import { clockState } from './db/schema.js';
import { documentPdf } from './documents/files.js';
import { EntitlementCache } from './entitlements/cache.js';
import { BackgroundWork } from './shared/background.js';
import { resumeSuspended } from './subscriptions/resume.js';

export interface StartOptions extends OpenOptions {
  clock: 'real' | 'simulated';
  clockStart?: Date;
  billing: BillingSettings;
  identity?: IdentitySettings;
  payments?: PaymentSettings;
  webhooks?: WebhookSettings;
}

export async function openKassa(options: StartOptions): Promise<{ kassa: Kassa; database: Database }> {
  const database = await openDatabase(options);
  const clock = options.clock === 'simulated' ? await simulatedClock(database, options.clockStart ?? new Date()).catch(async (error: unknown) => {
    await database.close();
    throw error;
  }) : realClock;
  const kassa: Kassa = {
    db: database.db,
    backend: database.backend,
    clock,
    billing: options.billing,
    identity: options.identity,
    payments: options.payments,
    webhooks: options.webhooks,
    auth: new ApiKeyAuthenticator(database.db),
    entitlements: new EntitlementCache(),
    afterCredit: resumeSuspended,
    documentFile: documentPdf,
    background: new BackgroundWork(),
  };
  await kassa.entitlements.connect(database.db, database.backend);
  return {
    kassa,
    database: {
      ...database,
      close: async () => {
        await kassa.background.settled();
        await kassa.entitlements.close();
        await database.close();
      },
    },
  };
}

/** The simulated clock resumes where the database says it was; a new one starts at `start`. */
async function simulatedClock(database: Database, start: Date): Promise<Clock> {
  const [row] = await database.db.select().from(clockState).where(eq(clockState.id, 1));
  if (row) return new SimulatedClock(row.now);
  // A new simulated clock on a database the real clock has used: time may not start before
  // what is recorded there, or runs and charges would come before the accounts they bill.
  const [latest] = await query<{ at: Date | string | null }>(
    database.db,
    sql`select greatest((select max(created_at) from accounts), (select max(created_at) from ledger_transactions), (select max(boundary) from billing_runs)) as at`,
  );
  if (latest?.at && toDate(latest.at).getTime() > start.getTime()) {
    throw new ConfigError('KASSA_CLOCK_START', start.toISOString(), `a time after the data already in this database (the latest is ${toDate(latest.at).toISOString()}); start a simulated clock on a fresh KASSA_DATA_DIR`);
  }
  await database.db.insert(clockState).values({ id: 1, now: start });
  return new SimulatedClock(start);
}
