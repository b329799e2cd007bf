// Several API processes on one PostgreSQL: an invalidation in one drops the entry in the
// others (LISTEN/NOTIFY on kassa_entitlements). Each cache here stands for one process.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query } from '../src/db/client.js';
import { EntitlementCache } from '../src/entitlements/cache.js';
import { LISTENER_APPLICATION_NAME } from '../src/entitlements/notify.js';
import { type Harness, startHarness } from './support/harness.js';
import { insertAccount, insertPlanVersion, reportCount, subscribe } from './support/entitlement-fixtures.js';

const postgres = Boolean(process.env.DATABASE_URL);

async function eventually(check: () => boolean | Promise<boolean>, timeout_ms = 3_000): Promise<void> {
  const until = Date.now() + timeout_ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe.runIf(postgres)('invalidations shared between processes (PostgreSQL)', () => {
  let h: Harness;
  let writer: EntitlementCache;
  let reader: EntitlementCache;

  beforeAll(async () => {
    h = await startHarness();
    writer = new EntitlementCache();
    reader = new EntitlementCache();
    await writer.connect(h.kassa.db, h.kassa.backend);
    await reader.connect(h.kassa.db, h.kassa.backend);
  });
  afterAll(async () => {
    await writer?.close();
    await reader?.close();
    await h?.close();
  });

  it('a write in one process is seen by the next check in another', async () => {
    const db = h.kassa.db;
    const id = await insertAccount(db);
    await subscribe(db, id, await insertPlanVersion(db, 'notify_starter', { quotas: { users: 5 } }));
    expect((await reader.get(db, id))?.byFeature.get('users')).toMatchObject({ used: 0 });

    await reportCount(db, id, 'users', 5);
    writer.invalidate(id);
    await eventually(() => reader.peek(id) === undefined);
    expect((await reader.get(db, id))?.byFeature.get('users')).toMatchObject({ used: 5, allowed: false });
  });

  it('many invalidations in one tick arrive together, in chunks', async () => {
    const db = h.kassa.db;
    const ids = await Promise.all(Array.from({ length: 700 }, () => insertAccount(db)));
    await Promise.all(ids.map((id) => reader.get(db, id)));
    for (const id of ids) writer.invalidate(id);
    await eventually(() => ids.every((id) => reader.peek(id) === undefined));
  });

  it('a process that lost its listening connection forgets everything and listens again', async () => {
    const db = h.kassa.db;
    const id = await insertAccount(db);
    await reader.get(db, id);
    const listeners = sql`from pg_stat_activity where datname = current_database() and application_name = ${LISTENER_APPLICATION_NAME}`;
    const countListeners = async () => (await query<{ n: bigint }>(db, sql`select count(*) as n ${listeners}`))[0]!.n;
    const listening = await countListeners(); // the reader, the writer and the harness's own Kassa
    await db.execute(sql`select pg_terminate_backend(pid) ${listeners}`);
    await eventually(() => reader.size === 0, 5_000); // it may have missed notifications
    await eventually(async () => (await countListeners()) === listening, 5_000);
    await reader.get(db, id);
    writer.invalidate(id);
    await eventually(() => reader.peek(id) === undefined, 5_000);
  });

  it('clear() in one process clears the others', async () => {
    const db = h.kassa.db;
    const id = await insertAccount(db);
    await reader.get(db, id);
    writer.clear();
    await eventually(() => reader.size === 0);
  });
});

describe.runIf(!postgres)('invalidations on PGlite', () => {
  it('stay in the one process: connect() does nothing', async () => {
    const h = await startHarness();
    try {
      const cache = new EntitlementCache();
      await cache.connect(h.kassa.db, h.kassa.backend);
      cache.invalidate(1);
      await cache.close();
    } finally {
      await h.close();
    }
  });
});
