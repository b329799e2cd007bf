// Attempts counted in the database (attempt_counts), so every process on one database counts
// the same ones (SPEC 14 and 15): a guesser spreading tries over API processes behind a load
// balancer meets one limit, not one per process. One row per key:
//
//   ip:<route>:<address>   sign-ups, logins, resets per client address (rate-limit-store.ts),
//                          on the database's real time
//   password:<who>         wrong passwords per address typed or trusted device (login-slowdown.ts)
//   code:<user>            wrong second-factor codes per user (two-factor/attempts.ts)
//
// The last two run on Kassa's clock (simulated in tests and demos), given as `now`.
import { sql } from 'drizzle-orm';
import { type Db, query, toDate } from '../db/client.js';

export interface AttemptCount {
  count: number;
  /** When the count's window began (its first attempt). */
  since: Date;
  /** Its latest attempt. */
  lastAt: Date;
}

/**
 * When a count starts again at 1: `windowMs` after its first attempt (a fixed window), or after
 * its latest one (a count that is forgotten only once the attempts stop).
 */
export interface CountWindow {
  ms: number;
  from: 'first' | 'latest';
}

/** One more attempt under `key` at `now` (the database's real time when undefined); answers the count it makes. */
export async function countAttempt(db: Db, key: string, now: Date | undefined, window: CountWindow): Promise<AttemptCount> {
  const at = now ?? sql`clock_timestamp()`;
  const started = window.from === 'first' ? sql`c.since` : sql`c.last_at`;
  const passed = sql`${started} + make_interval(secs => ${window.ms / 1000}) <= excluded.last_at`;
  const [row] = await query<{ count: number; since: Date | string; last_at: Date | string }>(
    db,
    sql`insert into attempt_counts as c (key, count, since, last_at) values (${key}, 1, ${at}, ${at})
        on conflict (key) do update set
          count = case when ${passed} then 1 else c.count + 1 end,
          since = case when ${passed} then excluded.since else c.since end,
          last_at = excluded.last_at
        returning count, since, last_at`,
  );
  return { count: row!.count, since: toDate(row!.since), lastAt: toDate(row!.last_at) };
}

export async function readAttempts(db: Db, key: string): Promise<AttemptCount | undefined> {
  const [row] = await query<{ count: number; since: Date | string; last_at: Date | string }>(db, sql`select count, since, last_at from attempt_counts where key = ${key}`);
  return row && { count: row.count, since: toDate(row.since), lastAt: toDate(row.last_at) };
}

export async function forgetAttempts(db: Db, key: string): Promise<void> {
  await db.execute(sql`delete from attempt_counts where key = ${key}`);
}

/** No count lasts a day past its latest attempt (every window is shorter): the scheduled job forgets older ones. */
export const FORGET_AFTER_MS = 24 * 3_600_000;

/** Deletes the counts a day past their latest attempt: per address on the database's time, the others on Kassa's clock. */
export async function forgetOldAttempts(db: Db, at: Date): Promise<number> {
  const day = sql`make_interval(secs => ${FORGET_AFTER_MS / 1000})`;
  const gone = await query<{ key: string }>(
    db,
    sql`delete from attempt_counts
        where (key like 'ip:%' and last_at + ${day} < clock_timestamp()) or (key not like 'ip:%' and last_at + ${day} < ${at})
        returning key`,
  );
  return gone.length;
}
