// Activates a plan for an account (SPEC 3): in advance, a daily plan is charged at once for
// the rest of today, a monthly one for its whole first month (its period starts today at
// 00:00, the anchor day being today); in arrears nothing is charged until the date is used.
import { lockAccount } from '../accounts/lock.js';
import { periodContaining } from '../time/periods.js';
import type { Quantities } from '../catalog/pricing.js';
import { effectiveVersion } from '../catalog/versions.js';
import type { Kassa } from '../context.js';
import type { Db } from '../db/client.js';
import { subscriptions } from '../db/schema.js';
import { writeOutbox } from '../outbox/write.js';
import { type Result, fail, ok } from '../shared/result.js';
import { applyMovements } from './apply.js';
import { subscriptionQuotaBlockers } from './quota-check.js';
import { priceConfiguration } from './configuration.js';
import { activation, netAmount } from './decisions.js';
import { spanText } from './describe.js';
import { type OperationInput, type Outcome, quotaExceeded, refusedCharge } from './outcome.js';
import { accountMayBuy, normalisedDefinition } from './state.js';

export interface CreateInput extends OperationInput {
  accountId: number;
  planId: number;
  quantities?: Quantities;
}

export async function createSubscription(tx: Db, _kassa: Kassa, input: CreateInput, at: Date): Promise<Result<Outcome>> {
  const account = await lockAccount(tx, input.accountId);
  if (!account) return fail('not_found', `no account ${input.accountId}`);
  const refused = accountMayBuy(account);
  if (refused) return { ok: false, failure: refused };
  const version = await effectiveVersion(tx, input.planId, account.currency, at);
  if (!version) return fail('validation_failed', `no plan ${input.planId} is priced in ${account.currency} at ${at.toISOString()}`, { field: '/plan_id' });
  const definition = normalisedDefinition(version.definition);
  const configured = priceConfiguration(definition, input.quantities ?? {}, account.currency);
  if (!configured.ok) return configured;
  const { quantities, price, periodAmount, periodDiscount } = configured.value;

  const { cadence, timing } = version.plan;
  const anchorDay = at.getUTCDate();
  const period = periodContaining(cadence, anchorDay, at);
  // A monthly period begins on its activation day (SPEC words), so the first one is whole.
  const from = cadence === 'monthly' ? period.start : at;
  const decision = activation({ timing, period, price, periodAmount, periodDiscount, currency: account.currency, paid: false, from, description: `${version.plan.name}: ${spanText(from, period)}` });
  const blockers = await subscriptionQuotaBlockers(tx, account, { definition, quantities }, { creating: true });
  const failure = quotaExceeded(blockers) ?? await refusedCharge(tx, decision, account, version.plan.code, at);
  if (failure && !input.preview) return { ok: false, failure };
  const outcome: Outcome = { action: 'create', currency: account.currency, period, decision, wouldFail: failure ?? null };
  if (input.preview) return ok(outcome);

  const [subscription] = await tx
    .insert(subscriptions)
    .values({ accountId: account.id, planId: version.plan.id, planVersionId: version.versionId, status: 'active', cadence, timing, anchorDay, quantities, periodAmount, periodDiscount, createdAt: at, statusChangedAt: at })
    .returning();
  await applyMovements(tx, { accountId: account.id, subscriptionId: subscription!.id, currency: account.currency, reason: 'created', service: version.plan.code }, decision.movements, at);
  await writeOutbox(tx, account.id, 'subscription.created', { subscription_id: subscription!.id, plan_id: version.plan.id, amount: netAmount(decision), currency: account.currency, period_start: period.start, period_end: period.end }, at);
  return ok({ ...outcome, subscription: subscription! });
}
