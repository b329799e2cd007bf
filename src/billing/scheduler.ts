// On the real clock: runs every billing boundary as soon as it has passed (checked every
// minute), and at start-up catches up the midnights the server was down for; then queues the
// password-expiry heads-ups that have come due.
import type { FastifyBaseLogger } from 'fastify';
import type { Kassa } from '../context.js';
import { sendPasswordExpiryNotices } from '../identity/passwords/expiry-notices.js';
import { runDueBoundaries } from './run.js';

const CHECK_EVERY_MS = 60_000;

export function startScheduler(kassa: Kassa, log: FastifyBaseLogger): { stop(): void } {
  let running: Promise<void> | undefined;
  const tick = () => {
    if (running) return;
    running = runDueBoundaries(kassa, kassa.clock.now())
      .then((runs) => {
        for (const run of runs) log.info({ run }, `billing run ${run.boundary.toISOString()} completed`);
      })
      .then(() => sendPasswordExpiryNotices(kassa, kassa.clock.now()))
      .then((notices) => {
        if (notices.length > 0) log.info(`${notices.length} password-expiry notice(s) queued`);
      })
      .catch((err: unknown) => log.error({ err }, 'billing run failed; it resumes at the next check'))
      .finally(() => {
        running = undefined;
      });
  };
  tick();
  const timer = setInterval(tick, CHECK_EVERY_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
