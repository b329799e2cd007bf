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

export async function advanceClock(kassa: Kassa, to: Date): Promise<Result<{ from: Date; to: Date; runs: BillingRun[] }>> {
  const clock = kassa.clock;
  if (!(clock instanceof SimulatedClock)) return fail('clock_not_simulated', 'the clock is real; start Kassa with KASSA_CLOCK=simulated to move time');
  const step = queue.then(async () => {
    const from = clock.now();
    if (to.getTime() < from.getTime()) return fail('validation_failed', `the clock is at ${from.toISOString()} and never goes back`, { field: '/to' });
    const runs: BillingRun[] = [];
    for (const boundary of boundariesBetween(from, to)) {
      await setClock(kassa, clock, boundary);
      runs.push(await runBillingAt(kassa, boundary));
      await runScheduledJobs(kassa, boundary);
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
