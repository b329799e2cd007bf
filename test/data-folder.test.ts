// SPEC 15, "no data lost": the embedded database's data folder has one owner process. A second
// opener, a CLI command or a second server, is refused in one line that names the owner, and
// changes nothing; a lock left by a process that is gone is taken over. Commands other than
// `kassa migrate` refuse a folder that holds no database instead of creating an empty one.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listApiKeys } from '../src/auth/api-keys.js';
import { type Database, openDatabase } from '../src/db/client.js';
import { DataFolderBusy, LOCK_FILE } from '../src/db/data-folder-lock.js';
import { type CliRun, kassaInProcess, kassaProcess, runProcess } from './support/cli.js';

const folders: string[] = [];
const folder = (name: string) => {
  const dir = mkdtempSync(join(tmpdir(), `kassa-${name}-`));
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
  let owner: Database;

  beforeAll(async () => {
    dataDir = folder('owned');
    owner = await openDatabase({ dataDir, owner: 'kassa server on port 3000' });
  });
  afterAll(() => owner.close());

  it('refuses a second opener, naming the owner, and opens again once the owner has closed', async () => {
    const refused = await openDatabase({ dataDir, owner: 'another' }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(DataFolderBusy);
    expect((refused as DataFolderBusy).owner).toMatchObject({ pid: process.pid, what: 'kassa server on port 3000' });
    expect((refused as Error).message).toMatch(/stop that one first, or use PostgreSQL \(DATABASE_URL\)/);

    const other = folder('reopen');
    const first = await openDatabase({ dataDir: other });
    await first.close();
    expect(existsSync(join(other, LOCK_FILE))).toBe(false);
    const second = await openDatabase({ dataDir: other });
    await second.close();
  });

  it('refuses a CLI command beside it in one line, and the command changes nothing', async () => {
    const keysBefore = await listApiKeys(owner.db);
    const created: CliRun = await kassaInProcess(['keys', 'create', '--name', 'beside the server'], embedded(dataDir));
    expect(created.code).toBe(1);
    expect(created.stdout).toBe('');
    const lines = created.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2); // which database, then why not
    expect(lines[0]).toBe(`kassa: using the embedded database in ${dataDir}`);
    expect(lines[1]).toMatch(busy(process.pid));
    expect(await listApiKeys(owner.db)).toEqual(keysBefore);
  });

  it('refuses the real binary and a second server, each a process of its own', async () => {
    const listed = await kassaProcess(['keys', 'list'], embedded(dataDir));
    expect(listed.code).toBe(1);
    expect(listed.stderr.trimEnd().split('\n').at(-1)).toMatch(busy(process.pid));
    expect(listed.stderr).not.toMatch(/\n\s+at /);

    const server = await runProcess(process.execPath, ['--import', 'tsx', 'src/main.ts'], { ...embedded(dataDir), PORT: '0', KASSA_DEMO_DATA: 'false' });
    expect(server.code).toBe(1);
    expect(server.stderr).toMatch(busy(process.pid));
  }, 120_000);

  it('takes over a lock left by a process that is gone', async () => {
    const stale = folder('stale');
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
