// Changes a subscription's quantities mid-period (SPEC 3, seed 001): when the current period
// is paid, an increase is charged at once for the rest of it and a decrease refunded the same
// way, unless the item's policy says no refund. The plan version stays the one that priced
// the subscription; the new period_amount applies from the next period on.
import { eq } from 'drizzle-orm';
import { markedChange, periodPrice, refundPolicy, type Quantities } from '../catalog/pricing.js';
import type { Kassa } from '../context.js';
import type { Db } from '../db/client.js';
import { subscriptions } from '../db/schema.js';
import { type Result, ok } from '../shared/result.js';
import { applyMovements } from './apply.js';
import { subscriptionQuotaBlockers } from './quota-check.js';
import { priceConfiguration } from './configuration.js';
import { reconfiguration } from './decisions.js';
import { spanText } from './describe.js';
import { type Outcome, type SubscriptionInput, quotaExceeded, refusedCharge } from './outcome.js';
import { accountMayBuy, currentPeriod, lockSubscription, paidMarkOf, periodPaid } from './state.js';

export interface ConfigureInput extends SubscriptionInput {
  quantities: Quantities;
  /** Seats the product reports created already exist: they are charged even into debt. */
  chargeIntoDebt?: boolean;
}

export async function configureSubscription(tx: Db, _kassa: Kassa, input: ConfigureInput, at: Date): Promise<Result<Outcome>> {
  const locked = await lockSubscription(tx, input.subscriptionId);
  if (!locked.ok) return locked;
  const { account, subscription, version } = locked.value;
  const refused = accountMayBuy(account);
  if (refused) return { ok: false, failure: refused };
  const { definition } = version;
  // Items the request leaves out keep their configured quantity.
  const configured = priceConfiguration(definition, { ...subscription.quantities, ...input.quantities }, account.currency);
  if (!configured.ok) return configured;
  const { quantities, periodAmount, periodDiscount } = configured.value;

  const period = currentPeriod(subscription, at);
  const paid = await periodPaid(tx, subscription, period.start);
  // Inside a paid period, units kept paid up to the period's mark cost nothing again (seats).
  const charged = markedChange(definition, paidMarkOf(subscription, period) ?? subscription.quantities, subscription.quantities, quantities);
  const decision = reconfiguration({
    paid,
    before: periodPrice(definition, charged.before),
    after: periodPrice(definition, charged.after),
    refundable: refundPolicy(definition),
    period,
    at,
    currency: account.currency,
    description: `${version.plan.name}: configuration change, ${spanText(at, period)}`,
  });
  const blockers = await subscriptionQuotaBlockers(tx, account, { definition, quantities }, { except: subscription.id, creating: false });
  const failure = quotaExceeded(blockers) ?? (input.chargeIntoDebt ? undefined : await refusedCharge(tx, decision, account, version.plan.code, at));
  if (failure && !input.preview) return { ok: false, failure };
  const outcome: Outcome = { action: 'configure', currency: account.currency, period, decision, wouldFail: failure ?? null };
  if (input.preview) return ok(outcome);

  const mark = paid ? { paidMark: charged.mark, paidMarkFrom: period.start } : { paidMark: null, paidMarkFrom: null };
  const [updated] = await tx.update(subscriptions).set({ quantities, periodAmount, periodDiscount, ...mark }).where(eq(subscriptions.id, subscription.id)).returning();
  await applyMovements(tx, { accountId: account.id, subscriptionId: subscription.id, currency: account.currency, reason: 'configuration_change', service: version.plan.code }, decision.movements, at);
  return ok({ ...outcome, subscription: updated! });
}
