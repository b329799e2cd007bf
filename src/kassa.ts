// Assembles a running Kassa from its configuration: database, clock, settings, caches.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { ApiKeyAuthenticator } from './auth/principal.js';
import { type Clock, SimulatedClock, realClock } from './time/clock.js';
import { type BillingSettings, ConfigError, type IdentitySettings, type PaymentSettings, type SecretKeys, type WebhookSettings, secretKeysFromEnv } from './config.js';
import type { Kassa } from './context.js';
import { type Database, type OpenOptions, openDatabase, query, toDate } from './db/client.js';
import { clockState } from './db/schema.js';
import { documentPdf } from './documents/files.js';
import { EntitlementCache } from './entitlements/cache.js';
import { BackgroundWork } from './shared/background.js';
import { resumeSuspended } from './subscriptions/resume.js';
import { SecretBox, SecretKeyError, newSecretKey, parseSecretKey } from './shared/secret-box.js';
import { sealStoredSecrets } from './secrets-at-rest.js';

export interface StartOptions extends OpenOptions {
  clock: 'real' | 'simulated';
  /** The keys sealing secrets at rest; absent: read from the environment. */
  secretKeys?: SecretKeys;
  clockStart?: Date;
  billing: BillingSettings;
  identity?: IdentitySettings;
  payments?: PaymentSettings;
  webhooks?: WebhookSettings;
}

/**
 * Opens the database and assembles Kassa on it. `generatedSecretKey` names the file a new
 * secret key was written to (an embedded data folder without KASSA_SECRET_KEY), to be said once.
 */
export async function openKassa(options: StartOptions): Promise<{ kassa: Kassa; database: Database; generatedSecretKey?: string }> {
  // The key is checked before the database is opened: a missing one changes nothing.
  const keys = secretBox(options);
  const database = await openDatabase(options);
  let clock: Clock;
  try {
    // Secrets stored before sealing existed are sealed now; a value under a key not given stops the start.
    await sealStoredSecrets(database.db, keys.box);
    clock = options.clock === 'simulated' ? await simulatedClock(database, options.clockStart ?? new Date()) : realClock;
  } catch (error) {
    await database.close();
    throw error;
  }
  const kassa: Kassa = {
    db: database.db,
    backend: database.backend,
    clock,
    secrets: keys.box,
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
    generatedSecretKey: keys.generated,
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

const SECRET_KEY_FILE = 'secret.key';

/**
 * The secret box from KASSA_SECRET_KEY (and the keys it replaced). Without one: an embedded
 * data folder gets a key of its own in `secret.key` beside the data (this user only), made on
 * its first start; an in-memory database a key for the process; PostgreSQL and
 * NODE_ENV=production are refused, since processes on other machines must share the key and a
 * key kept beside the data protects nothing.
 */
function secretBox(options: StartOptions): { box: SecretBox; generated?: string } {
  const keys = options.secretKeys ?? secretKeysFromEnv();
  const parse = (variable: string, text: string) => {
    try {
      return parseSecretKey(text);
    } catch (error) {
      if (error instanceof SecretKeyError) throw new ConfigError(variable, text, error.message.replace(/^a secret key is /, ''));
      throw error;
    }
  };
  const previous = keys.previous.map((key) => parse('KASSA_SECRET_KEY_PREVIOUS', key));
  if (keys.current) return { box: new SecretBox(parse('KASSA_SECRET_KEY', keys.current), previous) };
  const embedded = !options.databaseUrl;
  if (!embedded || keys.production) {
    throw new ConfigError('KASSA_SECRET_KEY', '', `a key (\`openssl rand -base64 32\`) whenever ${embedded ? 'NODE_ENV=production' : 'DATABASE_URL is set'}: it seals the TOTP and webhook secrets stored in the database, and every process must have the same one`);
  }
  const dataDir = options.dataDir ?? './data';
  if (dataDir.startsWith('memory://')) return { box: new SecretBox(parse('KASSA_SECRET_KEY', newSecretKey()), previous) };
  const file = join(dataDir, SECRET_KEY_FILE);
  if (existsSync(file)) return { box: new SecretBox(parse(`KASSA_SECRET_KEY (in ${file})`, readFileSync(file, 'utf8').trim()), previous) };
  mkdirSync(dataDir, { recursive: true });
  let generated: string | undefined = file;
  try {
    writeFileSync(file, `${newSecretKey()}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    generated = undefined; // another process made it a moment ago: the folder's lock decides which one runs
  }
  return { box: new SecretBox(parse(`KASSA_SECRET_KEY (in ${file})`, readFileSync(file, 'utf8').trim()), previous), generated };
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
