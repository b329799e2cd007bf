// Opens Kassa's database: embedded PGlite (default) or PostgreSQL (DATABASE_URL), migrated.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import type { SQL } from 'drizzle-orm';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { hasDatabase, lockDataFolder } from './data-folder-lock.js';
import * as schema from './schema.js';

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;
export type Backend = 'pglite' | 'postgres';

export interface Database {
  db: Db;
  backend: Backend;
  close(): Promise<void>;
}

const migrationsFolder = join(dirname(fileURLToPath(import.meta.url)), '../../drizzle');

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
}

/** No embedded database where the settings point, and this command does not create one. */
export class NoDatabase extends Error {}

export async function openDatabase(options: OpenOptions): Promise<Database> {
  if (options.databaseUrl) {
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: options.poolSize ?? 10 });
    // An idle connection the server ends (restart, failover, a dropped test database) must not
    // crash the process: the pool discards it and opens a new one on the next query.
    pool.on('error', () => {});
    const db = drizzlePg(pool, { schema }) as unknown as Db;
    await migratePg(db as never, { migrationsFolder });
    return { db, backend: 'postgres', close: () => pool.end() };
  }
  const dataDir = options.dataDir ?? './data';
  if (dataDir.startsWith('memory://')) return openPglite(dataDir, options, () => {});
  if (options.mustExist && !hasDatabase(dataDir)) {
    throw new NoDatabase(`no Kassa database in ${dataDir} and DATABASE_URL is not set: set DATABASE_URL to the server's PostgreSQL, KASSA_DATA_DIR to the server's data folder, or run \`kassa migrate\` to create one here`);
  }
  mkdirSync(dataDir, { recursive: true });
  const release = lockDataFolder(dataDir, options.owner ?? 'kassa');
  try {
    return await openPglite(dataDir, options, release);
  } catch (error) {
    release();
    throw error;
  }
}

async function openPglite(dataDir: string, options: OpenOptions, release: () => void): Promise<Database> {
  const client = await PGlite.create(dataDir, { parsers: { 20: (value: string) => BigInt(value) }, loadDataDir: options.loadDataDir });
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  await migratePglite(db as never, { migrationsFolder });
  return {
    db,
    backend: 'pglite',
    close: async () => {
      await client.close();
      release();
    },
  };
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
