// A period of whole UTC days asked for in a query (`from` and `to`, both included), as the
// revenue report, the documents journal and the statement take it.
import type { Failure } from './result.js';

export const MAX_PERIOD_DAYS = 366;
const DAY_MS = 86_400_000;

/** A period that runs backwards or over 366 days, refused for `what` ('a revenue report'); undefined when it is one. Pure. */
export function periodProblem(from: string, to: string, what: string): Failure | undefined {
  const days = (Date.parse(to) - Date.parse(from)) / DAY_MS + 1;
  if (days < 1) return { code: 'validation_failed', detail: 'from must not be after to', field: '/querystring/from' };
  if (days > MAX_PERIOD_DAYS) return { code: 'validation_failed', detail: `${what} spans at most ${MAX_PERIOD_DAYS} days`, field: '/querystring/from' };
  return undefined;
}
