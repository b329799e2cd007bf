// Messages between the process and its embedded database thread (./worker.ts). The thread
// hosts every embedded database the process opens (one in production; one per test file in
// a test worker), each a PGlite instance behind its own socket.

export interface OpenSettings {
  /** PGlite's data folder, or memory:// */
  dataDir: string;
  /** A dump of a data folder to start from (PGlite `loadDataDir`), as bytes. */
  loadDataDir?: ArrayBuffer;
  /** Where the socket listens: `<dir>/.s.PGSQL.5432`, the file name `pg` looks for in `host`. */
  socketPath: string;
  maxConnections: number;
}

export type ToThread = ({ type: 'open' } & OpenSettings & { id: number }) | { type: 'close'; id: number };

export type FromThread = { type: 'opened'; id: number } | { type: 'closed'; id: number } | { type: 'failed'; id: number; message: string };
