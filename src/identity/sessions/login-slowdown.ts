// Wrong passwords per account, whatever address they come from. The first FREE_FAILURES are
// answered as usual; after that each further attempt waits twice as long as the one before
// (one minute, two, four, up to MAX_DELAY_MS) since the last wrong password, and until then is
// answered rate_limited without the password being tried. A right password clears the count.
//
// The count is kept per e-mail address typed, known or not, so the slowdown tells nothing about
// which addresses have a user. It can never lock the owner out:
// - a browser the owner signed in from before carries a device cookie (trusted-device.ts) and
//   counts on its own, so a guesser elsewhere does not slow it;
// - a password reset (the owner reads their mail, a guesser does not) clears the address's count.
// Counted in the database (../attempt-counts.ts), so every process of one Kassa sees the same
// count; on Kassa's clock.
import type { Kassa } from '../../context.js';
import { FORGET_AFTER_MS, countAttempt, forgetAttempts, readAttempts } from '../attempt-counts.js';
import type { Failure } from '../../shared/result.js';

export const FREE_FAILURES = 5;
export const FIRST_DELAY_MS = 60_000;
export const MAX_DELAY_MS = 15 * 60_000;
/** A count is forgotten a day after its last wrong password. */
export { FORGET_AFTER_MS };

export interface WrongPasswords {
  count: number;
  lastAt: number;
}

/** How long after the last wrong password the next attempt must wait (0: at once). Pure. */
export function delayAfter(count: number): number {
  if (count < FREE_FAILURES) return 0;
  return Math.min(FIRST_DELAY_MS * 2 ** (count - FREE_FAILURES), MAX_DELAY_MS);
}

/** Milliseconds the next attempt must still wait, or 0. Pure. */
export function waitLeft(entry: WrongPasswords | undefined, now: number): number {
  if (!entry || now - entry.lastAt >= FORGET_AFTER_MS) return 0;
  return Math.max(0, entry.lastAt + delayAfter(entry.count) - now);
}

/** Where a login attempt counts: the trusted device it comes from, else the address typed. */
export type SlowdownKey = { device: string } | { email: string };

const keyOf = (key: SlowdownKey) => ('device' in key ? `password:device:${key.device}` : `password:email:${key.email}`);

/** A failure to answer at once when this attempt must wait, else undefined. */
export async function slowedDown(kassa: Kassa, key: SlowdownKey, now: Date): Promise<Failure | undefined> {
  const counted = await readAttempts(kassa.db, keyOf(key));
  const wait = waitLeft(counted && { count: counted.count, lastAt: counted.lastAt.getTime() }, now.getTime());
  if (wait === 0) return undefined;
  const retryAfter = Math.ceil(wait / 1000);
  return {
    code: 'rate_limited',
    detail: `too many wrong passwords for this account: try again in ${retryAfter} seconds, sign in from a browser you used before, or reset the password`,
    extra: { retry_after_seconds: retryAfter },
  };
}

/** One more wrong password; the count starts again at 1 a day after the last one. */
export async function recordWrongPassword(kassa: Kassa, key: SlowdownKey, now: Date): Promise<void> {
  await countAttempt(kassa.db, keyOf(key), now, { ms: FORGET_AFTER_MS, from: 'latest' });
}

export async function clearWrongPasswords(kassa: Kassa, key: SlowdownKey): Promise<void> {
  await forgetAttempts(kassa.db, keyOf(key));
}
