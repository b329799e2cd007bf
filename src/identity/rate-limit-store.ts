// @fastify/rate-limit's store on attempt_counts (./attempt-counts.ts): the per-address limits of
// sign-up, login and reset count in the database, so every API process behind a load balancer
// counts the same attempts, on the database's real time (a simulated clock stands still).
// A count per route and client address, in a fixed window from its first attempt.
import type { FastifyRateLimitStore } from '@fastify/rate-limit';
import type { Db } from '../db/client.js';
import { countAttempt, readAttempts } from './attempt-counts.js';

type Answer = (error: Error | null, result?: { current: number; ttl: number }) => void;
/** What the plugin hands `child` (its types say route options; it passes the merged limit with them as routeInfo). */
type RouteParams = Parameters<FastifyRateLimitStore['child']>[0] & { routeInfo?: { method?: string | string[]; url?: string } };

/** The store class the plugin instantiates (`store:`), bound to one database. */
export function attemptCountStore(db: Db) {
  return class AttemptCountStore implements FastifyRateLimitStore {
    constructor(_params?: unknown, private readonly route = 'any') {}

    incr(address: string, answer: Answer, timeWindow: number): void {
      countAttempt(db, `ip:${this.route}:${address}`, undefined, { ms: timeWindow, from: 'first' }).then(
        (counted) => answer(null, { current: counted.count, ttl: Math.max(0, counted.since.getTime() + timeWindow - counted.lastAt.getTime()) }),
        (error: Error) => answer(error),
      );
    }

    read(address: string, answer: Answer, timeWindow: number): void {
      readAttempts(db, `ip:${this.route}:${address}`).then(
        (counted) => {
          const ttl = counted ? counted.since.getTime() + timeWindow - Date.now() : 0;
          answer(null, ttl > 0 ? { current: counted!.count, ttl } : { current: 0, ttl: 0 });
        },
        (error: Error) => answer(error),
      );
    }

    /** The store of one route: its own counts, keyed by its method and URL. */
    child(params: RouteParams): AttemptCountStore {
      const { method, url } = params.routeInfo ?? {};
      return new AttemptCountStore(undefined, `${[method ?? ''].flat().join(',')} ${url ?? ''}`.trim() || 'any');
    }
  };
}
