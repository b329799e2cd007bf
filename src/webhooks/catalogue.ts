// The event catalogue (issue 10, item 6): every event type Kassa writes to its outbox, what
// sets it off, and a JSON schema of its `data` as a webhook delivers it ({type, timestamp,
// data}; data always carries `account_id`, null for the provider's own events). Served as the
// OpenAPI 3.1 `webhooks` of /openapi.json, so generated clients type their receivers.
//
// Versioned: each type has a version, and what a released version promises is kept in
// test/fixtures/event-catalogue.json. A field may be added (receivers ignore what they do not
// know), never removed, retyped, made optional or given another meaning: that is a new version,
// published as its own type (`subscription.charged.v2`) alongside the old one, which endpoints
// keep receiving until they ask for the new (docs/decisions/0016-event-versions.md). Every event
// the test suite writes is checked against its schema (test/support/harness.ts).
import { Type, type TSchema } from 'typebox';
import { MinorString } from '../accounts/representation.js';
import type { AccountStatus } from '../db/schema.js';
import type { OutboxTopic } from '../outbox/write.js';

const Id = (description: string) => Type.Integer({ minimum: 1, description });
const Time = (description: string) => Type.String({ format: 'date-time', description });
const Day = (description: string) => Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$', description });
const Month = Type.String({ pattern: '^[0-9]{4}-[0-9]{2}$', description: 'calendar month (UTC), YYYY-MM' });
const Text = (description: string) => Type.String({ description });
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const OneOf = (values: readonly string[], description?: string) => Type.Union(values.map((v) => Type.Literal(v)), description ? { description } : {});
const Decimal = (description: string) => Type.String({ pattern: '^-?[0-9]+(\\.[0-9]+)?$', description: `${description}, an exact decimal as a string` });

const ACCOUNT_STATUSES = ['pending_verification', 'active', 'suspended', 'blocked', 'closed'] as const satisfies readonly AccountStatus[];
const AccountId = Id('the account the event is about');
const Currency = Type.String({ pattern: '^[A-Z]{3}$', description: 'the account currency (ISO 4217)' });
const Balance = MinorString('the paid balance after the event');
const TransactionId = Id('the ledger transaction that moved the money (GET /v1/accounts/{id}/transactions)');
const TopUpId = Id('the top-up (GET /v1/top-ups/{id})');
const SubscriptionId = Id('the subscription');
const Method = OneOf(['card', 'paypal', 'bank_transfer'], 'how the money comes in');
const BillingEmails = Type.Array(Type.String(), { description: "the account's extra addresses for billing notices" });
const Drawn = Type.Array(Type.Object({ grant_id: Id('the credit grant'), amount: MinorString('what it paid (or, on a refund, took back)') }), {
  description: 'which credit grants paid how much of it; the paid balance paid the rest',
});
const Granted = MinorString('what the credit grants hold together after the event');

const funds = {
  account_id: AccountId,
  currency: Currency,
  balance: Balance,
  available: MinorString('what charges may still use: balance + granted + credit limit (when enabled) - reserved'),
  threshold: Nullable(MinorString('the low-balance threshold; null when only a threshold in days of spend applies')),
  billing_emails: BillingEmails,
};

const grant = {
  account_id: AccountId,
  grant_id: Id('the credit grant (GET /v1/grants/{id})'),
  kind: OneOf(['promotional', 'paid'], 'promotional: given; paid: sold, with a cost basis'),
  status: OneOf(['awaiting_payment', 'scheduled', 'active', 'voided', 'expired']),
  amount: MinorString('what the grant gives'),
  remaining: MinorString('what it still holds'),
  cost_basis: MinorString('what the customer paid for it (0 for promotional grants)'),
  priority: Type.Integer({ description: 'lower numbers are drawn first' }),
  scope: Nullable(Type.Array(Type.String(), { description: 'the services (plan or meter codes) it may pay; null: any' })),
  effective_at: Time('when it takes (or took) effect'),
  expires_at: Nullable(Time('when what is left is written off; null: never')),
  reason: Text('why it was given, or why it ended'),
};
const grantEnded = { ...grant, written_off: MinorString('what it still held and was written off'), transaction_id: Nullable(TransactionId) };

const topUp = { account_id: AccountId, top_up_id: TopUpId, method: Method };
const topUpMoney = {
  ...topUp,
  transaction_id: TransactionId,
  amount: MinorString('what this event credited or debited'),
  currency: Currency,
  balance: Balance,
};
const topUpCredited = {
  ...topUpMoney,
  requested: MinorString('what the top-up asked for'),
  received: MinorString('what has arrived of it so far'),
  automatic: Type.Boolean({ description: 'an automatic top-up (the account\'s saved card, below its threshold)' }),
};
const topUpDebited = { ...topUpMoney, refunded: MinorString('what has been refunded (or disputed) of it in all'), reason: Nullable(Text('why, as the provider or operator gave it')) };

const budget = {
  account_id: AccountId,
  budget_id: Id('the budget (GET /v1/accounts/{id}/budgets)'),
  service: Nullable(Text('the plan or meter code it watches; null: all spending')),
  period: OneOf(['day', 'month']),
  period_start: Day('the first day of the period'),
  limit: MinorString('the budget'),
  spent: MinorString('spent in the period so far'),
  currency: Currency,
  action: OneOf(['notify', 'stop'], 'stop: the service is refused until the period ends'),
};

const reservation = {
  account_id: AccountId,
  reservation_id: Id('the reservation'),
  meter: Text('the meter it holds funds for'),
  quantity: Decimal('the quantity reserved'),
  settled: Decimal('what usage has settled of it'),
  amount: MinorString('its price when made'),
  held: MinorString('what it still holds out of available'),
  currency: Currency,
  status: OneOf(['open', 'closed', 'expired']),
  expires_at: Time('when it lets go of what it holds unless closed before'),
};

const purchaseFields = {
  subscription_id: SubscriptionId,
  reason: Text('what caused it: created, configuration_change, plan_change, resumed, enabled...'),
  transaction_id: TransactionId,
  amount: MinorString('what was charged'),
  discount: Type.Optional(MinorString('what volume discounts took off it; its price before them is amount + discount')),
  currency: Currency,
  period_start: Nullable(Time('the start of the period it pays')),
  description: Text('the ledger line'),
  balance: Balance,
  grants: Drawn,
  granted: Granted,
};

export interface EventType {
  version: number;
  /** What happened, in a line. */
  summary: string;
  /** When it is written, and what a receiver usually does with it. */
  description: string;
  /** The schema of the delivered `data`. */
  data: TSchema;
}

/** `data` as delivered: the account's id first (null for the provider's own events), then the event's fields. */
const Data = (fields: Record<string, TSchema>, options: { provider?: boolean } = {}) =>
  Type.Object({ account_id: options.provider ? Type.Null({ description: "null: the provider's own event" }) : AccountId, ...fields });

const event = (summary: string, description: string, fields: Record<string, TSchema>, options: { version?: number; provider?: boolean } = {}): EventType => ({
  version: options.version ?? 1,
  summary,
  description,
  data: Data(fields, options),
});

export const EVENT_CATALOGUE: Record<OutboxTopic, EventType> = {
  'account.created': event('An account was created', 'By the API, a sign-up or the demo. Its status starts active, or pending_verification for a sign-up.', {
    account_id: AccountId,
    name: Text('the account name'),
    currency: Currency,
    type: OneOf(['trial', 'billing']),
  }),
  'account.updated': event(
    'An account changed: its settings, or its status (verified, blocked, unblocked)',
    'A settings change lists the changed fields in `changed`; a status change gives `status` and `previous_status` (blocked: the product should refuse the account at once).',
    {
      account_id: AccountId,
      changed: Type.Optional(Type.Array(Type.String(), { description: 'the settings changed (names as in PATCH /v1/accounts/{id})' })),
      status: Type.Optional(OneOf(ACCOUNT_STATUSES, 'the status now')),
      previous_status: Type.Optional(OneOf(ACCOUNT_STATUSES, 'the status before')),
      reason: Type.Optional(Text('why it was blocked')),
      name: Type.Optional(Text('the account name (on verification)')),
      currency: Type.Optional(Currency),
    },
  ),
  'account.closed': event('An account was closed', 'Its subscriptions ended, what it could refund to cards went back, and the rest is due to it as a payout.', {
    account_id: AccountId,
    reason: Text('why, as given'),
    payout_due: MinorString('what remains to pay out to the customer'),
    refunds: Type.Array(Type.Object({ top_up_id: TopUpId, amount: MinorString('refunded to its payment') }), { description: 'refunds made on closing' }),
  }),
  'account.payout_due': event('A closed account is owed a payout', 'Its remaining balance moved to payouts due.', {
    transaction_id: TransactionId,
    amount: MinorString('the payout due'),
    currency: Currency,
    balance: Balance,
    reason: Text('why the account closed'),
  }),
  'account.payout_paid': event('A payout to a closed account was paid', 'An operator recorded the bank transfer.', {
    account_id: AccountId,
    transaction_id: TransactionId,
    amount: MinorString('paid'),
    still_due: MinorString('what remains due'),
    currency: Currency,
    bank_reference: Text('the transfer reference'),
    paid_by: Text('who recorded it (key:N or user:N)'),
  }),
  'balance.adjusted': event('An operator credited or debited the balance', 'A manual adjustment with its reason.', {
    account_id: AccountId,
    transaction_id: TransactionId,
    direction: OneOf(['credit', 'debit']),
    amount: MinorString('the adjustment, unsigned'),
    currency: Currency,
    balance: Balance,
    reason: Text('why, as the operator gave it'),
  }),
  'balance.low': event('Available funds fell below the low-balance threshold', 'Written once per crossing; it re-arms when funds rise above the threshold again. The customer is mailed too.', funds),
  'subscription.created': event('A subscription was created and its first period charged', 'amount is the first charge (0 when the period is paid later).', {
    subscription_id: SubscriptionId,
    plan_id: Id('the plan'),
    amount: MinorString('the first charge'),
    currency: Currency,
    period_start: Time('the first period\'s start'),
    period_end: Time('its end'),
  }),
  'subscription.charged': {
    version: 1,
    summary: 'Subscriptions were charged',
    description: "reason billing_run: one event per account and run, `charges` listing each subscription; any other reason: one subscription's charge outside the run (creation, a change, a resume).",
    data: Type.Union([
      Data({
        reason: Type.Literal('billing_run'),
        billing_run_id: Id('the run (GET /v1/billing-runs/{id})'),
        transaction_id: TransactionId,
        period_start: Time('the start of the period the run charged'),
        amount: MinorString('charged in all'),
        currency: Currency,
        balance: Balance,
        charges: Type.Array(Type.Object({ subscription_id: SubscriptionId, amount: MinorString('charged'), discount: Type.Optional(MinorString('what volume discounts took off it')) })),
      }),
      Data(purchaseFields),
    ]),
  },
  'subscription.refunded': event('Part of a subscription\'s charge was given back', 'A decrease of its configuration, a plan change down, or disabling it mid-period.', { ...purchaseFields, amount: MinorString('what was refunded') }),
  'subscription.suspended': event(
    'A subscription was suspended: the funds did not cover its period',
    'The product should stop the service. It resumes by itself when a payment covers it (subscription.resumed).',
    {
      subscription_id: SubscriptionId,
      reason: Type.Literal('insufficient_funds'),
      period_start: Time('the period it could not pay'),
      amount: MinorString('what that period costs'),
    },
  ),
  'subscription.resumed': event('A suspended subscription runs again', 'A payment covered its period; the product may serve it again.', {
    subscription_id: SubscriptionId,
    from: Text('the status it left'),
    amount: MinorString('what resuming charged'),
    currency: Currency,
  }),
  'subscription.disabled': event('A subscription was disabled', 'By the customer or an operator; amount is what disabling gave back (0 when nothing).', {
    subscription_id: SubscriptionId,
    amount: MinorString('its net change: a refund is negative'),
    currency: Currency,
  }),
  'subscription.enabled': event('A disabled subscription was enabled again', 'amount is what enabling charged.', {
    subscription_id: SubscriptionId,
    from: Text('the status it left'),
    amount: MinorString('what enabling charged'),
    currency: Currency,
  }),
  'subscription.plan_changed': event('A subscription moved to another plan', 'amount is the net of the proration: a charge is positive, a refund negative.', {
    subscription_id: SubscriptionId,
    from_plan_id: Id('the plan it left'),
    to_plan_id: Id('the plan it is on now'),
    amount: MinorString('the net proration'),
    currency: Currency,
  }),
  'object_count.over_limit': event('An account has more objects than its plan allows', 'The product reported a count (PUT /v1/accounts/{id}/object-counts) above the quota.', {
    account_id: AccountId,
    metric: Text('what is counted'),
    limit: Type.Integer({ description: 'the quota' }),
    count: Type.Integer({ description: 'the count reported' }),
    billing_emails: BillingEmails,
  }),
  'usage.charged': event('Usage was rated and charged', 'One event per account and rating step, its lines per meter and UTC day. Usage is charged even into debt.', {
    account_id: AccountId,
    transaction_id: TransactionId,
    amount: MinorString('the charge'),
    charged: MinorString('the charge (as amount)'),
    currency: Currency,
    balance: Balance,
    granted: Granted,
    grants: Drawn,
    lines: Type.Array(
      Type.Object({
        meter: Text('the meter'),
        day: Day('the UTC day of the usage'),
        quantity: Decimal('the quantity rated'),
        free: Decimal('of it, what free allowances and included units covered'),
        gross: MinorString('its price before volume discounts'),
        discount: MinorString('what volume discounts took off'),
        amount: MinorString('charged'),
      }),
    ),
  }),
  'usage.funds_exhausted': event('Usage used up the available funds', 'Metered entitlements now answer not allowed: the product should stop sending.', funds),
  'usage.over_limit': event('Usage went over a monthly quota', 'The month\'s count of a meter passed its quota.', {
    account_id: AccountId,
    metric: Text('the meter'),
    limit: Type.Integer({ description: 'the quota' }),
    count: Decimal('the month\'s usage so far'),
    month: Month,
    billing_emails: BillingEmails,
  }),
  'usage.reserved': event('Funds were reserved for usage to come', 'POST /v1/accounts/{id}/reservations: held out of available until settled, closed or expired.', reservation),
  'usage.reservation_released': event('A reservation let go of what it held', 'Closed or expired.', { ...reservation, released: MinorString('what it let go of') }),
  'grant.created': event('A credit grant was made', 'Scheduled for later, or active at once (then grant.effective follows).', grant),
  'grant.effective': event('A credit grant took effect', 'Its credit is in the account\'s available funds.', { ...grant, transaction_id: TransactionId, granted: Granted }),
  'grant.expiring': event('A credit grant expires soon', 'A heads-up with what it still holds.', grant),
  'grant.expired': event('A credit grant expired', 'What it still held is written off.', grantEnded),
  'grant.voided': event('A credit grant was voided', 'By an operator; what it still held is written off.', grantEnded),
  'budget.threshold_crossed': event('Spending crossed a share of a budget', 'Once per share (e.g. 80) and period.', { ...budget, share: Type.Integer({ minimum: 1, maximum: 100, description: 'the percentage of the budget crossed' }) }),
  'budget.reached': event('Spending reached a budget', 'A stop budget now refuses its service until the period ends.', budget),
  'top_up.requested': event('A top-up was asked for', 'A bank transfer carries its payment instructions; a card or PayPal payment awaits the provider.', {
    ...topUp,
    amount: MinorString('asked for'),
    currency: Currency,
    bank_transfer: Type.Optional(
      Type.Object({
        beneficiary: Text('whom to pay'),
        iban: Text('to which account'),
        bic: Text('its bank'),
        amount: MinorString('how much'),
        reference: Text('the reference to quote'),
        pay_by: Time('by when'),
      }),
    ),
  }),
  'top_up.received': event('Part of a bank transfer top-up arrived', 'Credited; the rest is still expected.', topUpCredited),
  'top_up.succeeded': event('A top-up was paid in full', 'Credited to the balance.', topUpCredited),
  'top_up.failed': event('A top-up failed', 'Declined by the payment provider, or rejected by an operator.', { ...topUp, amount: Type.Optional(MinorString('asked for')), reason: Text('why') }),
  'top_up.expired': event('A top-up expired unpaid (or short)', 'What arrived of it stays credited.', {
    ...topUp,
    amount: MinorString('asked for'),
    received: Type.Optional(MinorString('what arrived of it')),
    currency: Type.Optional(Currency),
    reason: Type.Optional(Text('why')),
  }),
  'top_up.refunded': event('A top-up was refunded, in part or whole', 'Debited from the balance.', topUpDebited),
  'top_up.disputed': event('A card payment was disputed', 'The disputed amount is debited from the balance.', topUpDebited),
  'top_up.cancelled': event('A pending top-up was cancelled', 'By the customer or an operator, before any money arrived.', { ...topUp, reason: Text('why') }),
  'auto_top_up.succeeded': event('An automatic top-up was paid', 'The saved card was charged below the threshold.', {
    account_id: AccountId,
    top_up_id: TopUpId,
    amount: MinorString('charged'),
    balance: Nullable(Balance),
  }),
  'auto_top_up.failed': event('An automatic top-up failed', 'After three in a row it pauses.', {
    account_id: AccountId,
    top_up_id: TopUpId,
    amount: MinorString('asked for'),
    reason: Text('why, as the card provider said'),
    failures: Type.Integer({ minimum: 1, description: 'failures in a row' }),
  }),
  'auto_top_up.paused': event('Automatic top-ups paused', 'Until the customer saves a card again.', { account_id: AccountId, reason: Text('why') }),
  'auto_top_up.capped': event('An automatic top-up was skipped: the monthly cap is reached', 'None is made until next month.', {
    account_id: AccountId,
    monthly_cap: MinorString('the cap'),
    spent: MinorString('spent on automatic top-ups this month'),
    month: Month,
  }),
  'billing_run.completed': event(
    'A billing run finished',
    "The provider's own event (account_id null): one per boundary.",
    {
    billing_run_id: Id('the run (GET /v1/billing-runs/{id})'),
    boundary: Time('the midnight (or month start) it billed'),
    started_at: Time('when it started'),
    finished_at: Time('when it finished'),
    billed: Type.Integer({ minimum: 0, description: 'subscriptions charged' }),
    suspended: Type.Integer({ minimum: 0, description: 'subscriptions suspended for want of funds' }),
    skipped: Type.Integer({ minimum: 0, description: 'subscriptions not due' }),
    total_charged: MinorString("charged in all, across currencies' minor units"),
  }, { provider: true }),
  'document.issued': event('A document was issued: an invoice, a receipt or a credit note', 'Its PDF and e-invoice are at GET /v1/documents/{id}.', {
    account_id: AccountId,
    document_id: Id('the document'),
    kind: OneOf(['invoice', 'credit_note', 'receipt', 'pro_forma']),
    number: Nullable(Text('its number in its series; null for a pro forma, which is not numbered')),
    gross: MinorString('its total with tax'),
    currency: Currency,
    issued_at: Time('its date'),
    top_up_id: Nullable(TopUpId),
    corrects_document_id: Nullable(Id('the document a credit note corrects')),
  }),
  'webhook_endpoint.disabled': event('A webhook endpoint was disabled', 'The provider\'s own event (account_id null), mailed to operators: it answered 410, or failed every attempt for 5 days.', {
    endpoint_id: Id('the endpoint'),
    url: Text('its URL'),
    reason: Text('gone (410) or failing'),
    failing_since: Nullable(Time('since when every attempt failed')),
  }, { provider: true }),
};

/** The tag of the catalogue's entries in the OpenAPI document. */
export const WEBHOOK_EVENTS_TAG = 'webhook events';

const pascal = (topic: string) => topic.split(/[._]/).map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join('');

/** What POST /v1/webhook-endpoints/{id}/ping sends: not an outbox event, never retried. */
export const PING_EVENT: EventType = {
  version: 1,
  summary: 'A test delivery',
  description: 'Sent only by POST /v1/webhook-endpoints/{id}/ping, to check that the endpoint answers and verifies the signature; its webhook-id starts with ping_.',
  data: Type.Object({ endpoint_id: Id('the endpoint pinged') }),
};

/** The schema of a whole delivery's body: `{type, timestamp, data}`. */
export function deliveryBodySchema(topic: string, data: object) {
  return {
    type: 'object',
    required: ['type', 'timestamp', 'data'],
    properties: {
      type: { const: topic, description: 'the event type' },
      timestamp: { type: 'string', format: 'date-time', description: 'when the event happened (on the simulated clock, simulated time)' },
      data,
    },
  };
}

const SIGNATURE_HEADERS = [
  { name: 'webhook-id', description: "the event's id: the same on every retry, so a receiver de-duplicates by it", example: 'evt_1234' },
  { name: 'webhook-timestamp', description: 'when this attempt was sent, in Unix seconds: refuse attempts far from your clock (replays)', example: '1764633600' },
  { name: 'webhook-signature', description: "`v1,` + base64 HMAC-SHA256 of `id.timestamp.body` under the endpoint's secret; during a rotation two, space-separated", example: 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=' },
];

/**
 * The catalogue as OpenAPI 3.1 `webhooks`, one POST each, and the `data` schemas as named
 * components (`SubscriptionSuspendedEvent`...), so openapi-typescript types a receiver.
 */
export function eventCatalogueDocument(): { webhooks: Record<string, unknown>; schemas: Record<string, unknown> } {
  const webhooks: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  for (const [topic, entry] of [...Object.entries(EVENT_CATALOGUE), ['ping', PING_EVENT] as const]) {
    const name = `${pascal(topic)}Event`;
    schemas[name] = { ...entry.data, title: name, description: `${entry.summary} (${topic}, version ${entry.version})` };
    webhooks[topic] = {
      post: {
        operationId: `on${pascal(topic)}`,
        summary: entry.summary,
        description: `${entry.description}\n\nVersion ${entry.version}. Fields may be added; none is removed or changes meaning within a version.`,
        tags: [WEBHOOK_EVENTS_TAG],
        security: [],
        'x-event-version': entry.version,
        parameters: SIGNATURE_HEADERS.map((h) => ({ in: 'header', name: h.name, required: true, description: h.description, schema: { type: 'string' }, example: h.example })),
        requestBody: { required: true, content: { 'application/json': { schema: deliveryBodySchema(topic, { $ref: `#/components/schemas/${name}` }) } } },
        responses: {
          '200': { description: 'Any 2xx: received. Answer quickly (within 15 s) and do the work after; anything else is retried, a 410 disables the endpoint.' },
        },
      },
    };
  }
  return { webhooks, schemas };
}

/** Adds the catalogue to a finished OpenAPI document: its `webhooks`, their schemas, their tag. */
export function withEventCatalogue<T extends { components?: { schemas?: Record<string, unknown> }; tags?: { name: string; description?: string }[] }>(doc: T, tagDescription: string): T & { webhooks: Record<string, unknown> } {
  const { webhooks, schemas } = eventCatalogueDocument();
  const components = (doc.components ??= {});
  components.schemas = { ...components.schemas, ...schemas };
  doc.tags = [...(doc.tags ?? []).filter((t) => t.name !== WEBHOOK_EVENTS_TAG), { name: WEBHOOK_EVENTS_TAG, description: tagDescription }].sort((a, b) => a.name.localeCompare(b.name));
  return Object.assign(doc, { webhooks });
}
