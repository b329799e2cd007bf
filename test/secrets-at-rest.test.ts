// Secrets at rest (SPEC 14, issue 11, item 5): TOTP and webhook signing secrets are stored
// sealed under KASSA_SECRET_KEY with the key's id beside them; values stored before sealing
// existed are sealed at the next start; a database holding values under a key this process was
// not given does not start; `kassa secrets rotate` re-seals everything under a new key. Without
// a key an embedded folder gets one of its own, and PostgreSQL or NODE_ENV=production refuse.
import { statSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/program.js';
import { ConfigError, type SecretKeys, defaultBillingSettings } from '../src/config.js';
import { query } from '../src/db/client.js';
import { users, webhookEndpointSecrets, webhookEndpoints } from '../src/db/schema.js';
import { openKassa } from '../src/kassa.js';
import { keyId, newSecretKey, parseSecretKey } from '../src/shared/secret-box.js';
import { signingSecrets } from '../src/webhooks/endpoints.js';
import { createTestDatabase, migratedDataFolder } from './support/harness.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const keyA = newSecretKey();
const keyB = newSecretKey();
const keys = (current: string | undefined, previous: string[] = [], production = false): SecretKeys => ({ current, previous, production });

/** A database to open and reopen: a PostgreSQL one, or an embedded data folder. */
async function reopenable(): Promise<{ databaseUrl?: string; dataDir?: string }> {
  const database = await createTestDatabase();
  if (database.url) {
    cleanups.push(database.drop);
    return { databaseUrl: database.url };
  }
  const dataDir = migratedDataFolder('kassa-secrets-');
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  return { dataDir };
}

async function opened(where: { databaseUrl?: string; dataDir?: string }, secretKeys: SecretKeys) {
  const { kassa, database, generatedSecretKey } = await openKassa({ ...where, secretKeys, clock: 'simulated', clockStart: new Date('2026-11-02T00:00:00Z'), billing: defaultBillingSettings });
  return { kassa, generatedSecretKey, close: () => database.close() };
}

describe('secrets at rest', () => {
  it('seals values stored in clear at the next start, refuses a start without their key, and rotates to a new key', async () => {
    const where = await reopenable();
    // Stored in clear, as before sealing existed.
    let k = await opened(where, keys(keyA));
    const at = k.kassa.clock.now();
    const [user] = await k.kassa.db.insert(users).values({ email: 'clear@example.com', name: 'Clear', totpSecret: 'JBSWY3DPEHPK3PXP', createdAt: at }).returning({ id: users.id });
    const [endpoint] = await k.kassa.db.insert(webhookEndpoints).values({ url: 'https://hooks.example.com/in', eventTypes: [], createdAt: at, updatedAt: at }).returning({ id: webhookEndpoints.id });
    await k.kassa.db.insert(webhookEndpointSecrets).values({ endpointId: endpoint!.id, secret: 'whsec_c2VjcmV0', createdAt: at });
    await k.close();

    // The next start seals both under key A.
    k = await opened(where, keys(keyA));
    const stored = async () => {
      const [totp] = await query<{ v: string }>(k.kassa.db, sql`select totp_secret as v from users where id = ${user!.id}`);
      const [hook] = await query<{ v: string }>(k.kassa.db, sql`select secret as v from webhook_endpoint_secrets where endpoint_id = ${endpoint!.id}`);
      return [totp!.v, hook!.v];
    };
    const idA = keyId(parseSecretKey(keyA));
    for (const value of await stored()) expect(value).toMatch(new RegExp(`^kassa:v1:${idA}:`));
    expect((await stored()).join()).not.toMatch(/JBSWY3DPEHPK3PXP|c2VjcmV0/);
    expect(await signingSecrets(k.kassa.db, k.kassa.secrets, endpoint!.id, at)).toEqual(['whsec_c2VjcmV0']);
    await k.close();

    // Key B alone cannot open them: the start stops, naming the key id, never the key.
    const refused = await opened(where, keys(keyB)).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ConfigError);
    expect((refused as Error).message).toContain(`2 under key ${idA}`);
    expect((refused as Error).message).not.toContain(keyA);

    // B with A as the previous key starts and reads them; `kassa secrets rotate` re-seals under B.
    k = await opened(where, keys(keyB, [keyA]));
    expect(await signingSecrets(k.kassa.db, k.kassa.secrets, endpoint!.id, at)).toEqual(['whsec_c2VjcmV0']);
    await k.close();
    const out: string[] = [];
    const err: string[] = [];
    const env = { KASSA_SECRET_KEY: keyB, KASSA_SECRET_KEY_PREVIOUS: keyA, DATABASE_URL: where.databaseUrl ?? '', KASSA_DATA_DIR: where.dataDir ?? '' };
    expect(await runCli(['secrets', 'rotate'], { env, out: (t) => out.push(t), err: (t) => err.push(t) }), err.join('')).toBe(0);
    const idB = keyId(parseSecretKey(keyB));
    expect(out.join('')).toBe(`re-sealed 2 secret(s) under key ${idB}; now 2 under key ${idB}\n`);

    // Key A can go.
    k = await opened(where, keys(keyB));
    for (const value of await stored()) expect(value).toMatch(new RegExp(`^kassa:v1:${idB}:`));
    expect(await signingSecrets(k.kassa.db, k.kassa.secrets, endpoint!.id, at)).toEqual(['whsec_c2VjcmV0']);
    const [row] = await k.kassa.db.select({ secret: users.totpSecret }).from(users).where(eq(users.id, user!.id));
    expect(k.kassa.secrets.open(row!.secret!, 'users.totp_secret')).toBe('JBSWY3DPEHPK3PXP');
    await k.close();
  }, 60_000);

  it('gives an embedded data folder a key of its own on its first start, kept beside the data for this user only', async () => {
    const dataDir = migratedDataFolder('kassa-secrets-');
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const first = await opened({ dataDir }, keys(undefined));
    expect(first.generatedSecretKey).toBe(join(dataDir, 'secret.key'));
    expect(statSync(first.generatedSecretKey!).mode & 0o777).toBe(0o600);
    const id = first.kassa.secrets.currentKeyId;
    await first.close();
    const again = await opened({ dataDir }, keys(undefined));
    expect(again.generatedSecretKey).toBeUndefined();
    expect(again.kassa.secrets.currentKeyId).toBe(id);
    await again.close();
  });

  it.each([
    ['PostgreSQL', { databaseUrl: 'postgres://nobody@127.0.0.1:1/never-reached' }, keys(undefined), 'whenever DATABASE_URL is set'],
    ['NODE_ENV=production', { dataDir: 'memory://' }, keys(undefined, [], true), 'whenever NODE_ENV=production'],
    ['a key that is not 32 bytes', { dataDir: 'memory://' }, keys('c2hvcnQ='), '32 bytes in base64'],
  ])('refuses to start without a usable key: %s, before touching the database', async (_name, where, secretKeys, expected) => {
    const refused = await opened(where, secretKeys).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ConfigError);
    expect((refused as ConfigError).variable).toBe('KASSA_SECRET_KEY');
    expect((refused as Error).message).toContain(expected);
  });
});
