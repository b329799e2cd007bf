// Wrong six-digit codes per user: after MAX_FAILURES within WINDOW_MS (of the injected clock)
// further six-digit codes are refused with rate_limited until the window passes, so one
// cannot be guessed. Recovery codes are not limited (they cannot be guessed), so the limit
// holds back a guesser without locking the owner out. In memory, per running Kassa.
import type { Kassa } from '../../context.js';
import type { Failure } from '../../shared/result.js';

const MAX_FAILURES = 10;
const WINDOW_MS = 15 * 60 * 1000;
const MAX_TRACKED = 100_000;

interface Failures {
  count: number;
  since: number;
}

const trackers = new WeakMap<Kassa, Map<number, Failures>>();

function trackerOf(kassa: Kassa): Map<number, Failures> {
  let tracker = trackers.get(kassa);
  if (!tracker) trackers.set(kassa, (tracker = new Map()));
  return tracker;
}

/** A failure to send when the user has guessed too often lately, else undefined. */
export function tooManyAttempts(kassa: Kassa, userId: number, now: Date): Failure | undefined {
  const entry = trackerOf(kassa).get(userId);
  if (!entry || now.getTime() - entry.since >= WINDOW_MS || entry.count < MAX_FAILURES) return undefined;
  const retryAfter = Math.ceil((entry.since + WINDOW_MS - now.getTime()) / 1000);
  return { code: 'rate_limited', detail: `too many wrong codes: try again in ${retryAfter} seconds`, extra: { retry_after_seconds: retryAfter } };
}

export function recordAttempt(kassa: Kassa, userId: number, succeeded: boolean, now: Date): void {
  const tracker = trackerOf(kassa);
  if (succeeded) {
    tracker.delete(userId);
    return;
  }
  const entry = tracker.get(userId);
  if (!entry || now.getTime() - entry.since >= WINDOW_MS) {
    if (tracker.size >= MAX_TRACKED) tracker.clear();
    tracker.set(userId, { count: 1, since: now.getTime() });
  } else {
    entry.count++;
  }
}
