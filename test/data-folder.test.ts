// SPEC 15, "no data lost": the embedded database's data folder has one owner process. The CLI
// commands that make sense beside a running server (keys, operators, mail list, verify) work
// through the owner's socket, so what they write is the server's at once; `kassa migrate` and a
// second server are refused in one line that names the owner, and change nothing. A lock left
// by a process that is gone is taken over. Commands other than `kassa migrate` refuse a folder
// that holds no database instead of creating an empty one.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.js';
import { listApiKeys } from '../src/auth/api-keys.js';
import { defaultBillingSettings } from '../src/config.js';
import type { Kassa } from '../src/context.js';
import { type Database, openDatabase, query } from '../src/db/client.js';
import { DataFolderBusy, LOCK_FILE } from '../src/db/data-folder-lock.js';
import { openKassa } from '../src/kassa.js';
import { type CliRun, kassaInProcess, kassaProcess, runProcess } from './support/cli.js';
import { migratedDataFolder } from './support/harness.js';

const folders: string[] = [];
/** An empty folder, or (`migrated`) one holding a migrated database, removed after the file. */
const folder = (name: string, contents: 'empty' | 'migrated' = 'empty') => {
  const prefix = `kassa-${name}-`;
  const dir = contents === 'migrated' ? migratedDataFolder(prefix) : mkdtempSync(join(tmpdir(), prefix));
  folders.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

const embedded = (dataDir: string) => ({ DATABASE_URL: '', KASSA_DATA_DIR: dataDir });
const busy = (pid: number) => new RegExp(`^kassa: the embedded database in .+ is in use by process ${pid} \\(.+\\); one process at a time owns it`);

describe('the data folder of the embedded database', () => {
  let dataDir: string;
  let owner: { kassa: Kassa; database: Database };
  let app: FastifyInstance;

  beforeAll(async () => {
    dataDir = folder('owned', 'migrated');
    owner = await openKassa({ dataDir, owner: 'kassa server on port 3000', clock: 'simulated', clockStart: new Date('2026-11-02T00:00:00Z'), billing: defaultBillingSettings });
    app = await buildApp(owner.kassa);
  });
  afterAll(async () => {
    await app.close();
    await owner.database.close();
  });

  const asKey = (secret: string) => app.inject({ method: 'GET', url: '/v1/plans', headers: { authorization: `Bearer ${secret}` } });

  it('refuses a second opener, naming the owner, and opens again once the owner has closed', async () => {
    const refused = await openDatabase({ dataDir, owner: 'another' }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(DataFolderBusy);
    expect((refused as DataFolderBusy).owner).toMatchObject({ pid: process.pid, what: 'kassa server on port 3000' });
    expect((refused as Error).message).toMatch(/stop that one first, or use PostgreSQL \(DATABASE_URL\)/);

    const other = folder('reopen', 'migrated');
    const first = await openDatabase({ dataDir: other });
    await first.close();
    expect(existsSync(join(other, LOCK_FILE))).toBe(false);
    const second = await openDatabase({ dataDir: other });
    await second.close();
  });

  it('runs keys, operators, mail list and verify through the server, which sees their writes at once', async () => {
    const created = await kassaInProcess(['keys', 'create', '--name', 'beside the server'], embedded(dataDir));
    expect(created.code).toBe(0);
    expect(created.stderr.trimEnd().split('\n')).toEqual([
      `kassa: using the embedded database in ${dataDir}`,
      `kassa: through kassa server on port 3000 (process ${process.pid}), which owns it`,
    ]);
    const secret = created.stdout.trimEnd().split('\n').at(-1)!;
    expect((await asKey(secret)).statusCode).toBe(200);

    const operator = await kassaInProcess(['operators', 'create', '--email', 'ops@example.com', '--name', 'Ops'], embedded(dataDir));
    expect(operator).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Created operator 1 \(ops@example.com\)/) });
    const operators = await query<{ id: bigint }>(owner.kassa.db, sql`select id from users where email = 'ops@example.com'`);
    expect(operators.map((row) => Number(row.id))).toEqual([1]);

    expect(await kassaInProcess(['mail', 'list'], embedded(dataDir))).toMatchObject({ code: 0 });
    const verified = await kassaInProcess(['verify'], embedded(dataDir));
    expect(verified.code).toBe(0);
    expect(verified.stdout).not.toContain('FAIL');
    // The server still owns the folder: the commands neither took the lock nor left one of theirs.
    expect(JSON.parse(readFileSync(join(dataDir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid, what: 'kassa server on port 3000' });
  });

  it('refuses `kassa migrate` beside it in one line, and the command changes nothing', async () => {
    const keysBefore = await listApiKeys(owner.kassa.db);
    const migrated: CliRun = await kassaInProcess(['migrate'], embedded(dataDir));
    expect(migrated.code).toBe(1);
    expect(migrated.stdout).toBe('');
    const lines = migrated.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2); // which database, then why not
    expect(lines[0]).toBe(`kassa: using the embedded database in ${dataDir}`);
    expect(lines[1]).toMatch(busy(process.pid));
    expect(await listApiKeys(owner.kassa.db)).toEqual(keysBefore);
  });

  it('serves the real binary beside it, and refuses a second server', async () => {
    const created = await kassaProcess(['keys', 'create', '--name', 'from another process'], embedded(dataDir));
    expect(created.code).toBe(0);
    expect((await asKey(created.stdout.trimEnd().split('\n').at(-1)!)).statusCode).toBe(200);

    const server = await runProcess(process.execPath, ['--import', 'tsx', 'src/main.ts'], { ...embedded(dataDir), PORT: '0', KASSA_DEMO_DATA: 'false' });
    expect(server.code).toBe(1);
    expect(server.stderr).toMatch(busy(process.pid));
    expect(server.stderr).not.toMatch(/\n\s+at /);
  }, 120_000);

  it('takes over a lock left by a process that is gone', async () => {
    const stale = folder('stale', 'migrated');
    const gone = Number(execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }));
    writeFileSync(join(stale, LOCK_FILE), JSON.stringify({ pid: gone, what: 'kassa server on port 3000', since: '2026-11-02T00:00:00.000Z' }));
    const opened = await openDatabase({ dataDir: stale, owner: 'after the crash' });
    expect(JSON.parse(readFileSync(join(stale, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid, what: 'after the crash' });
    await opened.close();
  });
});

describe('a CLI command without a database', () => {
  it('says so and stops, without creating a data folder; `kassa migrate` creates one', async () => {
    const missing = join(folder('none'), 'data');
    const listed = await kassaInProcess(['keys', 'list'], embedded(missing));
    expect(listed.code).toBe(1);
    expect(listed.stderr).toMatch(/^kassa: using the embedded database in .+\nkassa: no Kassa database in .+ and DATABASE_URL is not set: set DATABASE_URL/);
    expect(existsSync(missing)).toBe(false);

    expect(await kassaInProcess(['migrate'], embedded(missing))).toMatchObject({ code: 0, stdout: 'migrated (pglite)\n' });
    expect(await kassaInProcess(['keys', 'list'], embedded(missing))).toMatchObject({ code: 0, stdout: '' });
  });
});
