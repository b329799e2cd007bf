// Moves a subscription to another plan (SPEC 3, seed 000). Refused, naming each quota, when
// the account has created more objects than the target plan allows. With the same cadence and
// timing the paid period is settled like a configuration change (the difference for the rest
// of it, decreases per the old plan's refund policy); otherwise the old period is closed and
// the new plan's opened from now (see `planSwitch`).
import { eq } from 'drizzle-orm';
import { periodContaining } from '../time/periods.js';
import { type Quantities, periodPrice, refundPolicy } from '../catalog/pricing.js';
import type { PlanDefinition } from '../catalog/plan-definition.js';
import { effectiveVersion } from '../catalog/versions.js';
import type { Kassa } from '../context.js';
import type { Db } from '../db/client.js';
import { subscriptions } from '../db/schema.js';
import { writeOutbox } from '../outbox/write.js';
import { type Result, fail, ok } from '../shared/result.js';
import { applyMovements } from './apply.js';
import { subscriptionQuotaBlockers } from './quota-check.js';
import { priceConfiguration } from './configuration.js';
import { netAmount, planSwitch, reconfiguration, sameShape } from './decisions.js';
import { spanText } from './describe.js';
import { type Outcome, type SubscriptionInput, quotaExceeded, refusedCharge } from './outcome.js';
import { accountMayBuy, currentPeriod, lockSubscription, normalisedDefinition, periodPaid } from './state.js';

export interface ChangePlanInput extends SubscriptionInput {
  planId: number;
  quantities?: Quantities;
}

export async function changePlan(tx: Db, _kassa: Kassa, input: ChangePlanInput, at: Date): Promise<Result<Outcome>> {
  const locked = await lockSubscription(tx, input.subscriptionId);
  if (!locked.ok) return locked;
  const { account, subscription, version: old } = locked.value;
  const refused = accountMayBuy(account);
  if (refused) return { ok: false, failure: refused };
  if (input.planId === subscription.planId) return fail('validation_failed', 'the subscription is on this plan already; change its quantities with configure', { field: '/plan_id' });
  const target = await effectiveVersion(tx, input.planId, account.currency, at);
  if (!target) return fail('validation_failed', `no plan ${input.planId} is priced in ${account.currency} at ${at.toISOString()}`, { field: '/plan_id' });
  const definition = normalisedDefinition(target.definition);
  // Quantities the request leaves out carry over where the new plan has the same item.
  const configured = priceConfiguration(definition, { ...carriedOver(subscription.quantities, definition.items), ...input.quantities }, account.currency);
  if (!configured.ok) return configured;
  const { quantities, price, periodAmount, periodDiscount } = configured.value;

  const { cadence, timing } = target.plan;
  const same = sameShape(subscription, target.plan);
  const anchorDay = same || cadence === 'daily' ? subscription.anchorDay : at.getUTCDate();
  const oldPeriod = currentPeriod(subscription, at);
  const period = periodContaining(cadence, anchorDay, at);
  const oldPaid = await periodPaid(tx, subscription, oldPeriod.start);
  const oldPrice = periodPrice(old.definition, subscription.quantities);
  const refundable = refundPolicy(old.definition);
  const description = `${old.plan.name} to ${target.plan.name}: ${spanText(at, period)}`;
  const decision = same
    ? reconfiguration({ paid: oldPaid, before: oldPrice, after: price, refundable, period, at, currency: account.currency, description })
    : planSwitch({
        status: subscription.status,
        old: { timing: subscription.timing, period: oldPeriod, price: oldPrice, periodAmount: subscription.periodAmount, periodDiscount: subscription.periodDiscount, currency: account.currency, paid: oldPaid, refundable },
        next: { timing, period, price, periodAmount, periodDiscount, currency: account.currency, startTaken: await periodPaid(tx, subscription, period.start) },
        at,
      });
  const blockers = await subscriptionQuotaBlockers(tx, account, { definition, quantities }, { except: subscription.id, creating: false });
  const failure = quotaExceeded(blockers) ?? await refusedCharge(tx, decision, account, target.plan.code, at);
  if (failure && !input.preview) return { ok: false, failure };
  const outcome: Outcome = { action: 'change_plan', currency: account.currency, period, decision, wouldFail: failure ?? null };
  if (input.preview) return ok(outcome);

  const [updated] = await tx
    .update(subscriptions)
    .set({ planId: target.plan.id, planVersionId: target.versionId, cadence, timing, anchorDay, quantities, periodAmount, periodDiscount, paidMark: null, paidMarkFrom: null })
    .where(eq(subscriptions.id, subscription.id))
    .returning();
  await applyMovements(tx, { accountId: account.id, subscriptionId: subscription.id, currency: account.currency, reason: 'plan_change', service: target.plan.code, leaving: old.plan.code }, decision.movements, at);
  await writeOutbox(
    tx,
    account.id,
    'subscription.plan_changed',
    { subscription_id: subscription.id, from_plan_id: subscription.planId, to_plan_id: target.plan.id, amount: netAmount(decision), currency: account.currency },
    at,
  );
  return ok({ ...outcome, subscription: updated! });
}

/** The old quantities of items the new plan also has, where its bounds allow them. */
function carriedOver(quantities: Quantities, items: PlanDefinition['items']): Quantities {
  const fits = (q: number | undefined, i: PlanDefinition['items'][number]): q is number => q !== undefined && q >= i.min && (i.max === null || q <= i.max);
  return Object.fromEntries(items.filter((i) => fits(quantities[i.service], i)).map((i) => [i.service, quantities[i.service]!]));
}
