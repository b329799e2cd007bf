// Backup and restore (SPEC 14, issue 11, item 6), on the backend the suite runs on: accounts
// with money on them are backed up with `kassa backup`, restored with `kassa restore` into a
// new database, and `kassa verify` passes there with the same balances. A restore into a
// database that holds data is refused and changes nothing; so is a backup of an embedded
// folder a server owns. The secret key is not in a backup.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { createApiKey } from '../src/auth/api-keys.js';
import { runCli } from '../src/cli/program.js';
import { defaultBillingSettings } from '../src/config.js';
import { query } from '../src/db/client.js';
import { openKassa } from '../src/kassa.js';
import { createTestDatabase, migratedDataFolder } from './support/harness.js';

const postgres = Boolean(process.env.DATABASE_URL);
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
const scratch = mkdtempSync(join(tmpdir(), 'kassa-backup-test-'));
cleanups.push(() => rmSync(scratch, { recursive: true, force: true }));

async function kassaCli(args: string[], where: { databaseUrl?: string; dataDir?: string }) {
  const out: string[] = [];
  const err: string[] = [];
  const env = { ...process.env, DATABASE_URL: where.databaseUrl ?? '', KASSA_DATA_DIR: where.dataDir ?? '' };
  const code = await runCli(args, { env, out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join(''), err: err.join('') };
}

async function open(where: { databaseUrl?: string; dataDir?: string }) {
  return openKassa({ ...where, clock: 'simulated', clockStart: new Date('2026-11-02T00:00:00Z'), billing: defaultBillingSettings });
}

async function balances(where: { databaseUrl?: string; dataDir?: string }) {
  const { kassa, database } = await open(where);
  try {
    return await query<{ id: bigint; name: string; balance: bigint }>(kassa.db, sql`select id, name, balance from accounts order by id`);
  } finally {
    await database.close();
  }
}

describe('kassa backup and kassa restore', () => {
  it('restores into a new database where kassa verify passes with the same balances', async () => {
    let source: { databaseUrl?: string; dataDir?: string };
    let target: { databaseUrl?: string; dataDir?: string };
    if (postgres) {
      const [a, b] = [await createTestDatabase(), await createTestDatabase({ empty: true })];
      cleanups.push(a.drop, b.drop);
      [source, target] = [{ databaseUrl: a.url }, { databaseUrl: b.url }];
    } else {
      source = { dataDir: migratedDataFolder('kassa-backup-source-') };
      cleanups.push(() => rmSync(source.dataDir!, { recursive: true, force: true }));
      target = { dataDir: join(scratch, 'restored') };
    }

    // Two accounts with money moved on them, through the API.
    const { kassa, database } = await open(source);
    const app = await buildApp(kassa);
    const { secret } = await createApiKey(kassa.db, 'backup test', kassa.clock.now());
    const call = async (url: string, body: object, key?: string) =>
      (await app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) }, payload: JSON.stringify(body) })).json();
    const acme = await call('/v1/accounts', { name: 'Acme', currency: 'EUR' });
    const yen = await call('/v1/accounts', { name: 'Yen Co', currency: 'JPY' });
    await call(`/v1/accounts/${acme.id}/adjustments`, { direction: 'credit', amount: '125000', reason: 'opening balance' }, 'a1');
    await call(`/v1/accounts/${acme.id}/adjustments`, { direction: 'debit', amount: '2550', reason: 'correction' }, 'a2');
    await call(`/v1/accounts/${yen.id}/adjustments`, { direction: 'credit', amount: '9000', reason: 'opening balance' }, 'y1');
    await app.close();
    await database.close();
    const before = await balances(source);
    expect(before.map((a) => [a.name, a.balance])).toEqual([['Acme', 122_450n], ['Yen Co', 9_000n]]); // 125,000 - 2,550

    const file = join(scratch, 'kassa.backup');
    const backedUp = await kassaCli(['backup', file], source);
    expect(backedUp.code, backedUp.err).toBe(0);
    expect(backedUp.out).toMatch(/^backed up .* \(\d+ bytes\); the secret key is not in it/);
    if (!postgres) expect(execFileSync('tar', ['tzf', file], { encoding: 'utf8' })).not.toMatch(/secret\.key|kassa\.lock/);

    const restored = await kassaCli(['restore', file], target);
    expect(restored.code, restored.err).toBe(0);
    const verified = await kassaCli(['verify'], target);
    expect(verified.code, verified.out).toBe(0);
    expect(verified.out).not.toContain('FAIL');
    expect(await balances(target)).toEqual(before);

    // Into a database that holds data: refused, and it is left as it was.
    const again = await kassaCli(['restore', file], source);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/is not empty: restore into a new/);
    expect(await balances(source)).toEqual(before);
  }, 90_000);

  it.skipIf(postgres)('refuses to back up an embedded folder while a server owns it, naming the server', async () => {
    const dataDir = migratedDataFolder('kassa-backup-owned-');
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const { database } = await openKassa({ dataDir, owner: 'kassa server on port 3000', clock: 'simulated', clockStart: new Date('2026-11-02T00:00:00Z'), billing: defaultBillingSettings });
    cleanups.push(() => database.close());
    const file = join(scratch, 'owned.backup');
    const refused = await kassaCli(['backup', file], { dataDir });
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('kassa server on port 3000');
    expect(existsSync(file)).toBe(false);
  });
});
