// Opens Kassa's database: embedded PGlite (default) or PostgreSQL (DATABASE_URL), migrated.
// Both are reached through node-postgres: the embedded one runs in its own thread behind a
// local socket (./embedded/), so one driver, one set of type parsers, one migrator.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SQL } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { DataFolderBusy, type DataFolderLock, hasDatabase, lockDataFolder } from './data-folder-lock.js';
import { startEmbeddedDatabase } from './embedded/start.js';
import * as schema from './schema.js';

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;
export type Backend = 'pglite' | 'postgres';

export interface Database {
  db: Db;
  backend: Backend;
  /** Beside the process that owns an embedded database: that process, as its lock names it. */
  through?: string;
  close(): Promise<void>;
}

export const migrationsFolder = join(dirname(fileURLToPath(import.meta.url)), '../../drizzle');

// int8 comes back as bigint from both drivers, so money never passes through a JS number.
// Drizzle's node-postgres session reads pg's global parsers (it overrides per-pool ones).
pg.types.setTypeParser(20, (value: string) => BigInt(value));

export interface OpenOptions {
  /** postgres://... to use PostgreSQL; otherwise PGlite. */
  databaseUrl?: string;
  /** PGlite data directory; 'memory://' for an in-memory database. */
  dataDir?: string;
  poolSize?: number;
  /** PGlite: start from this dump of a data folder (`dumpDataDir`) instead of an empty one. */
  loadDataDir?: Blob;
  /** PGlite: what this process is, named to a second opener that the folder's lock refuses. */
  owner?: string;
  /** PGlite: refuse a folder without a database instead of creating one (commands beside a server). */
  mustExist?: boolean;
  /** PGlite: when a running server owns the folder, work through its socket instead of refusing. */
  beside?: boolean;
}

/** No embedded database where the settings point, and this command does not create one. */
export class NoDatabase extends Error {}

export async function openDatabase(options: OpenOptions): Promise<Database> {
  const poolSize = options.poolSize ?? 10;
  if (options.databaseUrl) {
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: poolSize });
    return connect(pool, { backend: 'postgres', migrate: true, close: () => pool.end() });
  }
  const dataDir = options.dataDir ?? './data';
  if (dataDir.startsWith('memory://')) return serveEmbedded(dataDir, poolSize, options, undefined);
  if (options.mustExist && !hasDatabase(dataDir)) {
    throw new NoDatabase(`no Kassa database in ${dataDir} and DATABASE_URL is not set: set DATABASE_URL to the server's PostgreSQL, KASSA_DATA_DIR to the server's data folder, or run \`kassa migrate\` to create one here`);
  }
  mkdirSync(dataDir, { recursive: true });
  let lock: DataFolderLock;
  try {
    lock = lockDataFolder(dataDir, options.owner ?? 'kassa');
  } catch (error) {
    const owner = error instanceof DataFolderBusy ? error.owner : undefined;
    if (!options.beside || !owner?.socket) throw error;
    // The folder's owner serves it: this command works through the owner's socket, beside it.
    const pool = embeddedPool(owner.socket, poolSize);
    return connect(pool, { backend: 'pglite', through: `${owner.what} (process ${owner.pid})`, migrate: false, close: () => pool.end() });
  }
  try {
    return await serveEmbedded(dataDir, poolSize, options, lock);
  } catch (error) {
    lock.release(); // idempotent: a failed migration has released it already
    throw error;
  }
}

/** PGlite in its own thread, served on a socket; this process's pool connects to it like any PostgreSQL. */
async function serveEmbedded(dataDir: string, poolSize: number, options: OpenOptions, lock: DataFolderLock | undefined): Promise<Database> {
  const embedded = await startEmbeddedDatabase(dataDir, { loadDataDir: options.loadDataDir });
  const pool = embeddedPool(embedded.socketDir, poolSize);
  // On a failed migration connect() closes it all, the lock too: a refused opener starts clean.
  const database = await connect(pool, {
    backend: 'pglite',
    migrate: true,
    close: async () => {
      await pool.end();
      await embedded.stop();
      lock?.release();
    },
  });
  lock?.serve(embedded.socketDir);
  return database;
}

function embeddedPool(socketDir: string, max: number): pg.Pool {
  return new pg.Pool({ host: socketDir, user: 'postgres', database: 'postgres', max });
}

async function connect(pool: pg.Pool, how: { backend: Backend; through?: string; migrate: boolean; close(): Promise<void> }): Promise<Database> {
  // An idle connection the server ends (restart, failover, a dropped test database) must not
  // crash the process: the pool discards it and opens a new one on the next query.
  pool.on('error', () => {});
  const db = drizzle(pool, { schema }) as unknown as Db;
  try {
    if (how.migrate) await migrateAlone(pool);
  } catch (error) {
    await how.close();
    throw error;
  }
  return { db, backend: how.backend, through: how.through, close: how.close };
}

/**
 * Migrates on one connection holding an advisory lock: processes starting together on one
 * database (two API processes and a worker) migrate one after the other, and the later ones
 * find nothing left to do, instead of racing to create the same tables.
 */
async function migrateAlone(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("select pg_advisory_lock(hashtext('kassa.migrate'))");
    await migrate(drizzle(client, { schema }) as never, { migrationsFolder });
  } finally {
    await client.query("select pg_advisory_unlock(hashtext('kassa.migrate'))").catch(() => {});
    client.release();
  }
}

/** The node-postgres pool under a database opened here (both backends go through one). */
export function poolOf(db: Db): pg.Pool {
  const pool = (db as unknown as { $client?: unknown }).$client;
  if (!(pool instanceof pg.Pool)) throw new Error('not a database opened by openDatabase: no node-postgres pool under it');
  return pool;
}

/** Runs raw SQL and returns its rows (both drivers answer with `{ rows }`). */
export async function query<T>(db: Db, statement: SQL): Promise<T[]> {
  const result = (await db.execute(statement)) as unknown as { rows: T[] };
  return result.rows;
}

/** Timestamps from raw SQL arrive as Date (PGlite) or string (node-postgres): one shape. */
export function toDate(value: Date | string): Date {
  return value instanceof Date ? value : new Date(value);
}
