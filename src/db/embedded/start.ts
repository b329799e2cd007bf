// Starts an embedded database in the process's database thread (./worker.ts) and answers
// where its socket is. The thread is started on first use and kept while any database is
// open; when none is, it no longer keeps the process alive. Kept between opens, it keeps
// PGlite's compiled WebAssembly too: a test worker opening one database per file pays for
// the thread once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { FromThread, OpenSettings, ToThread } from './protocol.js';

/** The socket's file name in its folder: what `pg` connects to when `host` is that folder. */
export const SOCKET_FILE = '.s.PGSQL.5432';
/** Unix socket paths are limited to 107 bytes on Linux; a deeper data folder uses a temp one. */
const MAX_SOCKET_PATH = 100;

export interface EmbeddedDatabase {
  /** The folder holding the socket: `host` for `pg`. */
  socketDir: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  loadDataDir?: Blob;
}

/** Connections one embedded database accepts: the server's pool and the commands beside it. */
const MAX_CONNECTIONS = 64;

export async function startEmbeddedDatabase(dataDir: string, options: EmbeddedOptions = {}): Promise<EmbeddedDatabase> {
  const inMemory = dataDir.startsWith('memory://');
  const folder = resolve(inMemory ? '.' : dataDir);
  const temporary = inMemory || Buffer.byteLength(join(folder, SOCKET_FILE)) > MAX_SOCKET_PATH;
  const socketDir = temporary ? mkdtempSync(join(tmpdir(), 'kassa-db-')) : folder;
  const removeTemporary = () => {
    if (temporary) rmSync(socketDir, { recursive: true, force: true });
  };
  const loadDataDir = options.loadDataDir ? await options.loadDataDir.arrayBuffer() : undefined;
  const settings: OpenSettings = { dataDir, loadDataDir, socketPath: join(socketDir, SOCKET_FILE), maxConnections: MAX_CONNECTIONS };
  const id = nextId++;
  try {
    await ask({ type: 'open', id, ...settings }, loadDataDir ? [loadDataDir] : []);
  } catch (error) {
    removeTemporary();
    throw new Error(`the embedded database in ${dataDir} did not start: ${(error as Error).message}`);
  }
  let stopping: Promise<void> | undefined;
  return {
    socketDir,
    stop: () =>
      (stopping ??= ask({ type: 'close', id }).finally(removeTemporary)),
  };
}

let thread: { worker: Worker; waiting: Map<number, { done(): void; fail(error: Error): void }> } | undefined;
let nextId = 1;

/** Sends one request to the thread (starting it if need be) and waits for its answer. */
function ask(message: ToThread, transfer: ArrayBuffer[] = []): Promise<void> {
  const { worker, waiting } = (thread ??= startThread());
  return new Promise<void>((done, fail) => {
    waiting.set(message.id, { done, fail });
    worker.ref();
    worker.postMessage(message, transfer);
  }).finally(() => {
    if (waiting.size === 0 && open.size === 0) worker.unref();
  });
}

/** Databases the thread serves, so an idle thread lets the process end. */
const open = new Set<number>();

function startThread(): NonNullable<typeof thread> {
  const worker = new Worker(new URL('./worker.mjs', import.meta.url));
  const waiting = new Map<number, { done(): void; fail(error: Error): void }>();
  worker.on('message', (message: FromThread) => {
    const waiter = waiting.get(message.id);
    waiting.delete(message.id);
    if (message.type === 'opened') open.add(message.id);
    if (message.type === 'closed') open.delete(message.id);
    if (message.type === 'failed') waiter?.fail(new Error(message.message));
    else waiter?.done();
  });
  const lost = (why: string) => {
    if (thread?.worker === worker) thread = undefined;
    if (open.size > 0) process.stderr.write(`kassa: the embedded database thread ${why}; its databases are gone until restart\n`);
    open.clear();
    for (const waiter of waiting.values()) waiter.fail(new Error(`the embedded database thread ${why}`));
    waiting.clear();
  };
  worker.on('error', (error) => lost(`failed: ${error.message}`));
  worker.on('exit', (code) => lost(`ended (exit code ${code})`));
  return { worker, waiting };
}
