// Moving the simulated clock: every billing boundary passed is run in order, at its own time,
// then the clock settles at the target; the scheduled jobs (src/jobs/scheduled.ts) run at
// each boundary and at the target, as they would on the real clock. Advances are serialised.
import { eq } from 'drizzle-orm';
import { boundariesBetween } from '../time/periods.js';
import { type BillingRun, runBillingAt } from '../billing/run.js';
import type { Kassa } from '../context.js';
import { clockState } from '../db/schema.js';
import { runScheduledJobs } from '../jobs/scheduled.js';
import { type Result, fail, ok } from '../shared/result.js';
import { SimulatedClock } from '../time/clock.js';

let queue: Promise<unknown> = Promise.resolve();

/** The furthest one advance may move the clock; a longer stretch is several advances. */
export const MAX_ADVANCE_DAYS = 366;

/** How far `to` is from `from`, in billing boundaries (UTC midnights) an advance would run. */
export function boundariesToRun(from: Date, to: Date): number {
  return boundariesBetween(from, to).length;
}

export interface AdvanceProgress {
  /** Called after each boundary's billing run, with how many of how many are done. */
  onBoundary?(done: number, total: number, run: BillingRun): void;
}

export async function advanceClock(kassa: Kassa, to: Date, progress: AdvanceProgress = {}): Promise<Result<{ from: Date; to: Date; runs: BillingRun[] }>> {
  const clock = kassa.clock;
  if (!(clock instanceof SimulatedClock)) return fail('clock_not_simulated', 'the clock is real; start Kassa with KASSA_CLOCK=simulated to move time');
  const step = queue.then(async () => {
    const from = clock.now();
    if (to.getTime() < from.getTime()) return fail('validation_failed', `the clock is at ${from.toISOString()} and never goes back`, { field: '/to' });
    if (to.getTime() - from.getTime() > MAX_ADVANCE_DAYS * 86_400_000) {
      return fail('validation_failed', `one advance moves the clock at most ${MAX_ADVANCE_DAYS} days; it is at ${from.toISOString()}`, { field: '/to' });
    }
    const runs: BillingRun[] = [];
    const boundaries = boundariesBetween(from, to);
    for (const boundary of boundaries) {
      await setClock(kassa, clock, boundary);
      const run = await runBillingAt(kassa, boundary);
      runs.push(run);
      await runScheduledJobs(kassa, boundary);
      progress.onBoundary?.(runs.length, boundaries.length, run);
    }
    await setClock(kassa, clock, to);
    await runScheduledJobs(kassa, to);
    return ok({ from, to, runs });
  });
  queue = step.catch(() => undefined);
  return step;
}

async function setClock(kassa: Kassa, clock: SimulatedClock, to: Date) {
  clock.set(to);
  await kassa.db.update(clockState).set({ now: to }).where(eq(clockState.id, 1));
}
