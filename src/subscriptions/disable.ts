// The customer switches a subscription off (SPEC 3, seeds 000/001). In advance the paid
// period stays paid and nothing is refunded; in arrears the date is charged at once unless it
// already was (see `deactivation`). A suspended subscription may be disabled too, so that a
// top-up does not resume it.
import { eq } from 'drizzle-orm';
import type { Kassa } from '../context.js';
import type { Db } from '../db/client.js';
import { subscriptions } from '../db/schema.js';
import { writeOutbox } from '../outbox/write.js';
import { type Result, fail, ok } from '../shared/result.js';
import { applyMovements } from './apply.js';
import { deactivation, netAmount } from './decisions.js';
import { spanText } from './describe.js';
import type { Outcome, SubscriptionInput } from './outcome.js';
import { type SubscriptionRow, currentPeriod, lockSubscription, periodPaid } from './state.js';
import { type Period, addDays } from '../time/periods.js';

/**
 * Disabled just after midnight, before the night's run reached it, an in-arrears plan still
 * owes the date that ended: it was active through it. Charge it here with the current one
 * (the run then finds it paid), or it would never be charged.
 */
async function previousDayOwed(tx: Db, subscription: SubscriptionRow, today: Period) {
  if (subscription.timing !== 'in_arrears' || subscription.status !== 'active') return undefined;
  if (subscription.statusChangedAt.getTime() >= today.start.getTime()) return undefined;
  const start = addDays(today.start, -1);
  if (await periodPaid(tx, subscription, start)) return undefined;
  return { start, description: `used on ${start.toISOString().slice(0, 10)} (not yet charged by the nightly run)` };
}

export async function disableSubscription(tx: Db, _kassa: Kassa, input: SubscriptionInput, at: Date): Promise<Result<Outcome>> {
  const locked = await lockSubscription(tx, input.subscriptionId);
  if (!locked.ok) return locked;
  const { account, subscription, version } = locked.value;
  if (subscription.status === 'disabled') return fail('invalid_state', `subscription ${subscription.id} is already disabled`);
  const period = currentPeriod(subscription, at);
  const paid = await periodPaid(tx, subscription, period.start);
  const description = `${version.plan.name}: used on ${spanText(period.start, period)}`;
  const decision = deactivation({ ...subscription, period, paid, description, previousDayOwed: await previousDayOwed(tx, subscription, period) });
  const outcome: Outcome = { action: 'disable', currency: account.currency, period, decision, wouldFail: null };
  if (input.preview) return ok(outcome);

  const [updated] = await tx.update(subscriptions).set({ status: 'disabled', statusChangedAt: at }).where(eq(subscriptions.id, subscription.id)).returning();
  await applyMovements(tx, { accountId: account.id, subscriptionId: subscription.id, currency: account.currency, reason: 'disabled', service: version.plan.code }, decision.movements, at);
  await writeOutbox(tx, account.id, 'subscription.disabled', { subscription_id: subscription.id, amount: netAmount(decision), currency: account.currency }, at);
  return ok({ ...outcome, subscription: updated! });
}
