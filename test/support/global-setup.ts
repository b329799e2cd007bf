// Migrates one template database for the whole run, so a test file copies a finished schema
// instead of running initdb and every migration itself: on PostgreSQL a template database
// (`create database ... template`), on PGlite a dump of a migrated data folder that each file
// loads into its own in-memory database.
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
    /** PGlite: the path of a migrated data folder's dump (tar). */
    pgliteTemplate: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const base = process.env.DATABASE_URL;
  const tag = `${process.pid}_${randomBytes(3).toString('hex')}`;
  if (base) {
    const name = `kassa_template_${tag}`;
    await adminQuery(base, `create database ${name}`);
    const database = await openDatabase({ databaseUrl: databaseUrl(base, name), poolSize: 1 });
    await database.close();
    project.provide('postgresTemplate', name);
    project.provide('pgliteTemplate', '');
    return () => adminQuery(base, `drop database if exists ${name} with (force)`);
  }
  // Migrated the way Kassa opens a folder, then dumped by PGlite itself once the folder is free.
  const folder = mkdtempSync(join(tmpdir(), 'kassa-template-'));
  const database = await openDatabase({ dataDir: folder, owner: 'the test template' });
  await database.close();
  const client = await PGlite.create(folder);
  const dump = await client.dumpDataDir('none');
  await client.close();
  rmSync(folder, { recursive: true, force: true });
  const path = join(tmpdir(), `kassa-template-${tag}.tar`);
  writeFileSync(path, Buffer.from(await dump.arrayBuffer()));
  project.provide('postgresTemplate', '');
  project.provide('pgliteTemplate', path);
  return async () => rmSync(path, { force: true });
}
