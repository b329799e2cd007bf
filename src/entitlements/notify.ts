// Shares cache invalidations between API and worker processes on one PostgreSQL: each
// process LISTENs on `kassa_entitlements` on its own connection and NOTIFYs the accounts it
// invalidated. Payload: "<origin>|<id>,<id>,..." or "<origin>|all"; a process ignores its own.
// Invalidations of one tick are sent together, in chunks well under NOTIFY's 8000-byte limit.
// A lost connection may have lost notifications: the local cache is cleared on reconnect.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { type Db, poolOf } from '../db/client.js';

export const INVALIDATION_CHANNEL = 'kassa_entitlements';
export const LISTENER_APPLICATION_NAME = 'kassa entitlements listener';
const IDS_PER_NOTIFY = 300;
const RECONNECT_DELAY_MS = 1_000;

export interface InvalidationChannel {
  publish(accountId: number | 'all'): void;
  close(): Promise<void>;
}

export interface InvalidationTarget {
  drop(accountId: number | 'all'): void;
}

export async function listenForInvalidations(db: Db, target: InvalidationTarget): Promise<InvalidationChannel> {
  const pool = poolOf(db);
  const origin = randomUUID();
  let client: pg.Client | undefined;
  let closed = false;
  let pending = new Set<number | 'all'>();
  let flushScheduled = false;

  const onNotification = (message: pg.Notification) => {
    const [from, ids] = (message.payload ?? '').split('|');
    if (from === origin || ids === undefined) return;
    if (ids === 'all') return target.drop('all');
    for (const id of ids.split(',')) target.drop(Number(id));
  };

  const connect = async () => {
    // Named, so operators can tell the listeners apart in pg_stat_activity.
    const next = new pg.Client({ ...pool.options, application_name: LISTENER_APPLICATION_NAME });
    next.on('notification', onNotification);
    next.on('error', () => reconnect(next));
    next.on('end', () => reconnect(next));
    try {
      await next.connect();
      // An idle listener must not keep the process alive on its own.
      (next as unknown as { connection?: { stream?: { unref?: () => void } } }).connection?.stream?.unref?.();
      await next.query(`listen ${INVALIDATION_CHANNEL}`);
    } catch (error) {
      await next.end().catch(() => {});
      throw error;
    }
    client = next;
    target.drop('all');
    scheduleFlush();
  };

  const retryLater = () => {
    if (closed) return;
    setTimeout(() => void connect().catch(retryLater), RECONNECT_DELAY_MS).unref();
  };

  const reconnect = (lost: pg.Client) => {
    if (client !== lost || closed) return;
    client = undefined;
    lost.end().catch(() => {});
    retryLater();
  };

  const flush = async () => {
    flushScheduled = false;
    if (!client || pending.size === 0) return;
    const batch = pending.has('all') ? ['all'] : [...pending].map(String);
    pending = new Set();
    const sending = client;
    for (let i = 0; i < batch.length; i += IDS_PER_NOTIFY) {
      const payload = `${origin}|${batch.slice(i, i + IDS_PER_NOTIFY).join(',')}`;
      await sending.query('select pg_notify($1, $2)', [INVALIDATION_CHANNEL, payload]).catch(() => {});
    }
  };

  const scheduleFlush = () => {
    if (flushScheduled) return;
    flushScheduled = true;
    setImmediate(() => void flush());
  };

  await connect();
  return {
    publish(accountId) {
      pending.add(accountId);
      scheduleFlush();
    },
    async close() {
      closed = true;
      await flush();
      await client?.end().catch(() => {});
      client = undefined;
    },
  };
}
