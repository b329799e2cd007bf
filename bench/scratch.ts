// A scratch database for one benchmark: a PGlite folder, or a database created on the
// PostgreSQL server (DATABASE_URL, else the local one) and dropped afterwards.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export async function scratchTarget(backend: 'pglite' | 'postgres', label: string, databaseUrl?: string): Promise<{ databaseUrl?: string; dataDir?: string; drop(): Promise<void> }> {
  if (backend === 'pglite') {
    const dataDir = mkdtempSync(join(tmpdir(), `kassa-bench-${label}-`));
    return { dataDir, drop: async () => rmSync(dataDir, { recursive: true, force: true }) };
  }
  const base = databaseUrl ?? process.env.DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/postgres';
  const name = `kassa_bench_${label}_${process.pid}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: base });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(`drop database if exists ${name} with (force)`);
  await admin(`create database ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  return { databaseUrl: url.toString(), drop: () => admin(`drop database if exists ${name} with (force)`) };
}
