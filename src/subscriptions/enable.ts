// The customer switches a disabled subscription on again, or resumes a suspended one
// (SPEC 3, seed 001): inside the period already paid it costs nothing; after it, the rest of
// the current period is charged at once (disabled Monday 00:00, enabled Friday 08:00:
// charged 16/24 of a day). Refused, and left as it was, when funds do not cover that.
import { eq } from 'drizzle-orm';
import type { AccountRow } from '../accounts/lock.js';
import { periodPrice } from '../catalog/pricing.js';
import type { EffectiveVersion } from '../catalog/versions.js';
import type { Kassa } from '../context.js';
import type { Db } from '../db/client.js';
import { subscriptions } from '../db/schema.js';
import { writeOutbox } from '../outbox/write.js';
import { type Result, fail, ok } from '../shared/result.js';
import { applyMovements } from './apply.js';
import { activation, netAmount } from './decisions.js';
import { spanText } from './describe.js';
import { type Outcome, type SubscriptionInput, refusedCharge } from './outcome.js';
import { type SubscriptionRow, accountMayBuy, currentPeriod, lockSubscription, periodPaid } from './state.js';

export async function enableSubscription(tx: Db, _kassa: Kassa, input: SubscriptionInput, at: Date): Promise<Result<Outcome>> {
  const locked = await lockSubscription(tx, input.subscriptionId);
  if (!locked.ok) return locked;
  const { account, subscription, version } = locked.value;
  if (subscription.status === 'active') return fail('invalid_state', `subscription ${subscription.id} is already active`);
  const refused = accountMayBuy(account);
  if (refused) return { ok: false, failure: refused };
  const outcome = await restartOutcome(tx, account, subscription, version, at, 'enable');
  if (outcome.wouldFail && !input.preview) return { ok: false, failure: outcome.wouldFail };
  if (input.preview) return ok(outcome);
  return ok(await restart(tx, outcome, subscription, version.plan.code, 'subscription.enabled', at));
}

/** What restarting costs now, with the refusal the real call would meet (funds). */
export async function restartOutcome(tx: Db, account: AccountRow, subscription: SubscriptionRow, version: EffectiveVersion, at: Date, action: 'enable' | 'resume'): Promise<Outcome> {
  const period = currentPeriod(subscription, at);
  const paid = await periodPaid(tx, subscription, period.start);
  const price = periodPrice(version.definition, subscription.quantities);
  const description = `${version.plan.name}: ${spanText(at, period)}`;
  const decision = activation({ ...subscription, period, price, currency: account.currency, paid, from: at, description });
  return { action, currency: account.currency, period, decision, wouldFail: await refusedCharge(tx, decision, account, version.plan.code, at) ?? null };
}

/** Writes a restart decided by `restartOutcome`. */
export async function restart(tx: Db, outcome: Outcome, subscription: SubscriptionRow, planCode: string, topic: 'subscription.enabled' | 'subscription.resumed', at: Date): Promise<Outcome> {
  const [updated] = await tx.update(subscriptions).set({ status: 'active', statusChangedAt: at, paidMark: null, paidMarkFrom: null }).where(eq(subscriptions.id, subscription.id)).returning();
  await applyMovements(tx, { accountId: subscription.accountId, subscriptionId: subscription.id, currency: outcome.currency, reason: topic === 'subscription.resumed' ? 'resumed' : 'enabled', service: planCode }, outcome.decision.movements, at);
  await writeOutbox(tx, subscription.accountId, topic, { subscription_id: subscription.id, from: subscription.status, amount: netAmount(outcome.decision), currency: outcome.currency }, at);
  return { ...outcome, subscription: updated! };
}
