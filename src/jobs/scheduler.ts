// On the real clock: runs every billing boundary as soon as it has passed (checked every
// minute), and at start-up catches up the midnights the server was down for; then runs the
// scheduled jobs (src/jobs/scheduled.ts) for now.
import type { FastifyBaseLogger } from 'fastify';
import type { Kassa } from '../context.js';
import { runScheduledJobs } from './scheduled.js';
import { runDueBoundaries } from '../billing/run.js';

const CHECK_EVERY_MS = 60_000;

export interface Scheduler {
  /** Stops the checks; resolves when the one under way (if any) has finished. */
  stop(): Promise<void>;
}

export function startScheduler(kassa: Kassa, log: FastifyBaseLogger): Scheduler {
  let running: Promise<void> | undefined;
  const tick = () => {
    if (running) return;
    running = runDueBoundaries(kassa, kassa.clock.now())
      .then((runs) => {
        for (const run of runs) log.info({ run }, `billing run ${run.boundary.toISOString()} completed`);
      })
      .then(() => runScheduledJobs(kassa, kassa.clock.now()))
      .then((results) => {
        for (const { name, done } of results) if (done > 0) log.info(`${name}: ${done}`);
      })
      .catch((err: unknown) => log.error({ err }, 'billing run or scheduled job failed; it is tried again at the next check'))
      .finally(() => {
        running = undefined;
      });
  };
  tick();
  const timer = setInterval(tick, CHECK_EVERY_MS);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
