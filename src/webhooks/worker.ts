// In the server: fans out and sends due webhooks four times a second, one pass at a time, on
// Kassa's clock (a simulated clock's retries also run at each advance, src/jobs/scheduled.ts).
// An idle pass costs a few indexed reads; a suspension reaches the product in about a quarter of a
// second instead of half of one (bench/webhook-delivery.ts, "one event alone").
import type { FastifyBaseLogger } from 'fastify';
import type { Kassa } from '../context.js';
import { deliverWebhooks } from './dispatch.js';

const EVERY_MS = 250;

export function startWebhookDelivery(kassa: Kassa, log: FastifyBaseLogger): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  const tick = () => {
    if (running) return;
    running = deliverWebhooks(kassa, kassa.clock.now())
      .then(() => undefined)
      .catch((err: unknown) => log.error({ err }, 'webhook delivery failed; it is tried again shortly'))
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, EVERY_MS);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
