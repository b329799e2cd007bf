// Kassa's tables. Every account-owned row carries account_id and every unique key that
// involves account-owned rows includes it, so the data can be distributed by account (Citus).
// Money columns are bigint minor units of the account's currency; rates are numeric text.
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  customType,
  check,
  date,
  index,
  integer,
  json,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  unique,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

const id = () => bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity();
const ref = (name: string) => bigint(name, { mode: 'number' });
const money = (name: string) => bigint(name, { mode: 'bigint' });
const at = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const bytes = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({ dataType: () => 'bytea', fromDriver: (value) => Buffer.from(value) });

// ---------- auth ----------

export const apiKeys = pgTable('api_keys', {
  id: id(),
  name: text('name').notNull(),
  prefix: text('prefix').notNull(),
  keyHash: text('key_hash').notNull().unique(),
  createdAt: at('created_at').notNull(),
  lastUsedAt: at('last_used_at'),
  revokedAt: at('revoked_at'),
});

// ---------- accounts ----------

export type AccountType = 'trial' | 'billing';
export type AccountStatus = 'pending_verification' | 'active' | 'suspended' | 'blocked' | 'closed';

// Stored with fillfactor 90 (migration 0018, which Drizzle cannot declare): every charge
// rewrites the row's balance, and the room left on each page keeps that update in place.
export const accounts = pgTable(
  'accounts',
  {
    id: id(),
    name: text('name').notNull(),
    externalRef: text('external_ref').unique(),
    currency: text('currency').notNull(),
    type: text('type').$type<AccountType>().notNull().default('trial'),
    status: text('status').$type<AccountStatus>().notNull().default('active'),
    // The status an operator's block replaced, restored by unblocking (null while not blocked).
    statusBeforeBlock: text('status_before_block').$type<Exclude<AccountStatus, 'blocked'>>(),
    // Cached sum of this account's 'customer' postings; `kassa verify` proves it.
    balance: money('balance').notNull().default(sql`0`),
    creditEnabled: boolean('credit_enabled').notNull().default(false),
    creditLimit: money('credit_limit').notNull().default(sql`0`),
    lowBalanceThreshold: money('low_balance_threshold'),
    lowBalanceThresholdDays: integer('low_balance_threshold_days'),
    lowBalanceWarned: boolean('low_balance_warned').notNull().default(false),
    // Funds held out of `available` by open usage reservations (src/usage/reservations.ts):
    // the cached sum of their holds; `kassa verify` proves it.
    reserved: money('reserved').notNull().default(sql`0`),
    // Cached sum of this account's credit-grant postings (ledger account `grant`): what its
    // live grants hold together (src/grants); `kassa verify` proves it.
    granted: money('granted').notNull().default(sql`0`),
    billingEmails: jsonb('billing_emails').$type<string[]>().notNull().default([]),
    // SPEC 1: the owner can require two-factor authentication of every member.
    requireTwoFactor: boolean('require_two_factor').notNull().default(false),
    createdAt: at('created_at').notNull(),
  },
  (t) => [
    check('accounts_credit_limit_nonnegative', sql`${t.creditLimit} >= 0`),
    check('accounts_reserved_nonnegative', sql`${t.reserved} >= 0`),
    check('accounts_granted_nonnegative', sql`${t.granted} >= 0`),
    check('accounts_currency_format', sql`${t.currency} ~ '^[A-Z]{3}$'`),
  ],
);

// Monthly purchase totals: the trailing-12-month base of the system credit limit.
export const accountMonthlyPurchases = pgTable(
  'account_monthly_purchases',
  {
    accountId: ref('account_id').notNull(),
    month: text('month').notNull(), // 'YYYY-MM'
    amount: money('amount').notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.month] })],
);

// Object counts reported by the provider's product (gauges), checked against quotas.
export const objectCounts = pgTable(
  'object_counts',
  {
    accountId: ref('account_id').notNull(),
    metric: text('metric').notNull(),
    count: bigint('count', { mode: 'number' }).notNull(),
    updatedAt: at('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.metric] }), check('object_counts_nonnegative', sql`${t.count} >= 0`)],
);

// What the provider's product reported used (SPEC 7): one row per event, unique per account by
// the product's own id, so a redelivery is recognised. Each HTTP batch is one usage_batches
// row, committed with its events before the answer; rating marks the batch once it charged it.
export const usageBatches = pgTable(
  'usage_batches',
  {
    id: id(),
    receivedAt: at('received_at').notNull(),
    events: integer('events').notNull(),
    ratedAt: at('rated_at'),
  },
  (t) => [index('usage_batches_unrated_idx').on(t.id).where(sql`${t.ratedAt} is null`)],
);

export const usageEvents = pgTable(
  'usage_events',
  {
    accountId: ref('account_id').notNull(),
    eventId: text('event_id').notNull(),
    meter: text('meter').notNull(),
    quantity: numeric('quantity', { precision: 24, scale: 6 }).notNull(),
    occurredAt: at('occurred_at').notNull(),
    batchId: ref('batch_id').notNull(),
    reservationId: ref('reservation_id'),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.eventId] }),
    index('usage_events_batch_idx').on(t.batchId),
    check('usage_events_quantity_nonnegative', sql`${t.quantity} >= 0`),
  ],
);

// Rating (src/usage/rate-batch.ts): what each account used of a meter in a UTC month and how
// much of it was free, so each rating step prices its usage against the month so far.
const usage = (name: string) => numeric(name, { precision: 30, scale: 6 });

// Usage taken from kept batches and not yet charged (src/usage/rate-batch.ts, ADR 0011): a
// batch's events are added up per account, meter, UTC day (a gauge: per hour, its highest
// sample) and reservation in the transaction that marks the batch taken, into the row of that
// key, and each row is deleted in the transaction that charges it. So usage is charged
// exactly once, and rating can go account by account in small transactions.
export const usageUnrated = pgTable(
  'usage_unrated',
  {
    accountId: ref('account_id').notNull(),
    meter: text('meter').notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    // A gauge's hour; null for a meter that adds up its quantities.
    hour: at('hour'),
    reservationId: ref('reservation_id'),
    // The sum of the quantities (a gauge: the hour's highest sample).
    quantity: numeric('quantity').notNull(),
    // The sum of the quantities, what the events settle of their reservation.
    settles: numeric('settles').notNull(),
  },
  (t) => [unique('usage_unrated_key').on(t.accountId, t.meter, t.day, t.hour, t.reservationId).nullsNotDistinct()],
);

export const usageMonthTotals = pgTable(
  'usage_month_totals',
  {
    accountId: ref('account_id').notNull(),
    meter: text('meter').notNull(),
    month: text('month').notNull(), // 'YYYY-MM', UTC
    quantity: usage('quantity').notNull(),
    // Free units drawn this month: from the plan's monthly `included`, and from its `free_once`.
    includedUsed: usage('included_used').notNull(),
    freeOnceUsed: usage('free_once_used').notNull(),
    // What the month's usage was charged so far (minor units): its price, rounded once.
    charged: money('charged').notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.meter, t.month] })],
);

// A plan's `free_once` units are granted once per account and meter, whatever the plan.
export const usageFreeOnce = pgTable(
  'usage_free_once',
  {
    accountId: ref('account_id').notNull(),
    meter: text('meter').notNull(),
    used: usage('used').notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.meter] })],
);

// Gauges (hourly_max meters): the highest sample of each hour rated so far; a higher sample
// arriving later charges only the difference.
export const usageHourPeaks = pgTable(
  'usage_hour_peaks',
  {
    accountId: ref('account_id').notNull(),
    meter: text('meter').notNull(),
    hour: at('hour').notNull(),
    peak: usage('peak').notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.meter, t.hour] })],
);

// A reservation (SPEC 7): before a large send the product asks for the price of `quantity`
// of a meter; the price is held out of the account's available funds until usage events naming
// the reservation settle it (the hold shrinks in proportion) or it is closed or expires.
export type ReservationStatus = 'open' | 'closed' | 'expired';

export const usageReservations = pgTable(
  'usage_reservations',
  {
    id: id(),
    accountId: ref('account_id').notNull(),
    meter: text('meter').notNull(),
    quantity: usage('quantity').notNull(),
    // What the quantity was priced at when granted (minor units), and what of it is still held.
    amount: money('amount').notNull(),
    held: money('held').notNull(),
    settled: usage('settled').notNull(),
    status: text('status').$type<ReservationStatus>().notNull(),
    expiresAt: at('expires_at').notNull(),
    createdAt: at('created_at').notNull(),
    closedAt: at('closed_at'),
  },
  (t) => [
    index('usage_reservations_account_idx').on(t.accountId, t.id),
    index('usage_reservations_open_idx').on(t.expiresAt).where(sql`${t.status} = 'open'`),
    check('usage_reservations_held', sql`${t.held} >= 0 and ${t.held} <= ${t.amount}`),
    check('usage_reservations_held_when_open', sql`${t.status} = 'open' or ${t.held} = 0`),
  ],
);

// Billing history (SPEC 9): money charged and quantities per account, UTC day charged, channel
// (a meter, or the plan's code for its subscriptions' charges) and kind, written in the same transaction as
// each charge (src/ledger/daily.ts), so a year of an account's history is one indexed read.
/** plan: a period's charge (billing run, creating, enabling, a plan change); seats: units added mid-period; refund: a decrease refunded; usage: metered usage before its volume discount; discount: what volume discounts (of meters or plan items) took off a charge (negative). */
export type HistoryKind = 'plan' | 'seats' | 'refund' | 'usage' | 'discount';

export const billingDaily = pgTable(
  'billing_daily',
  {
    accountId: ref('account_id').notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    channel: text('channel').notNull(),
    kind: text('kind').$type<HistoryKind>().notNull(),
    quantity: usage('quantity').notNull(),
    amount: money('amount').notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.day, t.channel, t.kind] })],
);

// ---------- ledger ----------

export type LedgerKind =
  | 'adjustment'
  | 'usage_charge'
  | 'subscription_charge'
  | 'subscription_refund'
  | 'billing_run'
  | 'reversal'
  | 'top_up'
  | 'top_up_refund'
  | 'chargeback'
  | 'payout'
  | 'grant'
  | 'grant_void'
  | 'grant_expiry';
/**
 * Where money comes from and goes (docs/ledger-accounts.md): the customer's paid balance, a
 * credit grant's own sub-account (`grant`, with grant_id), revenue, operator adjustments, a
 * clearing account per way of paying, promotional credit given (`promotions`), paid credit
 * sold outside the balance (`grant_sales`) and expired paid credit (`breakage`).
 */
export type LedgerAccount =
  | 'customer'
  | 'grant'
  | 'revenue'
  | 'adjustments'
  | 'clearing_bank_transfer'
  | 'clearing_card'
  | 'clearing_paypal'
  | 'payouts_due'
  | 'promotions'
  | 'grant_sales'
  | 'breakage';

export const ledgerTransactions = pgTable(
  'ledger_transactions',
  {
    id: id(),
    accountId: ref('account_id').notNull(),
    kind: text('kind').$type<LedgerKind>().notNull(),
    description: text('description').notNull(),
    // Net effect on the customer's balance (sum of its 'customer' postings), for history pages.
    customerAmount: money('customer_amount').notNull(),
    billingRunId: ref('billing_run_id'),
    reversesId: ref('reverses_id'),
    createdAt: at('created_at').notNull(),
  },
  (t) => [
    index('ledger_transactions_account_idx').on(t.accountId, t.id),
    // The revenue report reads days of the whole ledger. Transactions are appended in time
    // order, so a block range index finds a day's pages at almost no cost to each insert.
    index('ledger_transactions_created_brin').using('brin', t.createdAt),
  ],
);

export const ledgerPostings = pgTable(
  'ledger_postings',
  {
    // Postings are addressed by their transaction and line: no sequence and no second index
    // on the billing run's hottest insert.
    transactionId: ref('transaction_id').notNull(),
    line: smallint('line').notNull(),
    accountId: ref('account_id').notNull(),
    ledgerAccount: text('ledger_account').$type<LedgerAccount>().notNull(),
    amount: money('amount').notNull(),
    subscriptionId: ref('subscription_id'),
    // Set on the posting that pays a subscription's period: the database's guarantee that a
    // period is billed at most once, whatever crashes, retries or concurrent runs happen.
    billedPeriodStart: at('billed_period_start'),
    // The credit grant whose sub-account this posting moves (ledger account `grant` only).
    grantId: ref('grant_id'),
    // The plan or meter code a charge's or refund's posting belongs to: revenue per service
    // (GET /v1/reports/revenue). The billing run's one revenue posting per account has none:
    // its customer and grant postings, one per subscription, carry it.
    service: text('service'),
  },
  (t) => [
    primaryKey({ columns: [t.transactionId, t.line] }),
    // A grant's remaining amount is the sum of its postings: read by grant, a few rows each.
    index('ledger_postings_grant_idx').on(t.grantId).where(sql`${t.grantId} is not null`),
    check('ledger_postings_grant_account', sql`(${t.ledgerAccount} = 'grant') = (${t.grantId} is not null)`),
    // Period first: the billing run asks "which of these accounts' subscriptions are paid for
    // this boundary?", which then reads one day's postings, not the whole history.
    uniqueIndex('ledger_postings_billed_period_uq').on(t.billedPeriodStart, t.accountId, t.subscriptionId).where(sql`${t.billedPeriodStart} is not null`),
    check(
      'ledger_postings_period_needs_subscription',
      sql`${t.billedPeriodStart} is null or ${t.subscriptionId} is not null`,
    ),
  ],
);

// Credit grants (SPEC 4, src/grants): credit the provider gives or sells that is not money
// the customer paid onto the balance. Each is its own ledger sub-account (postings to
// `grant` carrying its id), so what is left of it is the sum of its postings. A paid grant
// bought outside the balance may await its payment; it counts down from when it is paid.
// Its ledger transaction is written when it takes effect (paid, and its effective time come):
// until then it holds nothing and pays nothing.
export type GrantKind = 'promotional' | 'paid';
export type GrantStatus = 'awaiting_payment' | 'scheduled' | 'active' | 'voided' | 'expired';

export const creditGrants = pgTable(
  'credit_grants',
  {
    id: id(),
    accountId: ref('account_id').notNull(),
    kind: text('kind').$type<GrantKind>().notNull(),
    // Face value, and what the customer paid for it (zero for promotional credit).
    amount: money('amount').notNull(),
    costBasis: money('cost_basis').notNull(),
    // Drawn lower first; then soonest expiry, promotional before paid, oldest first.
    priority: integer('priority').notNull(),
    // Service and plan codes it may pay; null: any charge.
    scope: text('scope').array(),
    effectiveAt: at('effective_at').notNull(),
    expiresAt: at('expires_at'),
    reason: text('reason').notNull(),
    status: text('status').$type<GrantStatus>().notNull(),
    paidAt: at('paid_at'),
    // When the notice of its coming expiry was queued: once per grant.
    expiryNoticeAt: at('expiry_notice_at'),
    closedAt: at('closed_at'),
    createdAt: at('created_at').notNull(),
  },
  (t) => [
    index('credit_grants_account_idx').on(t.accountId, t.id),
    // The scheduled jobs' work: grants to take effect, and live grants by their expiry.
    index('credit_grants_due_idx').on(t.effectiveAt).where(sql`${t.status} = 'scheduled'`),
    index('credit_grants_expiring_idx').on(t.expiresAt).where(sql`${t.status} = 'active' and ${t.expiresAt} is not null`),
    check('credit_grants_amount_positive', sql`${t.amount} > 0`),
    check('credit_grants_cost_basis', sql`${t.costBasis} >= 0 and ${t.costBasis} <= ${t.amount} and (${t.kind} = 'paid' or ${t.costBasis} = 0)`),
    check('credit_grants_kind', sql`${t.kind} in ('promotional', 'paid')`),
    check('credit_grants_status', sql`${t.status} in ('awaiting_payment', 'scheduled', 'active', 'voided', 'expired')`),
    check('credit_grants_expiry_after_start', sql`${t.expiresAt} is null or ${t.expiresAt} > ${t.effectiveAt}`),
  ],
);

// ---------- budgets ----------

export type BudgetPeriod = 'day' | 'month';
export type BudgetAction = 'notify' | 'stop';

/**
 * A spend limit the customer sets (SPEC 4): per UTC day or calendar month, for every charge
 * of the account or one metered service. It notifies at its shares of the limit, once per
 * crossing, and a `stop` budget turns the service off once reached. The state belongs to
 * `period_key`, the day or month it was last evaluated in; a new period starts it afresh.
 */
export const budgets = pgTable(
  'budgets',
  {
    id: id(),
    accountId: ref('account_id').notNull(),
    // A metered service's code; null: every charge of the account.
    service: text('service'),
    period: text('period').$type<BudgetPeriod>().notNull(),
    amount: money('amount').notNull(),
    action: text('action').$type<BudgetAction>().notNull(),
    // Percent shares of the limit told once each per crossing, e.g. {80,100}.
    notifyAt: smallint('notify_at').array().notNull(),
    periodKey: text('period_key'),
    // The shares told in period_key; one falls out again when the spend goes back under it.
    notified: smallint('notified').array().notNull(),
    // A stop budget reached in period_key: its service is off until the period ends.
    reachedAt: at('reached_at'),
    createdAt: at('created_at').notNull(),
    updatedAt: at('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('budgets_account_scope_uq').on(t.accountId, t.period, sql`coalesce(${t.service}, '')`),
    index('budgets_reached_idx').on(t.periodKey).where(sql`${t.reachedAt} is not null`),
    check('budgets_amount_positive', sql`${t.amount} > 0`),
    check('budgets_period', sql`${t.period} in ('day', 'month')`),
    check('budgets_action', sql`${t.action} in ('notify', 'stop')`),
  ],
);

// ---------- idempotency ----------

export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    scope: text('scope').notNull(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    statusCode: integer('status_code').notNull(),
    response: jsonb('response').notNull(),
    createdAt: at('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.key] })],
);

// ---------- catalog ----------

export type MeterAggregation = 'sum' | 'hourly_max';

export const services = pgTable(
  'services',
  {
    id: id(),
    code: text('code').notNull().unique(),
    name: text('name').notNull(),
    unit: text('unit').notNull(),
    description: text('description').notNull().default(''),
    // A metered service (src/usage): how its usage events add up, and the decimal places a
    // quantity may have. Null: not metered (priced by configured quantity or seats).
    meterAggregation: text('meter_aggregation').$type<MeterAggregation>(),
    meterDecimals: smallint('meter_decimals').notNull().default(0),
    createdAt: at('created_at').notNull(),
  },
  (t) => [
    check('services_meter_aggregation', sql`${t.meterAggregation} is null or ${t.meterAggregation} in ('sum', 'hourly_max')`),
    check('services_meter_decimals', sql`${t.meterDecimals} between 0 and 6`),
  ],
);

export type Cadence = 'daily' | 'monthly';
export type Timing = 'in_advance' | 'in_arrears';

export const plans = pgTable('plans', {
  id: id(),
  code: text('code').notNull().unique(),
  name: text('name').notNull(),
  kind: text('kind').$type<'preset' | 'custom'>().notNull(),
  cadence: text('cadence').$type<Cadence>().notNull(),
  timing: text('timing').$type<Timing>().notNull(),
  createdAt: at('created_at').notNull(),
});

// A plan's prices, items and quotas, valid from effective_from until the next version.
// Versions are append-only: a price change is a new version, never an update.
export const planVersions = pgTable(
  'plan_versions',
  {
    id: id(),
    planId: ref('plan_id').notNull(),
    version: integer('version').notNull(),
    currency: text('currency').notNull(),
    effectiveFrom: at('effective_from').notNull(),
    // The full definition (base price, items with tiers and proration policy, quotas,
    // features) as validated by src/catalog/plan-definition.ts.
    definition: jsonb('definition').notNull(),
    createdAt: at('created_at').notNull(),
  },
  (t) => [uniqueIndex('plan_versions_plan_currency_version_uq').on(t.planId, t.currency, t.version)],
);

// ---------- subscriptions ----------

export type SubscriptionStatus = 'active' | 'disabled' | 'suspended' | 'cancelled';

export const subscriptions = pgTable(
  'subscriptions',
  {
    id: id(),
    accountId: ref('account_id').notNull(),
    planId: ref('plan_id').notNull(),
    planVersionId: ref('plan_version_id').notNull(),
    status: text('status').$type<SubscriptionStatus>().notNull(),
    // Denormalised from the plan so the billing run selects due rows without joins.
    cadence: text('cadence').$type<Cadence>().notNull(),
    timing: text('timing').$type<Timing>().notNull(),
    // Day of month monthly periods start on (1..31, clamped to month end).
    anchorDay: smallint('anchor_day').notNull(),
    // Configured quantities per plan item: { "cpe_devices": 100, "public_ip": 1 }.
    quantities: jsonb('quantities').$type<Record<string, number>>().notNull(),
    // Price of one full period for the current configuration, rounded once (minor units).
    periodAmount: money('period_amount').notNull(),
    // What the plan items' volume discounts take off that period (minor units): the billing
    // history shows a period's charge as its price before them and the discount.
    periodDiscount: money('period_discount').notNull().default(sql`0`),
    // Seats (SPEC 6): the highest quantities paid for the period starting at paid_mark_from,
    // so a unit deleted and created again inside a paid period is not charged twice. Null, or
    // another period: what is configured is what is paid.
    paidMark: jsonb('paid_mark').$type<Record<string, number>>(),
    paidMarkFrom: at('paid_mark_from'),
    createdAt: at('created_at').notNull(),
    statusChangedAt: at('status_changed_at').notNull(),
  },
  (t) => [
    index('subscriptions_account_idx').on(t.accountId, t.id),
    // The billing run asks each batch whether any of its accounts runs an in-arrears plan: most
    // batches have none, and then skip that statement.
    index('subscriptions_in_arrears_idx').on(t.accountId).where(sql`${t.timing} = 'in_arrears' and ${t.status} = 'active'`),
    // Lets repricing ask "is anyone still on a superseded version?" with one index probe.
    index('subscriptions_plan_version_idx').on(t.planVersionId, t.id).where(sql`${t.status} <> 'cancelled'`),
    check('subscriptions_period_amount_nonnegative', sql`${t.periodAmount} >= 0`),
    check('subscriptions_period_discount_nonnegative', sql`${t.periodDiscount} >= 0`),
  ],
);

// ---------- billing runs ----------

export const billingRuns = pgTable(
  'billing_runs',
  {
    id: id(),
    boundary: at('boundary').notNull().unique(),
    status: text('status').$type<'running' | 'completed' | 'failed'>().notNull(),
    startedAt: at('started_at').notNull(),
    finishedAt: at('finished_at'),
    // Accounts are handed out in id order, a batch at a time (billing_run_batches): the
    // highest account id a batch of this run has been given.
    cursorAccountId: bigint('cursor_account_id', { mode: 'number' }).notNull().default(0),
    billed: bigint('billed', { mode: 'number' }).notNull().default(0),
    suspended: bigint('suspended', { mode: 'number' }).notNull().default(0),
    skipped: bigint('skipped', { mode: 'number' }).notNull().default(0),
    totalCharged: money('total_charged').notNull().default(sql`0`),
    errors: jsonb('errors').$type<string[]>().notNull().default([]),
  },
);

// A run's batches (src/billing/run.ts): each a range of account ids, claimed in its own short
// transaction as the cursor moves on, then billed by whichever worker locks it first, in the
// transaction that marks it finished. A batch claimed and never finished (its worker died)
// is left unlocked and unfinished, so the next worker takes it.
export const billingRunBatches = pgTable(
  'billing_run_batches',
  {
    runId: ref('run_id').notNull(),
    /** Accounts with id in (afterAccountId, throughAccountId]. */
    afterAccountId: bigint('after_account_id', { mode: 'number' }).notNull(),
    throughAccountId: bigint('through_account_id', { mode: 'number' }).notNull(),
    finishedAt: at('finished_at'),
  },
  (t) => [primaryKey({ columns: [t.runId, t.afterAccountId] })],
);

// ---------- documents (SPEC 9) ----------

// The last number each document series gave, per numbering period (the year for a series
// numbered per year, '' for one numbered continuously): raised in the transaction that issues
// the documents, so a rollback takes its numbers back and the series stays gapless
// (src/documents/numbering.ts).
export const documentCounters = pgTable(
  'document_counters',
  {
    kind: text('kind').notNull(),
    period: text('period').notNull(),
    last: bigint('last', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.kind, t.period] }), check('document_counters_positive', sql`${t.last} > 0`)],
);

// The customer's details for its documents (SPEC 9): who is invoiced, where, under which VAT
// id, in which language, and where documents are mailed (none: the account's billing e-mails).
// Owners and billing members edit them; issued documents keep the details they were issued with.
export const accountBillingDetails = pgTable('account_billing_details', {
  accountId: ref('account_id').primaryKey(),
  legalName: text('legal_name').notNull(),
  addressLine1: text('address_line1').notNull(),
  addressLine2: text('address_line2'),
  postalCode: text('postal_code'),
  city: text('city').notNull(),
  region: text('region'),
  // ISO 3166-1 alpha-2
  country: text('country').notNull(),
  // Upper case, without spaces or punctuation: DE136695976
  vatId: text('vat_id'),
  language: text('language').$type<'en' | 'uk'>().notNull(),
  documentEmails: jsonb('document_emails').$type<string[]>().notNull().default([]),
  updatedAt: at('updated_at').notNull(),
});

// The documents themselves (src/documents/issue.ts, ADR 0015). An issued document never
// changes: its parties, tax treatment and lines are written once, as they were when it was
// issued; a correction is a credit note. Pro-forma invoices carry no number.
export type DocumentKind = 'invoice' | 'credit_note' | 'receipt' | 'pro_forma';

export const documents = pgTable(
  'documents',
  {
    id: id(),
    accountId: ref('account_id').notNull(),
    kind: text('kind').$type<DocumentKind>().notNull(),
    // From the kind's series (src/documents/series.ts); null for a pro-forma invoice.
    number: text('number'),
    issuedAt: at('issued_at').notNull(),
    currency: text('currency').notNull(),
    language: text('language').$type<'en' | 'uk'>().notNull(),
    // The provider's legal details and the customer's billing details as they were at issue.
    seller: jsonb('seller').notNull(),
    buyer: jsonb('buyer').notNull(),
    // EN 16931 VAT category (S, Z, AE, O), the rate in percent and the legal note it needs.
    taxCategory: text('tax_category').notNull(),
    taxRate: numeric('tax_rate').notNull(),
    taxNote: text('tax_note'),
    net: money('net').notNull(),
    tax: money('tax').notNull(),
    gross: money('gross').notNull(),
    // The UTC days it covers, both included: the month of a monthly invoice, the day of the
    // charge, refund or payment otherwise.
    periodStart: date('period_start', { mode: 'string' }).notNull(),
    periodEnd: date('period_end', { mode: 'string' }).notNull(),
    // A credit note: the invoice it corrects (EN 16931 BT-25).
    correctsDocumentId: ref('corrects_document_id'),
    // A receipt or pro-forma invoice: the top-up it is for.
    topUpId: ref('top_up_id'),
    // A pro-forma's payment instructions, a receipt's method: as shown on the document.
    payment: jsonb('payment'),
  },
  (t) => [
    index('documents_account_idx').on(t.accountId, t.issuedAt, t.id),
    index('documents_issued_idx').on(t.issuedAt, t.id),
    // Numbers are made unique by their series' counter (src/documents/numbering.ts); this
    // index finds a document by its number.
    index('documents_number_idx').on(t.number).where(sql`${t.number} is not null`),
    check('documents_number_by_kind', sql`(${t.kind} = 'pro_forma') = (${t.number} is null)`),
    check('documents_totals', sql`${t.net} + ${t.tax} = ${t.gross}`),
  ],
);

// A document's lines: each names the ledger transactions it comes from.
export const documentLines = pgTable(
  'document_lines',
  {
    documentId: ref('document_id').notNull(),
    line: smallint('line').notNull(),
    accountId: ref('account_id').notNull(),
    // The plan or meter code; null for a top-up.
    service: text('service'),
    description: text('description').notNull(),
    // The UTC days of the periods charged or the usage, both included, where the line has them.
    periodStart: date('period_start', { mode: 'string' }),
    periodEnd: date('period_end', { mode: 'string' }),
    quantity: usage('quantity').notNull(),
    // What the quantity counts: day, month, period (a charge outside the cycle), a meter's unit.
    unit: text('unit').notNull(),
    // The line's amount before its discount, and the discount (both tax-inclusive, minor units).
    price: money('price').notNull(),
    discount: money('discount').notNull(),
    net: money('net').notNull(),
    tax: money('tax').notNull(),
    gross: money('gross').notNull(),
    transactionIds: bigint('transaction_ids', { mode: 'number' }).array().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.documentId, t.line] }),
    // A credit note finds the invoice of the charge it corrects among its account's lines.
    index('document_lines_account_idx').on(t.accountId),
    check('document_lines_totals', sql`${t.net} + ${t.tax} = ${t.gross} and ${t.price} - ${t.discount} = ${t.gross}`),
  ],
);

// A document rendered (src/documents/files.ts): the PDF or an e-invoice (UBL, Factur-X) made on its first request
// and kept, so it is rendered once and every later download is the same bytes.
export type DocumentFormat = 'pdf' | 'ubl' | 'facturx';

export const documentFiles = pgTable(
  'document_files',
  {
    accountId: ref('account_id').notNull(),
    documentId: ref('document_id').notNull(),
    format: text('format').$type<DocumentFormat>().notNull(),
    content: bytes('content').notNull(),
    createdAt: at('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.documentId, t.format] })],
);

// What is to be issued (ADR 0015): written in the transaction that moves the money (or, for a
// pro-forma, asks for it), one per ledger transaction (or top-up) and kind, so a retried call
// asks once; the issuing transaction sets document_id, so each is issued exactly once.
export const documentRequests = pgTable(
  'document_requests',
  {
    id: id(),
    accountId: ref('account_id').notNull(),
    kind: text('kind').$type<DocumentKind>().notNull(),
    transactionId: ref('transaction_id'),
    topUpId: ref('top_up_id'),
    // What the ledger does not say of the line: the service, the period, the discount.
    detail: jsonb('detail').notNull(),
    requestedAt: at('requested_at').notNull(),
    documentId: ref('document_id'),
  },
  (t) => [
    uniqueIndex('document_requests_transaction_uq').on(t.accountId, t.kind, t.transactionId).where(sql`${t.transactionId} is not null`),
    uniqueIndex('document_requests_top_up_uq').on(t.accountId, t.kind, t.topUpId).where(sql`${t.transactionId} is null`),
    index('document_requests_waiting_idx').on(t.id).where(sql`${t.documentId} is null`),
    check('document_requests_source', sql`${t.transactionId} is not null or ${t.topUpId} is not null`),
  ],
);

// The month's charges of the billing run and of usage rating, not yet invoiced: each charge adds
// to its account's row for the UTC month it was made in, its service and kind, in the charge's
// own transaction; the monthly invoice deletes the rows it invoices in its issuing transaction.
// So every such charge is invoiced exactly once (a charge committed late goes on the next one).
export const invoicePending = pgTable(
  'invoice_pending',
  {
    accountId: ref('account_id').notNull(),
    month: text('month').notNull(), // 'YYYY-MM', UTC
    service: text('service').notNull(),
    kind: text('kind').$type<'plan' | 'usage'>().notNull(),
    quantity: usage('quantity').notNull(),
    price: money('price').notNull(),
    discount: money('discount').notNull(),
    // The UTC days of the first and last period started (a plan) or usage day (a meter).
    periodStart: date('period_start', { mode: 'string' }).notNull(),
    periodEnd: date('period_end', { mode: 'string' }).notNull(),
    transactionIds: bigint('transaction_ids', { mode: 'number' }).array().notNull(),
  },
    // Month first: the monthly invoices read the months that have ended, and nothing else.
  (t) => [primaryKey({ columns: [t.month, t.accountId, t.service, t.kind] })],
);

// ---------- outbox ----------

export const outbox = pgTable(
  'outbox',
  {
    id: id(),
    // Null for the provider's own events (billing_run.completed), which belong to no account.
    accountId: ref('account_id'),
    topic: text('topic').notNull(),
    // json, not jsonb: the outbox is written far more than it is queried inside (never by its
    // payload's keys), and keeping the text as sent spares each event jsonb's conversion; the
    // billing run writes one per charged account (ADR 0002).
    payload: json('payload').notNull(),
    createdAt: at('created_at').notNull(),
  },
  (t) => [index('outbox_account_idx').on(t.accountId, t.id)],
);

// ---------- clock ----------

// The simulated clock's current time, so every process sharing the database agrees on it.
export const clockState = pgTable('clock_state', {
  id: smallint('id').primaryKey(),
  now: at('now').notNull(),
});

// ---------- top-ups (SPEC section 8) ----------

export type TopUpMethod = 'card' | 'paypal' | 'bank_transfer';
export type TopUpStatus = 'pending' | 'succeeded' | 'failed' | 'cancelled' | 'expired';

// Money a customer sends: pending until it really arrives, then credited through receipts.
export const topUps = pgTable(
  'top_ups',
  {
    id: id(),
    accountId: ref('account_id').notNull(),
    method: text('method').$type<TopUpMethod>().notNull(),
    status: text('status').$type<TopUpStatus>().notNull(),
    currency: text('currency').notNull(),
    amountRequested: money('amount_requested').notNull(),
    // What arrived so far (a bank transfer may come in parts) and what was given back.
    amountReceived: money('amount_received').notNull().default(sql`0`),
    amountRefunded: money('amount_refunded').notNull().default(sql`0`),
    // The ISO 11649 creditor reference a bank transfer must carry.
    reference: text('reference'),
    // The payment provider's id (Stripe Checkout Session, PayPal order).
    providerRef: text('provider_ref'),
    // The provider's id of the payment itself (Stripe PaymentIntent, PayPal capture), once known:
    // refunds and disputes name it.
    paymentRef: text('payment_ref'),
    // Where the customer pays (Stripe Checkout, PayPal approval), for the payment history.
    redirectUrl: text('redirect_url'),
    // The customer asked to keep the card for later payments (automatic top-up).
    saveCard: boolean('save_card').notNull().default(false),
    expiresAt: at('expires_at'),
    createdBy: text('created_by').notNull(),
    createdAt: at('created_at').notNull(),
    updatedAt: at('updated_at').notNull(),
  },
  (t) => [
    index('top_ups_account_idx').on(t.accountId, t.id),
    // A reference embeds its top-up's id, so it is unique by itself; the key carries account_id (Citus).
    uniqueIndex('top_ups_reference_uq').on(t.reference, t.accountId).where(sql`${t.reference} is not null`),
    index('top_ups_pending_idx').on(t.status, t.id).where(sql`${t.status} = 'pending'`),
    index('top_ups_payment_ref_idx').on(t.paymentRef).where(sql`${t.paymentRef} is not null`),
    check('top_ups_amounts', sql`${t.amountRequested} > 0 and ${t.amountReceived} >= 0 and ${t.amountRefunded} >= 0 and ${t.amountRefunded} <= ${t.amountReceived}`),
  ],
);

// Each arrival of a top-up's money, credited in its own ledger transaction. The bank's (or the
// provider's) reference is unique per top-up: the same payment reported twice credits once.
export const topUpReceipts = pgTable(
  'top_up_receipts',
  {
    id: id(),
    accountId: ref('account_id').notNull(),
    topUpId: ref('top_up_id').notNull(),
    transactionId: ref('transaction_id').notNull(),
    amount: money('amount').notNull(),
    externalRef: text('external_ref').notNull(),
    receivedAt: at('received_at').notNull(),
  },
  (t) => [uniqueIndex('top_up_receipts_external_uq').on(t.accountId, t.topUpId, t.externalRef), check('top_up_receipts_amount_positive', sql`${t.amount} > 0`)],
);

// Money given back from a top-up: a refund (through the provider, or seen in its webhook) or a
// dispute's withdrawal, each debited once in its own ledger transaction. The provider's
// reference is unique per top-up, so the same refund reported twice debits once.
export type GivenBackKind = 'refund' | 'dispute';

export const topUpRefunds = pgTable(
  'top_up_refunds',
  {
    id: id(),
    accountId: ref('account_id').notNull(),
    topUpId: ref('top_up_id').notNull(),
    transactionId: ref('transaction_id').notNull(),
    kind: text('kind').$type<GivenBackKind>().notNull(),
    amount: money('amount').notNull(),
    externalRef: text('external_ref').notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: at('created_at').notNull(),
  },
  (t) => [uniqueIndex('top_up_refunds_external_uq').on(t.accountId, t.topUpId, t.externalRef), check('top_up_refunds_amount_positive', sql`${t.amount} > 0`)],
);

// An account's customer at a payment provider (Stripe), made on its first card payment.
export const paymentCustomers = pgTable(
  'payment_customers',
  {
    accountId: ref('account_id').notNull(),
    provider: text('provider').$type<'stripe'>().notNull(),
    customerRef: text('customer_ref').notNull(),
    createdAt: at('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.provider] })],
);

// Saved cards: only the provider's id and what it shows of the card, never card data.
export const paymentMethods = pgTable(
  'payment_methods',
  {
    id: id(),
    accountId: ref('account_id').notNull(),
    provider: text('provider').$type<'stripe'>().notNull(),
    providerRef: text('provider_ref').notNull(),
    brand: text('brand').notNull(),
    last4: text('last4').notNull(),
    expMonth: smallint('exp_month').notNull(),
    expYear: smallint('exp_year').notNull(),
    isDefault: boolean('is_default').notNull().default(false),
    createdAt: at('created_at').notNull(),
  },
  (t) => [
    uniqueIndex('payment_methods_provider_ref_uq').on(t.accountId, t.provider, t.providerRef),
    // At most one default card per account.
    uniqueIndex('payment_methods_default_uq').on(t.accountId).where(sql`${t.isDefault}`),
  ],
);

// Automatic top-up (SPEC 8): when `available` falls below the threshold, the default saved
// card is charged off-session, once per crossing (`armed` is spent by a charge and re-armed when
// funds reach the threshold again), one charge at a time (`in_flight_top_up_id`), within the
// customer's monthly cap. A failure is retried a day later; three in a row pause it until a
// card is saved again.
export const autoTopUps = pgTable(
  'auto_top_ups',
  {
    accountId: ref('account_id').primaryKey(),
    enabled: boolean('enabled').notNull(),
    threshold: money('threshold').notNull(),
    // One of the two: a fixed amount, or enough to bring `available` up to a target.
    amount: money('amount'),
    target: money('target'),
    monthlyCap: money('monthly_cap').notNull(),
    armed: boolean('armed').notNull().default(true),
    failures: smallint('failures').notNull().default(0),
    // After a failure the next attempt waits a day: a declined card is not retried every minute.
    retryAt: at('retry_at'),
    pausedReason: text('paused_reason'),
    inFlightTopUpId: ref('in_flight_top_up_id'),
    // The calendar month (UTC, YYYY-MM) `spent` counts in.
    month: text('month').notNull(),
    spent: money('spent').notNull().default(sql`0`),
    updatedAt: at('updated_at').notNull(),
  },
  (t) => [
    check('auto_top_ups_amounts', sql`${t.threshold} > 0 and ${t.monthlyCap} > 0 and ${t.spent} >= 0 and (${t.amount} is null) <> (${t.target} is null)`),
    index('auto_top_ups_due_idx').on(t.accountId).where(sql`${t.enabled} and ${t.pausedReason} is null`),
  ],
);

// Every webhook event a payment provider delivered, by its id: a delivery seen twice is
// recognised and changes nothing the second time. Stripe's are kept as they came (`payload`)
// and acted on just after the answer (`processed_at`, `outcome`), so Stripe is answered at once.
export const paymentEvents = pgTable(
  'payment_events',
  {
    provider: text('provider').$type<'stripe' | 'paypal'>().notNull(),
    eventId: text('event_id').notNull(),
    type: text('type').notNull(),
    topUpId: ref('top_up_id'),
    receivedAt: at('received_at').notNull(),
    payload: jsonb('payload'),
    processedAt: at('processed_at'),
    outcome: text('outcome'),
  },
  (t) => [primaryKey({ columns: [t.provider, t.eventId] }), index('payment_events_unprocessed_idx').on(t.receivedAt).where(sql`${t.processedAt} is null`)],
);

// The provider's bank statements, imported once each, and their credit lines: matched to a
// pending top-up by its creditor reference, or kept unmatched for an operator.
export const bankStatements = pgTable('bank_statements', {
  id: id(),
  statementRef: text('statement_ref').notNull().unique(),
  format: text('format').$type<'camt.053' | 'csv'>().notNull(),
  importedAt: at('imported_at').notNull(),
});

export type StatementLineStatus = 'matched' | 'unmatched' | 'dismissed';

export const bankStatementLines = pgTable(
  'bank_statement_lines',
  {
    id: id(),
    statementId: ref('statement_id').notNull(),
    line: integer('line').notNull(),
    bookedOn: text('booked_on').notNull(),
    amount: money('amount').notNull(),
    currency: text('currency').notNull(),
    reference: text('reference').notNull(),
    counterparty: text('counterparty').notNull(),
    bankRef: text('bank_ref').notNull(),
    status: text('status').$type<StatementLineStatus>().notNull(),
    // Why a line is unmatched, for the operator: no reference, unknown, another currency...
    note: text('note'),
    topUpId: ref('top_up_id'),
  },
  (t) => [uniqueIndex('bank_statement_lines_line_uq').on(t.statementId, t.line), index('bank_statement_lines_unmatched_idx').on(t.status, t.id).where(sql`${t.status} = 'unmatched'`)],
);

// ---------- settings ----------

// Provider-wide settings (credit share and cap, auto-resume...), one JSON value per key.
export const providerSettings = pgTable('provider_settings', {
  key: text('key').primaryKey(),
  value: jsonb('value').notNull(),
});

// ---------- identity (SPEC section 1) ----------

export type Role = 'owner' | 'admin' | 'billing' | 'member' | 'viewer';

export const users = pgTable('users', {
  id: id(),
  // Stored lower-cased; the unique key.
  email: text('email').notNull().unique(),
  name: text('name').notNull().default(''),
  passwordHash: text('password_hash'),
  passwordChangedAt: at('password_changed_at'),
  // The most urgent expiry heads-up (days before) already mailed for the current password;
  // null after every change, so each notice goes out once per password.
  passwordExpiryNoticeDays: smallint('password_expiry_notice_days'),
  emailVerifiedAt: at('email_verified_at'),
  // Provider staff act across accounts (SPEC 1: operators).
  operator: boolean('operator').notNull().default(false),
  totpSecret: text('totp_secret'),
  totpEnabledAt: at('totp_enabled_at'),
  // The last TOTP time-step accepted: a code is never accepted twice (RFC 6238 section 5.2).
  totpLastStep: bigint('totp_last_step', { mode: 'number' }),
  status: text('status').$type<'active' | 'disabled'>().notNull().default('active'),
  createdAt: at('created_at').notNull(),
});

export const memberships = pgTable(
  'memberships',
  {
    accountId: ref('account_id').notNull(),
    userId: ref('user_id').notNull(),
    role: text('role').$type<Role>().notNull(),
    createdAt: at('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.userId] }), index('memberships_user_idx').on(t.userId)],
);

/** Login sessions: the cookie holds a random secret, the table its hash. */
export const sessions = pgTable(
  'sessions',
  {
    id: id(),
    userId: ref('user_id').notNull(),
    tokenHash: text('token_hash').notNull().unique(),
    csrfTokenHash: text('csrf_token_hash').notNull(),
    createdAt: at('created_at').notNull(),
    expiresAt: at('expires_at').notNull(),
    lastSeenAt: at('last_seen_at').notNull(),
    revokedAt: at('revoked_at'),
    ip: text('ip'),
    userAgent: text('user_agent'),
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
);

/** Single-use, expiring links: e-mail verification, password reset, invitations. */
export const oneTimeTokens = pgTable('one_time_tokens', {
  id: id(),
  purpose: text('purpose').$type<'verify_email' | 'reset_password' | 'invitation' | 'change_expired_password'>().notNull(),
  tokenHash: text('token_hash').notNull().unique(),
  userId: ref('user_id'),
  accountId: ref('account_id'),
  email: text('email').notNull(),
  data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
  createdAt: at('created_at').notNull(),
  expiresAt: at('expires_at').notNull(),
  usedAt: at('used_at'),
});

export const personalAccessTokens = pgTable(
  'personal_access_tokens',
  {
    id: id(),
    userId: ref('user_id').notNull(),
    name: text('name').notNull(),
    prefix: text('prefix').notNull(),
    tokenHash: text('token_hash').notNull().unique(),
    scopes: jsonb('scopes').$type<string[]>().notNull(),
    createdAt: at('created_at').notNull(),
    expiresAt: at('expires_at').notNull(),
    lastUsedAt: at('last_used_at'),
    revokedAt: at('revoked_at'),
  },
  (t) => [index('personal_access_tokens_user_idx').on(t.userId)],
);

export const recoveryCodes = pgTable(
  'recovery_codes',
  {
    userId: ref('user_id').notNull(),
    codeHash: text('code_hash').notNull(),
    usedAt: at('used_at'),
  },
  (t) => [primaryKey({ columns: [t.userId, t.codeHash] })],
);

/**
 * Attempts counted across every process of one database (src/identity/attempt-counts.ts):
 * sign-ups, logins and resets per client address and route, wrong passwords per address typed
 * or trusted device, wrong second-factor codes per user. `since` starts the count's window,
 * `last_at` is the latest attempt; a row a day old is forgotten.
 */
export const attemptCounts = pgTable('attempt_counts', {
  key: text('key').primaryKey(),
  count: integer('count').notNull(),
  since: at('since').notNull(),
  lastAt: at('last_at').notNull(),
});

/** Who did what, when, from where: security events and operator actions. */
export const auditLog = pgTable(
  'audit_log',
  {
    id: id(),
    accountId: ref('account_id'),
    actorKind: text('actor_kind').$type<'provider_key' | 'user' | 'operator' | 'system'>().notNull(),
    actorId: ref('actor_id'),
    action: text('action').notNull(),
    target: text('target'),
    data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
    ip: text('ip'),
    createdAt: at('created_at').notNull(),
  },
  (t) => [index('audit_log_account_idx').on(t.accountId, t.id)],
);

/**
 * Mail waiting to go out (or gone): written in the transaction that decided to send it, so no
 * mail is lost when the mail server is down; delivered by src/notifications with retries.
 */
export const mails = pgTable(
  'mails',
  {
    id: id(),
    accountId: ref('account_id'),
    userId: ref('user_id'),
    to: text('to').notNull(),
    template: text('template').notNull(),
    subject: text('subject').notNull(),
    text: text('text').notNull(),
    // A document's mail: its PDF goes with it as an attachment when it is sent (src/notifications/delivery.ts, kassa.documentFile).
    documentId: ref('document_id'),
    state: text('state').$type<'pending' | 'sent' | 'failed'>().notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: at('next_attempt_at').notNull(),
    lastError: text('last_error'),
    sentAt: at('sent_at'),
    createdAt: at('created_at').notNull(),
  },
  (t) => [index('mails_pending_idx').on(t.nextAttemptAt).where(sql`${t.state} = 'pending'`)],
);

/**
 * Outbox events the mail notifier has turned into mails (low balance, suspension): one row per
 * event, written in the transaction that queues its mails, so each event is mailed once.
 */
export const mailNotices = pgTable('mail_notices', {
  outboxId: bigint('outbox_id', { mode: 'number' }).primaryKey(),
  createdAt: at('created_at').notNull(),
});

/** Where the notifier's scan of the outbox starts: every event at or below it is settled. */
export const mailNotifierState = pgTable('mail_notifier_state', {
  id: smallint('id').primaryKey(),
  settledOutboxId: bigint('settled_outbox_id', { mode: 'number' }).notNull(),
});

// ---------- webhooks (SPEC section 10) ----------

/**
 * Where the provider's product hears of Kassa's events (src/webhooks): a URL, the event types
 * it wants (null: all), and whether it is being sent to. An endpoint Kassa disables itself says
 * why (`gone`: it answered 410; `failing`: every attempt failed for 5 days).
 */
export const webhookEndpoints = pgTable('webhook_endpoints', {
  id: id(),
  url: text('url').notNull(),
  description: text('description'),
  eventTypes: text('event_types').array(),
  enabled: boolean('enabled').notNull().default(true),
  disabledReason: text('disabled_reason').$type<'operator' | 'gone' | 'failing'>(),
  // Events of one account reach the endpoint in the order they were written unless it opts out.
  parallel: boolean('parallel').notNull().default(false),
  // Since when every attempt has failed (null: the last one succeeded); 5 days of it disable the endpoint.
  failingSince: at('failing_since'),
  createdAt: at('created_at').notNull(),
  updatedAt: at('updated_at').notNull(),
});

/**
 * An endpoint's signing secrets (whsec_ + base64): the current one has no expiry; a rotated-out
 * one goes on signing beside it until `expires_at`, so receivers can switch without a gap.
 */
export const webhookEndpointSecrets = pgTable(
  'webhook_endpoint_secrets',
  {
    id: id(),
    endpointId: ref('endpoint_id').notNull(),
    secret: text('secret').notNull(),
    createdAt: at('created_at').notNull(),
    expiresAt: at('expires_at'),
  },
  (t) => [index('webhook_endpoint_secrets_endpoint_idx').on(t.endpointId)],
);

/**
 * One outbox event for one endpoint (src/webhooks/dispatch.ts): written when the event is fanned
 * out, sent until it succeeds or its retries run out. `leased_until` (the database's real time)
 * marks it being sent by a worker; a worker that dies mid-send leaves it to be sent again once
 * the lease ends. `webhook-id` is the event's id, the same on every attempt.
 */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: id(),
    endpointId: ref('endpoint_id').notNull(),
    outboxId: ref('outbox_id').notNull(),
    accountId: ref('account_id'),
    topic: text('topic').notNull(),
    status: text('status').$type<'pending' | 'succeeded' | 'failed'>().notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: at('next_attempt_at').notNull(),
    leasedUntil: at('leased_until'),
    lastAttemptAt: at('last_attempt_at'),
    createdAt: at('created_at').notNull(),
  },
  (t) => [
    unique('webhook_deliveries_event_uq').on(t.endpointId, t.outboxId),
    index('webhook_deliveries_due_idx').on(t.nextAttemptAt).where(sql`${t.status} = 'pending'`),
    index('webhook_deliveries_account_idx').on(t.endpointId, t.accountId, t.outboxId).where(sql`${t.status} = 'pending'`),
  ],
);

/** Every attempt at a delivery: what the endpoint answered (or why nothing was), and how long it took. */
export const webhookAttempts = pgTable(
  'webhook_attempts',
  {
    id: id(),
    deliveryId: ref('delivery_id').notNull(),
    endpointId: ref('endpoint_id').notNull(),
    attemptedAt: at('attempted_at').notNull(),
    statusCode: integer('status_code'),
    latencyMs: integer('latency_ms').notNull(),
    error: text('error'),
    // The first 1,000 characters of the answer's body.
    responseExcerpt: text('response_excerpt'),
  },
  (t) => [index('webhook_attempts_delivery_idx').on(t.deliveryId), index('webhook_attempts_endpoint_idx').on(t.endpointId, t.attemptedAt)],
);

/** Outbox events already fanned out to the endpoints: one row each, written with their deliveries. */
export const webhookFannedOut = pgTable('webhook_fanned_out', {
  outboxId: bigint('outbox_id', { mode: 'number' }).primaryKey(),
});

/** Where fan-out's scan of the outbox starts: every event at or below it is fanned out (or came before any endpoint). */
export const webhookFanoutState = pgTable('webhook_fanout_state', {
  id: smallint('id').primaryKey(),
  settledOutboxId: bigint('settled_outbox_id', { mode: 'number' }).notNull(),
});
