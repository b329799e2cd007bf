// What an account may do right now, from plain data: its status and type, its active
// subscriptions (each with its plan version's definition and configured quantities), the
// object counts the provider's product reported, and the trial limits. No database, no clock.
//
// The rules, checked in this fixed order for every feature (the first that applies wins):
//   1. Account status. pending_verification, suspended, blocked and closed allow nothing:
//      reason `account_<status>`. (SPEC 1: each status says what the account may still do;
//      a suspended account has run out of funds, so neither API access nor new objects.)
//   2. `api`, always present: allowed while at least one subscription is active, otherwise
//      `no_active_plan` (SPEC 3: while no plan is active, the account's API access is refused).
//   3. A feature no active plan names (as a flag, a quota or an item) is `not_in_plan`.
//   4. Trial accounts: a feature the trial limits deny is `trial_account`.
//   5. Quotas: the limit is the sum over active subscriptions of each plan's quota for the
//      metric, or, when the plan has no quota of that name, of the configured quantity of
//      the plan item with that service code. A trial cap lowers the sum. A feature flag is
//      unlimited (limit null), so a flag in any active plan lifts a quota of the same name.
//      Allowed while used < limit; otherwise `trial_limit` when the trial cap made the limit,
//      `quota_reached` when the plans did.
//   Budgets: an account-wide stop budget reached this period denies everything, like a status,
//   as `budget_reached`; one on a meter denies that meter (after the trial, before its quota);
//   one on a plan denies what only that plan gives: its features, quotas and meters.
//   6. Meters (./meters.ts), a metered service an active plan prices: `quota_reached` when the
//      month's usage reached the meter's quota (or the quantity asked about would pass it);
//      otherwise allowed while free units are left or available funds are above zero, or,
//      asked about a quantity, when they cover its price; otherwise `insufficient_funds`.
import { type MeterPrice, type PlanDefinition, metersOf } from '../catalog/plan-definition.js';
import type { AccountStatus, AccountType } from '../db/schema.js';
import { Exact } from '../money/money.js';
import { type MeterAnswer, type MeterStanding, meterAnswer } from './meters.js';

export const API_FEATURE = 'api';

export type DenialReason =
  | 'account_pending_verification'
  | 'account_suspended'
  | 'account_blocked'
  | 'account_closed'
  | 'no_active_plan'
  | 'not_in_plan'
  | 'trial_account'
  | 'trial_limit'
  | 'quota_reached'
  | 'insufficient_funds'
  | 'budget_reached';

export interface FeatureAnswer {
  feature: string;
  allowed: boolean;
  /** null: unlimited (a flag, or API access). */
  limit: number | null;
  /** The object count the provider reported for this metric (0 when none). */
  used: number;
  /** max(limit - used, 0); null when unlimited. */
  remaining: number | null;
  reason?: DenialReason;
  /** For a meter: this month's usage, the free units left, the funds, and a quantity's cost. */
  meter?: MeterAnswer['details'];
}

/** Stricter limits for trial accounts (SPEC 1, 11): caps on quotas, features withheld. */
export interface TrialLimits {
  quotas: Record<string, number>;
  denied_features: string[];
}

export interface ActiveSubscription {
  /** Its plan's code: a stop budget reached on the plan turns what only it gives off. */
  plan?: string;
  definition: Partial<Pick<PlanDefinition, 'quotas' | 'features' | 'items' | 'meters'>>;
  quantities: Record<string, number>;
}

/** What the account used of its meters, as last rated: the latest month of each, and its once-free units used. */
export interface MeterUsage {
  months: { meter: string; month: string; quantity: string; included_used: string; free_once_used: string }[];
  freeOnce: Record<string, string>;
}

export interface Funds {
  available: bigint;
  currency: string;
  /** Per plan or meter code, what credit grants scoped to it hold (counted for it only). */
  scoped?: Record<string, bigint>;
}

export interface EntitlementInputs {
  account: { status: AccountStatus; type: AccountType };
  subscriptions: ActiveSubscription[];
  counts: Record<string, number>;
  trial?: TrialLimits;
  /**
   * Available funds (balance, credit line and the credit grants that pay any charge), integer
   * minor units, the currency, and what grants scoped to some plans or meters add for each.
   */
  funds?: Funds;
  usage?: MeterUsage;
  /** The customer's stop budgets reached this period: a meter's or a plan's code, or '' for the whole account. */
  budgetStops?: string[];
}

/** What a meter's answer is checked at: the month (UTC 'YYYY-MM') and how much more, if asked. */
export interface MeterQuestion {
  month: string;
  quantity?: Exact;
}

export interface AccountEntitlements {
  status: AccountStatus;
  type: AccountType;
  /** `api` first, then the other features by name. */
  features: FeatureAnswer[];
  byFeature: Map<string, FeatureAnswer>;
  counts: Record<string, number>;
  /** Set when the account's status denies everything. */
  statusReason: DenialReason | undefined;
  /** The meters the active plans price: answered at the time asked (./meters.ts). */
  meters: Map<string, MeterStanding>;
  funds: Funds;
  trial: TrialLimits | undefined;
  /** Meters a stop budget reached this period turned off. */
  stoppedMeters: Set<string>;
}

export function computeEntitlements(input: EntitlementInputs): AccountEntitlements {
  const { account, subscriptions, counts } = input;
  const stops = new Set(input.budgetStops ?? []);
  // An account-wide stop budget reached denies everything, as a status does.
  const statusReason = statusDenial(account.status) ?? (stops.has('') ? 'budget_reached' : undefined);
  const trial = account.type === 'trial' ? input.trial : undefined;
  // A plan whose stop budget is reached gives nothing this period: what only it gives answers
  // `budget_reached`, as its meters do.
  const stopped = subscriptions.filter((s) => s.plan !== undefined && stops.has(s.plan));
  const running = stopped.length === 0 ? subscriptions : subscriptions.filter((s) => !stopped.includes(s));
  const stoppedOnly = planLimits(stopped);
  const limits = planLimits(running);

  const apiReason = statusReason ?? (running.length === 0 ? (subscriptions.length === 0 ? 'no_active_plan' : 'budget_reached') : undefined);
  const apiAnswer = answer(API_FEATURE, null, 0, apiReason);

  const features = [apiAnswer];
  for (const name of [...new Set([...limits.keys(), ...stoppedOnly.keys()])].sort()) {
    if (name === API_FEATURE) continue;
    features.push(limits.has(name) ? quotaAnswer(name, limits.get(name)!, usedOf(counts, name), statusReason, trial) : answer(name, 0, usedOf(counts, name), statusReason ?? 'budget_reached'));
  }
  const meters = meterStandings(running, input.usage);
  const stoppedMeters = new Set(stops);
  for (const [meter, standing] of stopped.length === 0 ? [] : meterStandings(stopped, input.usage)) {
    if (meters.has(meter)) continue;
    meters.set(meter, standing);
    stoppedMeters.add(meter);
  }
  return {
    status: account.status,
    type: account.type,
    features,
    byFeature: new Map(features.map((answer) => [answer.feature, answer])),
    counts,
    statusReason,
    meters,
    funds: input.funds ?? { available: 0n, currency: 'EUR' },
    trial,
    stoppedMeters,
  };
}

/** One feature's answer; a feature no active plan names is refused as `not_in_plan`. */
export function answerFor(entitlements: AccountEntitlements, feature: string, question?: MeterQuestion): FeatureAnswer {
  const known = entitlements.byFeature.get(feature);
  if (known) return known;
  const meter = entitlements.meters.get(feature);
  // Asked without a month (from code, not the API): the month the meter was last rated in.
  if (meter) return meterFeature(entitlements, feature, meter, question ?? { month: meter.month ?? '' });
  return answer(feature, 0, usedOf(entitlements.counts, feature), entitlements.statusReason ?? 'not_in_plan');
}

/** Every answer: `api`, then the features and meters by name. */
export function allAnswers(entitlements: AccountEntitlements, month: string): FeatureAnswer[] {
  if (entitlements.meters.size === 0) return entitlements.features;
  const meters = [...entitlements.meters].map(([name, standing]) => meterFeature(entitlements, name, standing, { month }));
  const [api, ...rest] = entitlements.features;
  return [api!, ...[...rest, ...meters].sort((a, b) => (a.feature < b.feature ? -1 : 1))];
}

function meterFeature(entitlements: AccountEntitlements, feature: string, standing: MeterStanding, question: MeterQuestion): FeatureAnswer {
  const { available, currency, scoped } = entitlements.funds;
  const checked = meterAnswer(standing, { ...question, currency, available: available + (scoped?.[feature] ?? 0n) });
  const reason =
    entitlements.statusReason ??
    (entitlements.trial?.denied_features.includes(feature) ? 'trial_account' : undefined) ??
    (entitlements.stoppedMeters.has(feature) ? 'budget_reached' : undefined) ??
    checked.reason;
  return { ...answer(feature, null, checked.usedUnits, reason), meter: checked.details };
}

/** The first active plan pricing each meter wins, as in rating; with its usage as last rated. */
function meterStandings(subscriptions: ActiveSubscription[], usage: MeterUsage | undefined): Map<string, MeterStanding> {
  const prices = new Map<string, MeterPrice>();
  for (const { definition } of subscriptions) for (const price of metersOf(definition)) if (!prices.has(price.meter)) prices.set(price.meter, price);
  const standings = new Map<string, MeterStanding>();
  for (const [meter, price] of prices) {
    const month = usage?.months.find((m) => m.meter === meter);
    standings.set(meter, {
      price,
      month: month?.month ?? null,
      quantity: new Exact(month?.quantity ?? 0),
      includedUsed: new Exact(month?.included_used ?? 0),
      freeOnceUsedInMonth: new Exact(month?.free_once_used ?? 0),
      freeOnceUsed: new Exact(usage?.freeOnce[meter] ?? 0),
    });
  }
  return standings;
}

function statusDenial(status: AccountStatus): DenialReason | undefined {
  return status === 'active' ? undefined : `account_${status}`;
}

/** Every feature the active plans name, with its summed limit (null: unlimited). */
function planLimits(subscriptions: ActiveSubscription[]): Map<string, number | null> {
  const limits = new Map<string, number | null>();
  const add = (name: string, amount: number | null) => {
    const current = limits.get(name);
    limits.set(name, current === null || amount === null ? null : (current ?? 0) + amount);
  };
  for (const { definition, quantities } of subscriptions) {
    const quotas = definition.quotas ?? {};
    for (const [metric, limit] of Object.entries(quotas)) add(metric, limit);
    for (const item of definition.items ?? []) {
      if (Object.hasOwn(quotas, item.service)) continue;
      // A seat that follows the object count may be created up to its max (charged as it is).
      add(item.service, item.follows_count ? (item.max ?? null) : (quantities[item.service] ?? item.default ?? 0));
    }
    for (const flag of definition.features ?? []) add(flag, null);
  }
  return limits;
}

function quotaAnswer(feature: string, planLimit: number | null, used: number, statusReason: DenialReason | undefined, trial: TrialLimits | undefined): FeatureAnswer {
  const cap = trial && Object.hasOwn(trial.quotas, feature) ? trial.quotas[feature]! : null;
  const trialCapped = cap !== null && (planLimit === null || cap < planLimit);
  const limit = trialCapped ? cap : planLimit;
  const reason =
    statusReason ??
    (trial?.denied_features.includes(feature) ? 'trial_account' : undefined) ??
    (limit !== null && used >= limit ? (trialCapped ? 'trial_limit' : 'quota_reached') : undefined);
  return answer(feature, limit, used, reason);
}

function answer(feature: string, limit: number | null, used: number, reason: DenialReason | undefined): FeatureAnswer {
  const remaining = limit === null ? null : Math.max(limit - used, 0);
  return reason === undefined ? { feature, allowed: true, limit, used, remaining } : { feature, allowed: false, limit, used, remaining, reason };
}

function usedOf(counts: Record<string, number>, metric: string): number {
  return Object.hasOwn(counts, metric) ? counts[metric]! : 0;
}
