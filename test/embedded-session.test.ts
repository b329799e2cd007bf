// The embedded database is one PGlite session shared by every connection of the process and
// of the commands beside it (src/db/embedded/shared-session.ts). Connections must see it as
// PostgreSQL's would: each query its own answer, each transaction its own, whatever the others
// do at the same moment. With @electric-sql/pglite-socket, concurrent parameterised queries
// answered each other's (electric-sql/pglite#1046).
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedDatabase, startEmbeddedDatabase } from '../src/db/embedded/start.js';

let embedded: EmbeddedDatabase;
let pool: pg.Pool;
const client = () => new pg.Client({ host: embedded.socketDir, user: 'postgres', database: 'postgres' });

beforeAll(async () => {
  embedded = await startEmbeddedDatabase('memory://');
  pool = new pg.Pool({ host: embedded.socketDir, user: 'postgres', database: 'postgres', max: 10 });
  await pool.query('create table counters (id int primary key, n int not null)');
  await pool.query('insert into counters values (1, 0)');
});
afterAll(async () => {
  await pool.end();
  await embedded.stop();
});

describe('one embedded session, many connections', () => {
  it('answers each of 2,000 concurrent parameterised queries with its own row', async () => {
    const asked = Array.from({ length: 2_000 }, (_, i) => i);
    const answered = await Promise.all(asked.map((i) => pool.query<{ n: number; tag: string }>('select $1::int as n, $2::text as tag', [i, `q${i}`])));
    expect(answered.map((r) => [r.rows[0]!.n, r.rows[0]!.tag])).toEqual(asked.map((i) => [i, `q${i}`]));
  });

  it('answers each query its own row also when they queued behind a transaction (a billing batch)', async () => {
    const batch = client();
    await batch.connect();
    try {
      await batch.query('begin');
      await batch.query('select n from counters where id = $1 for update', [1]);
      const asked = Array.from({ length: 200 }, (_, i) => i);
      const answers = asked.map((i) => pool.query<{ n: number; tag: string }>('select $1::int as n, $2::text as tag', [i, `q${i}`]));
      await batch.query('update counters set n = n where id = $1', [1]);
      await batch.query('commit');
      const answered = await Promise.allSettled(answers);
      expect(answered.map((r) => (r.status === 'fulfilled' ? [r.value.rows[0]?.n, r.value.rows[0]?.tag] : r.reason.message))).toEqual(asked.map((i) => [i, `q${i}`]));
    } finally {
      await batch.end();
    }
  });

  it('runs a transaction alone: another connection waits, and sees only what was committed', async () => {
    const writer = await pool.connect();
    try {
      await writer.query('begin');
      await writer.query('update counters set n = n + $1 where id = 1', [5]);
      const reader = pool.query<{ n: number }>('select n from counters where id = $1', [1]);
      // The reader waits for the session, so the writer's next statements still run in its transaction.
      await writer.query('update counters set n = n + $1 where id = 1', [5]);
      await writer.query('commit');
      expect((await reader).rows[0]!.n).toBe(10);
    } finally {
      writer.release();
    }
  });

  it('keeps 50 transactions apart when they write at once', async () => {
    const before = (await pool.query<{ n: number }>('select n from counters where id = 1')).rows[0]!.n;
    const adds = Array.from({ length: 50 }, () =>
      (async () => {
        const c = await pool.connect();
        try {
          await c.query('begin');
          const { rows } = await c.query<{ n: number }>('select n from counters where id = $1', [1]);
          await c.query('update counters set n = $1 where id = 1', [rows[0]!.n + 1]);
          await c.query('commit');
        } finally {
          c.release();
        }
      })(),
    );
    await Promise.all(adds);
    // Read-modify-write without a lock only adds up when the transactions never overlap.
    expect((await pool.query<{ n: number }>('select n from counters where id = 1')).rows[0]!.n).toBe(before + 50);
  });

  it('rolls back the transaction of a connection that goes away, and the others go on', async () => {
    const committed = (await pool.query<{ n: number }>('select n from counters where id = 1')).rows[0]!.n;
    const leaving = client();
    leaving.on('error', () => {}); // it is cut off on purpose
    await leaving.connect();
    await leaving.query('begin');
    await leaving.query('update counters set n = $1 where id = 1', [-1]);
    const waiting = pool.query<{ n: number }>('select n from counters where id = $1', [1]);
    leaving.connection.stream.destroy();
    expect((await waiting).rows[0]!.n).toBe(committed); // the update of the connection that left is gone
    expect((await pool.query('select 1 as one')).rows).toEqual([{ one: 1 }]);
  });

  it('answers an error in one batch to its connection only', async () => {
    const [bad, good] = await Promise.allSettled([pool.query('select $1::int / 0 as x', [1]), pool.query('select $1::int as x', [7])]);
    expect(bad.status).toBe('rejected');
    expect((bad as PromiseRejectedResult).reason.message).toMatch(/division by zero/);
    expect(good).toMatchObject({ status: 'fulfilled', value: { rows: [{ x: 7 }] } });
  });
});
