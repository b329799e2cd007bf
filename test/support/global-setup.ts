// Migrates one template database for the whole run, so a test file copies a finished schema
// instead of running initdb and every migration itself: on PostgreSQL a template database
// (`create database ... template`); on PGlite a dump of a migrated data folder that each file
// loads into its own in-memory database. On both, that folder itself, which a test copies for
// a process that opens a data folder of its own.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../../src/db/client.js';
import { adminQuery, databaseUrl } from './postgres-admin.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** PostgreSQL: the migrated template database's name. */
    postgresTemplate: string;
    /** The path of a migrated PGlite data folder's dump (tar). */
    pgliteTemplate: string;
    /** That migrated data folder itself, for processes that open a folder (migratedDataFolder). */
    pgliteTemplateFolder: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const base = process.env.DATABASE_URL;
  const tag = `${process.pid}_${randomBytes(3).toString('hex')}`;
  // The PGlite template on both backends: on PostgreSQL too, `npm start` and the data-folder
  // tests open an embedded folder.
  const [postgres, pglite] = await Promise.all([base ? postgresTemplate(base, tag) : undefined, pgliteTemplate(tag)]);
  project.provide('postgresTemplate', postgres?.name ?? '');
  project.provide('pgliteTemplate', pglite.dump);
  project.provide('pgliteTemplateFolder', pglite.folder);
  return async () => {
    await postgres?.drop();
    pglite.remove();
  };
}

async function postgresTemplate(base: string, tag: string) {
  const name = `kassa_template_${tag}`;
  await adminQuery(base, `create database ${name}`);
  const database = await openDatabase({ databaseUrl: databaseUrl(base, name), poolSize: 1 });
  await database.close();
  return { name, drop: () => adminQuery(base, `drop database if exists ${name} with (force)`) };
}

async function pgliteTemplate(tag: string) {
  // Migrated the way Kassa opens a folder, then dumped by PGlite itself once the folder is free.
  // Every test file loads it, so it is made small: 17 MB instead of 43, which takes a third off
  // each file's start. WAL segments of 1 MB instead of 16 (initdb's default, mostly zeros), and
  // no template databases: PGlite never creates a database (that is tested on PostgreSQL).
  // An empty folder's own first start is tested with initdb's defaults (data-folder.test.ts).
  const folder = mkdtempSync(join(tmpdir(), 'kassa-template-'));
  await (await PGlite.create(folder, { initDbStartParams: ['--wal-segsize=1'] })).close();
  const database = await openDatabase({ dataDir: folder, owner: 'the test template' });
  await database.close();
  const client = await PGlite.create(folder);
  await client.query(`update pg_database set datistemplate = false where datname in ('template0', 'template1')`);
  for (const name of ['template0', 'template1']) await client.query(`drop database ${name}`);
  await client.query('checkpoint');
  const dump = await client.dumpDataDir('none');
  await client.close();
  const path = join(tmpdir(), `kassa-template-${tag}.tar`);
  writeFileSync(path, Buffer.from(await dump.arrayBuffer()));
  return {
    folder,
    dump: path,
    remove() {
      rmSync(path, { force: true });
      rmSync(folder, { recursive: true, force: true });
    },
  };
}
