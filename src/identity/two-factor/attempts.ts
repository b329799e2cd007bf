// Wrong six-digit codes per user: after MAX_FAILURES within WINDOW_MS (of the injected clock)
// further six-digit codes are refused with rate_limited until the window passes, so one
// cannot be guessed. Recovery codes are not limited (they cannot be guessed), so the limit
// holds back a guesser without locking the owner out. Counted in the database
// (../attempt-counts.ts), so the limit holds across every process of one Kassa.
import type { Db } from '../../db/client.js';
import type { Failure } from '../../shared/result.js';
import { countAttempt, forgetAttempts, readAttempts } from '../attempt-counts.js';

const MAX_FAILURES = 10;
const WINDOW_MS = 15 * 60 * 1000;

const keyOf = (userId: number) => `code:user:${userId}`;

/** A failure to send when the user has guessed too often lately, else undefined. */
export async function tooManyAttempts(db: Db, userId: number, now: Date): Promise<Failure | undefined> {
  const entry = await readAttempts(db, keyOf(userId));
  if (!entry || now.getTime() - entry.since.getTime() >= WINDOW_MS || entry.count < MAX_FAILURES) return undefined;
  const retryAfter = Math.ceil((entry.since.getTime() + WINDOW_MS - now.getTime()) / 1000);
  return { code: 'rate_limited', detail: `too many wrong codes: try again in ${retryAfter} seconds`, extra: { retry_after_seconds: retryAfter } };
}

export async function recordAttempt(db: Db, userId: number, succeeded: boolean, now: Date): Promise<void> {
  if (succeeded) await forgetAttempts(db, keyOf(userId));
  else await countAttempt(db, keyOf(userId), now, { ms: WINDOW_MS, from: 'first' });
}
