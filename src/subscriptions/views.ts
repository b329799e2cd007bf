// The HTTP shapes of subscriptions and of lifecycle outcomes. Amounts are strings of integer
// minor units; times ISO 8601 in UTC.
import { Type, type Static } from 'typebox';
import type { Period } from '../time/periods.js';
import { problemBody } from '../shared/problem.js';
import { netAmount } from './decisions.js';
import type { Outcome } from './outcome.js';
import type { SubscriptionRow } from './state.js';

const Amount = Type.String({ pattern: '^-?[0-9]+$', description: 'integer minor units of the currency' });
const Timestamp = Type.String({ format: 'date-time' });
export const Metric = Type.String({ pattern: '^[a-z][a-z0-9_]{0,62}$' });
export const QuantitiesSchema = Type.Record(Metric, Type.Integer({ minimum: 0, maximum: 1_000_000_000 }), { description: 'quantity per plan item (service code)' });

const PeriodSchema = Type.Object({ start: Timestamp, end: Timestamp });

// Examples for the OpenAPI document: the README's worked example, 150 devices on the demo
// Starter plan (3.40 EUR a day) from 13:00, the rest of the day charged at once.
const period = { start: '2026-11-02T00:00:00.000Z', end: '2026-11-03T00:00:00.000Z' };
const subscriptionExample = {
  id: 1,
  account_id: 2,
  plan_id: 1,
  plan_version_id: 1,
  status: 'active',
  cadence: 'daily',
  timing: 'in_advance',
  anchor_day: 2,
  quantities: { cpe_devices: 150, public_ip: 0 },
  period_amount: '340',
  period_discount: '0',
  currency: 'EUR',
  current_period: period,
  paid: true,
  created_at: '2026-11-02T13:00:00.000Z',
  status_changed_at: '2026-11-02T13:00:00.000Z',
};
const createdExample = {
  action: 'create',
  amount: '156',
  currency: 'EUR',
  period,
  lines: [{ description: 'Device management Starter: 2026-11-02 13:00 to 2026-11-03 00:00 UTC', amount: '156', period_start: period.start }],
};

export const SubscriptionViewSchema = Type.Object({
  id: Type.Integer(),
  account_id: Type.Integer(),
  plan_id: Type.Integer(),
  plan_version_id: Type.Integer(),
  status: Type.Union([Type.Literal('active'), Type.Literal('disabled'), Type.Literal('suspended'), Type.Literal('cancelled')]),
  cadence: Type.Union([Type.Literal('daily'), Type.Literal('monthly')]),
  timing: Type.Union([Type.Literal('in_advance'), Type.Literal('in_arrears')]),
  anchor_day: Type.Integer({ description: 'day of month monthly periods start on (clamped to month end)' }),
  quantities: QuantitiesSchema,
  period_amount: { ...Amount, description: 'one full period of the current configuration' },
  period_discount: { ...Amount, description: "what the plan items' volume discounts take off one full period (already out of period_amount)" },
  currency: Type.String(),
  current_period: PeriodSchema,
  paid: Type.Boolean({ description: 'whether the current period is paid (in arrears: charged already)' }),
  created_at: Timestamp,
  status_changed_at: Timestamp,
}, { title: 'Subscription', examples: [subscriptionExample] });
export type SubscriptionView = Static<typeof SubscriptionViewSchema>;

const LineSchema = Type.Object({
  description: Type.String(),
  amount: { ...Amount, description: 'positive: charge; negative: refund' },
  period_start: Type.Union([Timestamp, Type.Null()], { description: 'set on the charge that pays this period' }),
});

const outcomeFields = {
  action: Type.String({ description: 'create, enable, disable, configure or change_plan' }),
  amount: { ...Amount, description: 'net effect on the balance, negated: positive is charged, negative refunded' },
  currency: Type.String(),
  period: PeriodSchema,
  lines: Type.Array(LineSchema),
};

export const OutcomeViewSchema = Type.Object({ ...outcomeFields, subscription: SubscriptionViewSchema }, { title: 'SubscriptionOutcome', examples: [{ ...createdExample, subscription: subscriptionExample }] });
export const PreviewViewSchema = Type.Object(
  {
    ...outcomeFields,
    would_fail: Type.Union([Type.Ref('Problem'), Type.Null()], { description: 'why the real call would be refused; null when it would go through' }),
  },
  { title: 'SubscriptionPreview', examples: [{ ...createdExample, would_fail: null }] },
);

const iso = (t: Date) => t.toISOString();
const periodView = (p: Period) => ({ start: iso(p.start), end: iso(p.end) });

export function subscriptionView(row: SubscriptionRow, currency: string, period: Period, paid: boolean): SubscriptionView {
  return {
    id: row.id,
    account_id: row.accountId,
    plan_id: row.planId,
    plan_version_id: row.planVersionId,
    status: row.status,
    cadence: row.cadence,
    timing: row.timing,
    anchor_day: row.anchorDay,
    quantities: row.quantities,
    period_amount: row.periodAmount.toString(),
    period_discount: row.periodDiscount.toString(),
    currency,
    current_period: periodView(period),
    paid,
    created_at: iso(row.createdAt),
    status_changed_at: iso(row.statusChangedAt),
  };
}

function outcomeFieldsOf(outcome: Outcome) {
  return {
    action: outcome.action,
    amount: netAmount(outcome.decision).toString(),
    currency: outcome.currency,
    period: periodView(outcome.period),
    lines: outcome.decision.movements.map((m) => ({ description: m.description, amount: m.amount.toString(), period_start: m.periodStart ? iso(m.periodStart) : null })),
  };
}

/** After a real change; `paid` is known from what was just written or read under the lock. */
export function outcomeView(outcome: Outcome, subscription: SubscriptionView) {
  return { ...outcomeFieldsOf(outcome), subscription };
}

export function previewView(outcome: Outcome) {
  return { ...outcomeFieldsOf(outcome), would_fail: outcome.wouldFail ? problemBody(outcome.wouldFail) : null };
}
