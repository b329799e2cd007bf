// The embedded database's data folder has exactly one owner process: PGlite keeps its state
// in the process that opened it, so a second process on the same folder would lose or corrupt
// writes. The owner holds `kassa.lock` (its pid, what it is, since when), created atomically;
// a second opener is refused with the owner named. A lock whose process is gone is stale and
// taken over. (A pid is only meaningful on one machine: the folder must not be shared over a
// network file system between hosts.)
import { closeSync, existsSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface LockOwner {
  pid: number;
  /** What holds it: "kassa server", "kassa keys create"... */
  what: string;
  since: string;
  /** The folder of the owner's database socket, while it serves one (commands beside it connect there). */
  socket?: string;
}

/** Another live process owns the folder: nothing was opened. */
export class DataFolderBusy extends Error {
  constructor(
    readonly dataDir: string,
    readonly owner: LockOwner,
  ) {
    super(
      `the embedded database in ${dataDir} is in use by process ${owner.pid} (${owner.what}, since ${owner.since}); ` +
        'one process at a time owns it: stop that one first, or use PostgreSQL (DATABASE_URL) to run several',
    );
  }
}

export const LOCK_FILE = 'kassa.lock';

export interface DataFolderLock {
  /** Says in the lock where this process serves the database, for commands beside it. */
  serve(socketDir: string): void;
  release(): void;
}

/** Takes the folder's lock for this process. */
export function lockDataFolder(dataDir: string, what: string): DataFolderLock {
  const path = join(dataDir, LOCK_FILE);
  const me: LockOwner = { pid: process.pid, what, since: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = readOwner(path);
      if (owner && isAlive(owner.pid)) throw new DataFolderBusy(dataDir, owner);
      rmSync(path, { force: true }); // stale: its process is gone (or the file is unreadable)
      continue;
    }
    writeSync(fd, `${JSON.stringify(me)}\n`);
    closeSync(fd);
    const release = () => {
      if (readOwner(path)?.pid === process.pid) rmSync(path, { force: true });
      process.off('exit', release);
    };
    // A process that ends without closing (an uncaught error, process.exit) leaves no lock.
    process.on('exit', release);
    const serve = (socketDir: string) => {
      // Written beside and renamed over, so a reader never sees half a lock.
      writeFileSync(`${path}.new`, `${JSON.stringify({ ...me, socket: socketDir })}\n`);
      renameSync(`${path}.new`, path);
    };
    return { serve, release };
  }
  throw new Error(`could not take ${path}: another process keeps creating it`);
}

function readOwner(path: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(readFileSync(path, 'utf8')) as LockOwner;
    return Number.isInteger(owner.pid) ? owner : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when the folder holds an embedded database (PGlite writes PG_VERSION at creation). */
export function hasDatabase(dataDir: string): boolean {
  return existsSync(join(dataDir, 'PG_VERSION'));
}
