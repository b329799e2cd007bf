// Many PostgreSQL wire-protocol connections onto one PGlite session. PGlite is a single
// backend: the unnamed prepared statement, the unnamed portal and the transaction belong to
// the session, not to a connection. So a connection's unit of work runs alone, in one piece:
// a simple query, or an extended-protocol batch up to and including its Sync (Parse, Bind,
// Describe, Execute, Sync is how `pg` sends every parameterised query). A connection that
// leaves the session inside a transaction, or in the middle of a batch (a Flush before its
// Sync), keeps the session until it ends them; the others wait their turn, first come first
// served. A connection that goes away while it holds the session has its batch closed and
// its transaction rolled back.
//
// @electric-sql/pglite-socket 0.2.17 queues single messages and keeps a connection's turn
// only inside a transaction, so two connections' batches interleaved and one bound the
// other's statement: under load an entitlement check got another query's rows
// (electric-sql/pglite#1046, open). COPY is not supported through this server.
import { type Server, type Socket, createServer } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';

const SSL_REQUEST = 80877103;
const GSS_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const SYNC = Buffer.from([0x53, 0, 0, 0, 4]); // 'S', length 4

/** A message that ends a unit of work (query, sync, flush, function call); others are gathered until one comes. */
const UNIT_END = new Set(['Q', 'S', 'H', 'F']);
const ANSWERED = Symbol('answered here');

interface Message {
  /** The message type byte, or 'startup' for the startup message, which has none. */
  type: string;
  bytes: Buffer;
}

interface Connection {
  socket: Socket;
  /** Bytes received and not yet framed into messages. */
  received: Buffer;
  started: boolean;
  /** Messages of the unit being gathered. */
  gathering: Buffer[];
  /** Units ready to run, in order. */
  units: Buffer[];
  /** The last unit ran up to a Flush: the batch goes on, and the session stays with it. */
  midBatch: boolean;
  closed: boolean;
}

export class SharedSessionServer {
  private server: Server | undefined;
  private readonly connections = new Set<Connection>();
  /** Connections with units to run, in the order they became ready. */
  private readonly ready = new Set<Connection>();
  /** The connection whose transaction or batch is open on the session. */
  private owner: Connection | undefined;
  private pumping: Promise<void> | undefined;

  constructor(
    private readonly db: PGlite,
    private readonly options: { path: string; maxConnections: number },
  ) {}

  async start(): Promise<void> {
    const server = createServer((socket) => this.accept(socket));
    server.maxConnections = this.options.maxConnections;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
  }

  /** Stops accepting, ends every connection and waits for the unit under way, if any. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    for (const connection of this.connections) connection.socket.destroy();
    await this.pumping;
    await this.release();
    await closed;
  }

  private accept(socket: Socket): void {
    const connection: Connection = { socket, received: Buffer.alloc(0), started: false, gathering: [], units: [], midBatch: false, closed: false };
    this.connections.add(connection);
    socket.setNoDelay(true);
    socket.on('data', (data) => this.receive(connection, data));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => void this.leave(connection));
  }

  private receive(connection: Connection, data: Buffer): void {
    connection.received = connection.received.length === 0 ? data : Buffer.concat([connection.received, data]);
    for (let message = this.nextMessage(connection); message; message = this.nextMessage(connection)) {
      if (message !== ANSWERED) this.gather(connection, message);
    }
    if (connection.units.length > 0) {
      this.ready.delete(connection);
      this.ready.add(connection);
      this.pump();
    }
  }

  /** The next whole message (ANSWERED for one handled here), or undefined until more arrives. */
  private nextMessage(connection: Connection): Message | typeof ANSWERED | undefined {
    const bytes = connection.received;
    if (!connection.started) {
      // Before the startup message, messages carry no type byte: length, then a code.
      if (bytes.length < 8 || bytes.length < bytes.readInt32BE(0)) return undefined;
      const length = bytes.readInt32BE(0);
      const code = bytes.readInt32BE(4);
      connection.received = bytes.subarray(length);
      if (code === SSL_REQUEST || code === GSS_REQUEST) {
        connection.socket.write('N'); // no encryption on a local socket
        return ANSWERED;
      }
      if (code === CANCEL_REQUEST) {
        // PGlite has no other backend to interrupt; the request expects no answer.
        connection.socket.end();
        return ANSWERED;
      }
      connection.started = true;
      return { type: 'startup', bytes: bytes.subarray(0, length) };
    }
    if (bytes.length < 5 || bytes.length < 1 + bytes.readInt32BE(1)) return undefined;
    const length = 1 + bytes.readInt32BE(1);
    connection.received = bytes.subarray(length);
    return { type: String.fromCharCode(bytes[0]!), bytes: bytes.subarray(0, length) };
  }

  private gather(connection: Connection, { type, bytes }: Message): void {
    if (type === 'X') {
      connection.socket.end(); // Terminate ends the connection, not the shared session
      return;
    }
    connection.gathering.push(Buffer.from(bytes));
    if (type === 'startup' || UNIT_END.has(type)) {
      connection.units.push(connection.gathering.length === 1 ? connection.gathering[0]! : Buffer.concat(connection.gathering));
      connection.gathering = [];
    }
  }

  /** Runs units one at a time until none can run; one pump at a time. */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = (async () => {
      for (;;) {
        const connection = this.owner ?? this.ready.values().next().value;
        if (!connection || connection.units.length === 0) break; // the owner has not sent its next unit yet
        const unit = connection.units.shift()!;
        this.ready.delete(connection);
        if (connection.units.length > 0) this.ready.add(connection);
        this.owner = connection;
        await this.run(connection, unit);
        if (connection.closed) await this.release();
        else if (!connection.midBatch && !this.db.isInTransaction()) this.owner = undefined;
      }
    })().finally(() => {
      this.pumping = undefined;
      if (this.ready.size > 0 && (!this.owner || this.owner.units.length > 0)) this.pump();
    });
  }

  private async run(connection: Connection, unit: Buffer): Promise<void> {
    connection.midBatch = unit[unit.length - 5] === 0x48 && unit.readInt32BE(unit.length - 4) === 4; // ends with Flush
    try {
      await this.db.runExclusive(() =>
        this.db.execProtocolRawStream(new Uint8Array(unit), {
          onRawData: (data) => {
            if (!connection.closed) connection.socket.write(Buffer.from(data));
          },
        }),
      );
    } catch {
      // PGlite itself failed (not an SQL error, which it answers in the protocol): this
      // connection cannot be trusted to be in step any more.
      connection.socket.destroy();
    }
  }

  private async leave(connection: Connection): Promise<void> {
    connection.closed = true;
    this.connections.delete(connection);
    this.ready.delete(connection);
    connection.units = [];
    if (this.owner === connection && !this.pumping) {
      await this.release();
      this.pump();
    }
  }

  /** The owner went away: close its batch, roll back its transaction, free the session. */
  private async release(): Promise<void> {
    const owner = this.owner;
    if (!owner) return;
    this.owner = undefined;
    if (owner.midBatch) await this.db.runExclusive(() => this.db.execProtocolRaw(new Uint8Array(SYNC)));
    if (this.db.isInTransaction()) await this.db.exec('rollback');
  }
}
