// The `kassa` command line, run in-process through runCli (what the binary runs) on a database
// the test then opens itself (PGlite in a temp folder, or a fresh PostgreSQL database when
// DATABASE_URL is set), and `clock advance` against a real server listening on a port. The
// last block runs the real binary, bin/kassa.mjs (as `npx kassa`), as a child process.
import { type AddressInfo, createServer } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import packageJson from '../package.json' with { type: 'json' };
import { buildApp } from '../src/app.js';
import { defaultBillingSettings } from '../src/config.js';
import { openDatabase, query } from '../src/db/client.js';
import { seedDemo } from '../src/demo.js';
import { openKassa } from '../src/kassa.js';
import { type CliRun, kassaInProcess, kassaProcess } from './support/cli.js';
import { createTestDatabase, migratedDataFolder, startHarness, type Harness } from './support/harness.js';

// A real process starts Node, tsx and (on PGlite) the database: seconds on a loaded machine.
const SLOW = 180_000;

type TestDatabase = Awaited<ReturnType<typeof createTestDatabase>>;

/**
 * The database a block's CLI runs use, migrated: a fresh PostgreSQL database when DATABASE_URL
 * is set, else a PGlite data folder of its own; made before the block's tests, dropped after
 * them. (An empty folder's first `kassa migrate` is data-folder.test.ts's.)
 */
function cliTarget(prefix: string): () => { dataDir: string; database: TestDatabase; env: Record<string, string> } {
  let made: { dataDir: string; database: TestDatabase; env: Record<string, string> } | undefined;
  beforeAll(async () => {
    const dataDir = migratedDataFolder(prefix);
    const database = await createTestDatabase();
    made = { dataDir, database, env: database.url ? { DATABASE_URL: database.url } : { DATABASE_URL: '', KASSA_DATA_DIR: dataDir } };
  });
  afterAll(async () => {
    await made?.database.drop();
    if (made) rmSync(made.dataDir, { recursive: true, force: true });
  });
  return () => made!;
}

function kassa(args: string[], env: Record<string, string | undefined>): Promise<CliRun> {
  return kassaInProcess(args, { ...process.env, ...env });
}

describe('kassa keys and kassa verify', () => {
  // PGlite: one process owns the data folder, so the test opens it only between CLI runs.
  const target = cliTarget('kassa-cli-');
  let dataDir: string;
  let database: TestDatabase;
  let env: Record<string, string>;
  beforeAll(() => {
    ({ dataDir, database, env } = target());
  });
  const openOptions = () => ({ databaseUrl: database.url, dataDir, poolSize: 2 });

  /** Opens the database the CLI uses, answers GET /v1/clock with the key, closes again. */
  async function statusWithKey(secret: string): Promise<number> {
    const { kassa: k, database: opened } = await openKassa({ ...openOptions(), clock: 'simulated', clockStart: new Date('2026-11-02T13:00:00Z'), billing: defaultBillingSettings });
    try {
      const app = await buildApp(k);
      const response = await app.inject({ method: 'GET', url: '/v1/clock', headers: { authorization: `Bearer ${secret}` } });
      await app.close();
      return response.statusCode;
    } finally {
      await opened.close();
    }
  }

  it('migrates, creates a key shown once, lists it by prefix only, and revokes it', async () => {
    const migrated = await kassa(['migrate'], env);
    // It says which database it works on, before it does anything.
    expect(migrated.stderr).toBe(database.url ? `kassa: using PostgreSQL at ${new URL(database.url).host}${new URL(database.url).pathname}\n` : `kassa: using the embedded database in ${dataDir}\n`);
    expect(migrated).toMatchObject({ code: 0 });
    expect(migrated.stdout).toContain(`migrated (${database.url ? 'postgres' : 'pglite'})`);

    const created = await kassa(['keys', 'create', '--name', 'x'], env);
    expect(created.code, created.stderr).toBe(0);
    const secrets = created.stdout.match(/kassa_sk_[A-Za-z0-9_-]+/g) ?? [];
    expect(secrets).toHaveLength(1);
    const secret = secrets[0]!;
    const keyId = /Created key (\d+) \(x\)/.exec(created.stdout)?.[1];
    expect(keyId).toBeDefined();

    const listed = await kassa(['keys', 'list'], env);
    expect(listed.code, listed.stderr).toBe(0);
    const line = listed.stdout.split('\n').find((l) => l.startsWith(`${keyId}\t`));
    expect(line).toBeDefined();
    expect(line).toContain(`${secret.slice(0, 'kassa_sk_'.length + 6)}…\tx\tactive`);
    expect(listed.stdout).not.toContain(secret);
    expect(listed.stdout).not.toContain(secret.slice(-12));

    expect(await statusWithKey(secret)).toBe(200);
    expect(await statusWithKey('kassa_sk_not-a-key')).toBe(401);

    const revoked = await kassa(['keys', 'revoke', keyId!], env);
    expect(revoked).toMatchObject({ code: 0, stdout: `revoked key ${keyId}\n` });
    // A freshly built app has no cached principal, so the revocation shows at once.
    expect(await statusWithKey(secret)).toBe(401);
    const relisted = await kassa(['keys', 'list'], env);
    const revokedLine = relisted.stdout.split('\n').find((l) => l.startsWith(`${keyId}\t`))!;
    expect(revokedLine).toMatch(/\trevoked \d{4}-\d\d-\d\dT/);
    // Revoking it again says so, and keeps the time of the first revocation.
    const again = await kassa(['keys', 'revoke', keyId!], env);
    const firstTime = /revoked (\S+)/.exec(revokedLine)![1];
    expect(again).toMatchObject({ code: 0, stdout: `key ${keyId} was revoked already, at ${firstTime}\n` });

    const missing = await kassa(['keys', 'revoke', '999999'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no key 999999');
    const notANumber = await kassa(['keys', 'revoke', 'abc'], env);
    expect(notANumber.code).not.toBe(0);
    expect(notANumber.stderr).toContain('an id is a number');
  }, SLOW);

  it('verifies a healthy ledger (exit 0) and names the failed check after a balance is corrupted (exit 1)', async () => {
    // The demo seeds an account with a starting credit: one ledger transaction, two postings.
    const { kassa: k, database: opened } = await openKassa({ ...openOptions(), clock: 'simulated', clockStart: new Date('2026-11-02T13:00:00Z'), billing: defaultBillingSettings });
    await seedDemo(k);
    await opened.close();

    const healthy = await kassa(['verify'], env);
    expect(healthy.code, healthy.stdout + healthy.stderr).toBe(0);
    expect(healthy.stdout).toContain("ok   every account's balance equals its customer postings");
    expect(healthy.stdout).not.toContain('FAIL');
    const healthyJson = await kassa(['verify', '--json'], env);
    expect(healthyJson.code).toBe(0);
    expect(JSON.parse(healthyJson.stdout)).toMatchObject({ ok: true });

    const raw = await openDatabase(openOptions());
    const [account] = await query<{ account_id: number }>(raw.db, sql`select account_id from ledger_postings where ledger_account = 'customer' limit 1`);
    expect(account).toBeDefined();
    await query(raw.db, sql`update accounts set balance = balance + 1 where id = ${account!.account_id}`);
    await raw.close();

    const broken = await kassa(['verify'], env);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain("FAIL every account's balance equals its customer postings (1 violations");
    // int8 ids arrive as bigint and are printed as strings.
    expect(broken.stdout).toMatch(new RegExp(`"account_id":"?${account!.account_id}"?,"balance":"\\d+","customer_postings"`));
    const brokenJson = await kassa(['verify', '--json'], env);
    expect(brokenJson.code).toBe(1);
    const report = JSON.parse(brokenJson.stdout) as { ok: boolean; checks: { name: string; ok: boolean; violations: number }[] };
    expect(report.ok).toBe(false);
    expect(report.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(["every account's balance equals its customer postings"]);
  }, SLOW);
});

describe('kassa clock against a running server', () => {
  let h: Harness;
  let env: Record<string, string>;

  beforeAll(async () => {
    h = await startHarness({ clockStart: '2026-11-02T13:00:00Z' });
    await seedDemo(h.kassa);
    // The demo account (1, 100.00 EUR) runs the Starter plan with 150 devices: 3.40 a day.
    const created = await h.call('POST', '/v1/accounts/1/subscriptions', { plan_id: 1, quantities: { cpe_devices: 150 } }, { 'idempotency-key': 'cli-sub' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    const address = h.app.server.address();
    if (!address || typeof address === 'string') throw new Error('no port');
    env = { KASSA_URL: `http://127.0.0.1:${address.port}`, KASSA_API_KEY: h.apiKey };
  });
  afterAll(() => h.close());

  it('advances the clock by days, printing each billing run it passes', async () => {
    const advanced = await kassa(['clock', 'advance', '--days', '2'], env);
    expect(advanced.code, advanced.stderr).toBe(0);
    expect(advanced.stdout).toBe(
      'clock now 2026-11-04T13:00:00.000Z; 2 billing run(s)\n' +
        '  2026-11-03T00:00:00.000Z: billed 1, suspended 0, charged 340\n' +
        '  2026-11-04T00:00:00.000Z: billed 1, suspended 0, charged 340\n',
    );
    expect((await h.call('GET', '/v1/clock')).body.now).toBe('2026-11-04T13:00:00.000Z');
    expect((await h.call('GET', '/v1/accounts/1/balance')).body.balance).toBe(String(10_000 - 156 - 340 - 340));

    const shown = await kassa(['clock', 'show'], env);
    expect(shown).toMatchObject({ code: 0, stdout: '2026-11-04T13:00:00.000Z\n' });
  });

  it('advances to a time, and refuses a time in the past with the problem code', async () => {
    const to = await kassa(['clock', 'advance', '--to', '2026-11-05T06:00:00Z'], env);
    expect(to.code, to.stderr).toBe(0);
    expect(to.stdout).toMatch(/^clock now 2026-11-05T06:00:00.000Z; 1 billing run\(s\)\n {2}2026-11-05T00:00:00.000Z: billed 1, suspended 0, charged 340\n$/);

    const back = await kassa(['clock', 'advance', '--to', '2026-11-01T00:00:00Z'], env);
    expect(back.code).toBe(1);
    expect(back.stderr).toMatch(/^[a-z_]+: /);
    expect((await h.call('GET', '/v1/clock')).body.now).toBe('2026-11-05T06:00:00.000Z');
  });

  it('imports a bank statement through the server, crediting the transfer it pays once', async () => {
    await h.call('PUT', '/v1/settings/bank-account', { iban: 'DE89370400440532013000', bic: 'COBADEFFXXX', beneficiary: 'Example Cloud GmbH' });
    const asked = (await h.call('POST', '/v1/accounts/1/top-ups', { method: 'bank_transfer', amount: '2500' }, { 'idempotency-key': 'cli-top-up' })).body;
    const before = BigInt((await h.call('GET', '/v1/accounts/1/balance')).body.balance);
    const file = join(mkdtempSync(join(tmpdir(), 'kassa-bank-')), 'statement.csv');
    writeFileSync(file, `date,amount,currency,reference,counterparty\n2026-11-05,25.00,EUR,${asked.bank_transfer.reference},Demo customer\n`);
    const imported = await kassa(['bank', 'import', file], env);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toMatch(new RegExp(`^statement \\d+: 1 credit line\\(s\\), 1 matched, 0 unmatched\n  top-up ${asked.id} of account 1: credited 2500\n$`));
    expect(BigInt((await h.call('GET', '/v1/accounts/1/balance')).body.balance)).toBe(before + 2500n);
    const again = await kassa(['bank', 'import', file], env);
    expect(again.stdout).toMatch(/^statement \d+ was imported before: nothing done\n$/);
    expect((await kassa(['bank', 'import', `${file}.missing`], env))).toMatchObject({ code: 1, stderr: expect.stringContaining('cannot read') });
  });

  it('gives, lists and voids a credit grant through the server, once per idempotency key', async () => {
    const before = (await h.call('GET', '/v1/accounts/1/balance')).body;
    const created = await kassa(['grants', 'create', '--account', '1', '--amount', '1000', '--expires-in-days', '30', '--reason', 'sign-up bonus', '--idempotency-key', 'cli-grant-1'], env);
    expect(created.code, created.stderr).toBe(0);
    const [, id] = created.stdout.match(/^grant (\d+) on account 1: active\n/) ?? [];
    expect(id).toBeDefined();
    // The clock reads 2026-11-05T06:00Z: 30 days on, 2026-12-05T06:00Z.
    expect(created.stdout).toContain(`${id}\tpromotional\tactive\t1000/1000 EUR\tpriority 100\tany charge\texpires 2026-12-05T06:00:00.000Z\tsign-up bonus\n`);
    const again = await kassa(['grants', 'create', '--account', '1', '--amount', '1000', '--expires-in-days', '30', '--reason', 'sign-up bonus', '--idempotency-key', 'cli-grant-1'], env);
    expect(again.stdout).toBe(created.stdout);
    const scoped = await kassa(['grants', 'create', '--account', '1', '--amount', '500', '--priority', '0', '--scope', 'starter', '--reason', 'goodwill'], env);
    expect(scoped.stdout).toMatch(/\tpromotional\tactive\t500\/500 EUR\tpriority 0\tscope starter\tnever expires\tgoodwill\n$/);
    // Available rose by both grants, 10.00 + 5.00, and the paid balance did not move.
    const after = (await h.call('GET', '/v1/accounts/1/balance')).body;
    expect([BigInt(after.available) - BigInt(before.available), after.balance]).toEqual([1500n, before.balance]);

    const listed = await kassa(['grants', 'list', '--account', '1'], env);
    expect(listed.stdout.trim().split('\n').map((line) => line.split('\t')[3])).toEqual(['500/500 EUR', '1000/1000 EUR']);

    const voided = await kassa(['grants', 'void', '--account', '1', '--grant', id!, '--reason', 'given by mistake', '--idempotency-key', 'cli-void-1'], env);
    expect(voided.stdout).toMatch(new RegExp(`^grant ${id} on account 1: voided\n${id}\tpromotional\tvoided\t0/1000 EUR\t`));
    expect((await kassa(['grants', 'void', '--account', '1', '--grant', id!, '--reason', 'given by mistake', '--idempotency-key', 'cli-void-1'], env)).stdout).toBe(voided.stdout);
    expect((await kassa(['grants', 'list', '--account', '1', '--status', 'voided'], env)).stdout.trim().split('\n')).toHaveLength(1);
    expect(BigInt((await h.call('GET', '/v1/accounts/1/balance')).body.available)).toBe(BigInt(before.available) + 500n);

    const refused: [string[], RegExp][] = [
      [['grants', 'create', '--account', '1', '--amount', '10.00', '--reason', 'x'], /^error: option '--amount <minor>' argument '10.00' is invalid\. --amount is in integer minor units/],
      [['grants', 'create', '--account', '1', '--amount', '100', '--reason', 'x', '--expires-at', '2027-01-01T00:00:00Z', '--expires-in-days', '3'], /^kassa: give --expires-at or --expires-in-days, not both\n$/],
      [['grants', 'create', '--account', '999999', '--amount', '100', '--reason', 'x'], /^kassa: not_found: no account 999999\n$/],
      [['grants', 'void', '--account', '1', '--grant', id!, '--reason', 'again'], /^kassa: invalid_state: /],
    ];
    for (const [args, message] of refused) {
      const run = await kassa(args, env);
      expect(run.code, args.join(' ')).toBe(1);
      expect(run.stderr).toMatch(message);
    }
    expect((await h.call('GET', '/v1/accounts/1/grants')).body.data).toHaveLength(2);
  });

  it('refuses a bad key, and a missing one, with a message and exit 1', async () => {
    const badKey = await kassa(['clock', 'show'], { ...env, KASSA_API_KEY: 'kassa_sk_nope' });
    expect(badKey.code).toBe(1);
    expect(badKey.stderr).toContain('unauthorized: ');
    const noKey = await kassa(['clock', 'show'], { ...env, KASSA_API_KEY: '' });
    expect(noKey).toMatchObject({ code: 1, stderr: 'kassa: set KASSA_API_KEY to a provider key\n' });
  });

  it('answers a mistake with one line and exit 1, not a stack trace, and moves nothing', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const cases: [string[], Record<string, string>, RegExp][] = [
      [['clock', 'show'], { KASSA_URL: `http://127.0.0.1:${port}` }, /^kassa: cannot reach Kassa at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\); set KASSA_URL\n$/],
      [['clock', 'advance'], {}, /^kassa: give --to, or --days and\/or --seconds\n$/],
      [['clock', 'advance', '--to', 'tomorrow'], {}, /^error: option '--to <time>' argument 'tomorrow' is invalid/],
      [['clock', 'advance', '--days', 'two'], {}, /^error: option '--days <n>' argument 'two' is invalid/],
      [['clock', 'advance', '--seconds', '1.5'], {}, /^kassa: the clock moves by whole seconds/],
      [['clock', 'advance', '--to', '2026-12-01T00:00:00Z', '--days', '1'], {}, /^kassa: give --to, or --days and\/or --seconds\n$/],
    ];
    for (const [args, extra, message] of cases) {
      const run = await kassa(args, { ...env, ...extra });
      expect(run.code, args.join(' ')).toBe(1);
      expect(run.stderr, args.join(' ')).toMatch(message);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
    expect((await h.call('GET', '/v1/clock')).body.now).toBe('2026-11-05T06:00:00.000Z');
  });
});

describe('the real binary, bin/kassa.mjs', () => {
  const target = cliTarget('kassa-bin-');
  let env: Record<string, string>;
  beforeAll(() => {
    ({ env } = target());
  });

  it('prints its version, migrates and creates a key whose secret it prints once', async () => {
    const version = await kassaProcess(['--version'], env);
    expect(version).toMatchObject({ code: 0, stdout: `${packageJson.version}\n`, stderr: '' });
    expect(await kassaProcess(['migrate'], env)).toMatchObject({ code: 0 });
    const created = await kassaProcess(['keys', 'create', '--name', 'from the shell'], env);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/^Created key \d+ \(from the shell\)\. Keep this secret; it is not shown again:\nkassa_sk_[A-Za-z0-9_-]+\n$/);
  }, SLOW);

  it('answers a mistake with one line on stderr and exit 1, not a stack trace', async () => {
    const noKey = await kassaProcess(['clock', 'show'], { ...env, KASSA_API_KEY: '' });
    expect(noKey).toMatchObject({ code: 1, stdout: '', stderr: 'kassa: set KASSA_API_KEY to a provider key\n' });
    const badId = await kassaProcess(['keys', 'revoke', 'abc'], env);
    expect(badId.code).toBe(1);
    expect(badId.stderr).toMatch(/^error: command-argument value 'abc' is invalid for argument 'id'\. an id is a number\n$/);
  }, SLOW);
});
