// What the crash tests share: a database for a child process to work on (a PostgreSQL database,
// or a PGlite data folder), dropped after the file, and killing the child with SIGKILL after it
// printed so many lines saying it committed something.
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { createTestDatabase, migratedDataFolder } from '../support/harness.js';

/** Node's arguments to run a TypeScript child: tsx, and the quick module loading the entry points have. */
export const TS_CHILD = ['--import', 'tsx', '--import', fileURLToPath(new URL('../../src/db/quick-load.ts', import.meta.url))];

/** A migrated target for `openKassa` in another process: a database URL, or a data folder. */
export function crashTargets(prefix: string): () => Promise<string> {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });
  return async () => {
    const database = await createTestDatabase();
    if (database.url) {
      cleanups.push(database.drop);
      return database.url;
    }
    const dir = migratedDataFolder(prefix);
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    return dir;
  };
}

/** Kills `proc` once it printed `count` lines starting with `committed`; answers how many it printed. */
export function killAfter(proc: ChildProcess, committed: string, count: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let seen = 0;
    proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      seen += chunk.split('\n').filter((l) => l.startsWith(committed)).length;
      if (seen >= count && proc.exitCode === null) proc.kill('SIGKILL');
    });
    proc.on('exit', (_code, signal) => (signal === 'SIGKILL' ? resolve(seen) : reject(new Error(`child ended by itself after ${seen} lines "${committed}"`))));
  });
}
