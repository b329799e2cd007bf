// Backups of both backends (SPEC 14): the embedded database as PGlite's own dump of its data
// folder (a gzip'd tar, taken with the folder locked, so no server writes meanwhile), and
// PostgreSQL in pg_dump's custom format, taken beside the running servers (one consistent
// snapshot). A restore goes into an empty target only, so it can never mix two databases:
// a new data folder (then migrated to this version), or a new PostgreSQL database.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

import { promisify } from 'node:util';
import pg from 'pg';
import { LOCK_FILE, hasDatabase, lockDataFolder } from './data-folder-lock.js';
import { openDatabase } from './client.js';

const run = promisify(execFile);

/** Something a backup or restore cannot do as asked, said in one line. */
export class BackupRefused extends Error {}

/** Files of the data folder that are not the database: never put in a backup. */
const NOT_DATA = new Set([LOCK_FILE, 'secret.key', '.s.PGSQL.5432', '.s.PGSQL.5432.lock']);

export async function backupDataFolder(dataDir: string, file: string): Promise<{ bytes: number }> {
  if (!hasDatabase(dataDir)) throw new BackupRefused(`no Kassa database in ${dataDir} to back up`);
  // Refuses while a server owns the folder (DataFolderBusy): the folder is copied whole.
  const lock = lockDataFolder(dataDir, 'kassa backup');
  // PGlite dumps every file of the folder it opened: it opens a copy without the lock and the
  // secret key (a backup holding its own key would protect nothing).
  const copy = mkdtempSync(join(tmpdir(), 'kassa-backup-'));
  try {
    cpSync(dataDir, copy, { recursive: true, filter: (source) => !NOT_DATA.has(basename(source)) || source === dataDir });
    const { PGlite } = await import('@electric-sql/pglite');
    const client = await PGlite.create(copy);
    try {
      await client.query('checkpoint');
      const dump = Buffer.from(await (await client.dumpDataDir('gzip')).arrayBuffer());
      writeFileSync(file, dump, { mode: 0o600 });
      return { bytes: dump.length };
    } finally {
      await client.close();
    }
  } finally {
    rmSync(copy, { recursive: true, force: true });
    lock.release();
  }
}

export async function restoreDataFolder(file: string, dataDir: string): Promise<void> {
  const present = existsSync(dataDir) ? readdirSync(dataDir).filter((name) => !NOT_DATA.has(name)) : [];
  if (present.length > 0) throw new BackupRefused(`${dataDir} is not empty: restore into a new KASSA_DATA_DIR, so that no data is mixed or lost`);
  mkdirSync(dataDir, { recursive: true });
  const database = await openDatabase({ dataDir, loadDataDir: new Blob([readFileSync(file)]), owner: 'kassa restore' });
  await database.close();
}

export async function backupPostgres(url: string, file: string): Promise<{ bytes: number }> {
  await tool('pg_dump', ['--format=custom', '--no-owner', '--no-privileges', `--file=${file}`, `--dbname=${url}`]);
  return { bytes: readFileSync(file).length };
}

export async function restorePostgres(file: string, url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>("select count(*) as n from information_schema.tables where table_schema in ('public', 'drizzle')");
    if (Number(rows[0]!.n) > 0) throw new BackupRefused('the database at DATABASE_URL is not empty: restore into a new one (createdb), so that no data is mixed or lost');
  } finally {
    await client.end();
  }
  await tool('pg_restore', ['--no-owner', '--no-privileges', '--exit-on-error', '--single-transaction', `--dbname=${url}`, file]);
  // Migrated to this version, as every start does.
  const database = await openDatabase({ databaseUrl: url, poolSize: 1 });
  await database.close();
}

async function tool(name: string, args: string[]): Promise<void> {
  try {
    await run(name, args, { maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const { code, stderr } = error as { code?: string | number; stderr?: string };
    if (code === 'ENOENT') throw new BackupRefused(`${name} is not installed: it comes with PostgreSQL's client tools (apt-get install postgresql-client)`);
    throw new BackupRefused(`${name} failed: ${String(stderr ?? (error as Error).message).trim().split('\n').slice(-3).join(' ')}`);
  }
}
