// The embedded databases' own thread: each PGlite instance behind a PostgreSQL wire-protocol
// socket (./shared-session.ts), so the server's pool and the CLI beside it speak to it
// with the same `pg` driver as to PostgreSQL, and a long statement (a billing batch) runs here
// instead of holding the server's event loop. See docs/decisions/0008-embedded-database-thread.md.
import { chmodSync, rmSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import type { FromThread, OpenSettings, ToThread } from './protocol.js';
import { SharedSessionServer } from './shared-session.js';

const port = parentPort!;
const say = (message: FromThread) => port.postMessage(message);
const open = new Map<number, { db: PGlite; server: SharedSessionServer; socketPath: string }>();

port.on('message', (message: ToThread) => {
  const done = message.type === 'open' ? start(message.id, message) : stop(message.id);
  done.catch((error: unknown) => say({ type: 'failed', id: message.id, message: error instanceof Error ? error.message : String(error) }));
});

async function start(id: number, settings: OpenSettings): Promise<void> {
  const db = await PGlite.create(settings.dataDir, {
    loadDataDir: settings.loadDataDir ? new Blob([settings.loadDataDir]) : undefined,
  });
  try {
    // The opener holds the folder's lock, so a socket file left here is a crashed owner's.
    rmSync(settings.socketPath, { force: true });
    const server = new SharedSessionServer(db, { path: settings.socketPath, maxConnections: settings.maxConnections });
    await server.start();
    chmodSync(settings.socketPath, 0o600); // only this user's processes may connect
    open.set(id, { db, server, socketPath: settings.socketPath });
  } catch (error) {
    await db.close();
    throw error;
  }
  say({ type: 'opened', id });
}

async function stop(id: number): Promise<void> {
  const entry = open.get(id);
  if (entry) {
    open.delete(id);
    await entry.server.stop();
    await entry.db.close();
    rmSync(entry.socketPath, { force: true });
  }
  say({ type: 'closed', id });
}
