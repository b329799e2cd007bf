// The jobs that run on time, beside the billing run: one list, run by the scheduler on the
// real clock (src/jobs/scheduler.ts, every minute) and by every simulated-clock advance
// (src/clock/advance.ts, at each midnight it passes and at its target), so a job added here
// runs on both clocks alike. Each job does what is due at `at` and is safe to run again.
import type { Kassa } from '../context.js';
import { sendPasswordExpiryNotices } from '../identity/passwords/expiry-notices.js';
import { runAutoTopUps } from '../payments/auto-top-up.js';
import { expireTopUps } from '../payments/expire.js';
import { actOnStripeEvents } from '../payments/stripe/webhook.js';
import { expireGrants, sendExpiryNotices, startDueGrants } from '../grants/grants.js';
import { readGrantSettings } from '../grants/settings.js';
import { rateUsageBatches } from '../usage/rate-batch.js';
import { releaseEndedBudgets } from '../budgets/budgets.js';
import { expireReservations } from '../usage/reservations.js';
import { issueDocuments } from '../documents/issue.js';
import { deliverWebhooks } from '../webhooks/dispatch.js';
import { forgetOldAttempts } from '../identity/attempt-counts.js';

export interface ScheduledJob {
  name: string;
  /** Does what is due at `at`; answers how many things it did (mails queued, rows moved...). */
  run(kassa: Kassa, at: Date): Promise<number>;
}

export const scheduledJobs: ScheduledJob[] = [
  { name: 'password-expiry notices', run: async (kassa, at) => (await sendPasswordExpiryNotices(kassa, at)).length },
  { name: 'expired top-ups', run: expireTopUps },
  { name: 'automatic top-ups', run: runAutoTopUps },
  // Stripe events are acted on just after they arrive; this takes up what a crash left.
  { name: 'stripe events', run: (kassa) => actOnStripeEvents(kassa) },
  // Usage is rated just after each batch is kept; this takes up what a crash left.
  { name: 'usage rating', run: (kassa) => rateUsageBatches(kassa) },
  // Credit grants: those whose time has come put in effect, the notice before an expiry, then
  // what is left of expired ones written off (after its notice, which the same pass queues first).
  { name: 'credit grants taking effect', run: startDueGrants },
  { name: 'credit grant expiry notices', run: async (kassa, at) => sendExpiryNotices(kassa, at, (await readGrantSettings(kassa.db)).expiry_notice_days) },
  { name: 'expired credit grants', run: expireGrants },
  // Stop budgets reached in a day or month that has ended: their services come back on.
  { name: 'budget periods', run: releaseEndedBudgets },
  // Documents: the months that ended invoiced, then what charges, refunds and payments asked
  // for (issued just after the change that asked; this takes up what is left).
  { name: 'documents', run: issueDocuments },
  // Webhooks: the events fanned out to the endpoints, and what is due sent (the server also does
  // this every second; on a simulated clock a retry's time comes with an advance).
  { name: 'webhooks', run: deliverWebhooks },
  // Login, sign-up and code attempts a day past their latest: every limit's window is shorter.
  { name: 'forgotten attempt counts', run: (kassa, at) => forgetOldAttempts(kassa.db, at) },
  { name: 'expired usage reservations', run: async (kassa, at) => { const ids = await expireReservations(kassa.db, at); for (const id of ids) kassa.entitlements.invalidate(id); return ids.length; } },
];

/** Runs every scheduled job for `at`, in order; answers what each did. */
export async function runScheduledJobs(kassa: Kassa, at: Date): Promise<{ name: string; done: number }[]> {
  const results: { name: string; done: number }[] = [];
  for (const job of scheduledJobs) results.push({ name: job.name, done: await job.run(kassa, at) });
  return results;
}
