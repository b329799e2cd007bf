// Quotas against object counts, as plain data. The limit of a metric is summed over the
// account's active subscriptions, each contributing its plan's quota of that name or, when the
// plan has no such quota, the configured quantity of its item with that service code: the
// same rule the entitlement check answers with (src/entitlements/compute.ts), so a change
// Kassa accepts never leaves the account over a limit it would then be refused on.
import type { PlanDefinition } from '../catalog/plan-definition.js';

export type Counts = Record<string, number>;
export type Limits = Map<string, number>;

export interface QuotaBlocker {
  quota: string;
  limit: number;
  current: number;
  /** Set when configured quantities would add up beyond a trial cap: their sum. */
  requested?: number;
}

export interface LimitSource {
  definition: Pick<PlanDefinition, 'quotas' | 'items'>;
  quantities: Record<string, number>;
}

/** The metrics one subscription limits, and by how much. */
export function limitsOf({ definition, quantities }: LimitSource): Limits {
  const limits: Limits = new Map(Object.entries(definition.quotas ?? {}));
  for (const item of definition.items ?? []) {
    if (limits.has(item.service)) continue;
    // Seats that follow the object count are limited by their max alone (absent: no limit).
    if (item.follows_count) {
      if (item.max !== null && item.max !== undefined) limits.set(item.service, item.max);
      continue;
    }
    limits.set(item.service, quantities[item.service] ?? item.default ?? 0);
  }
  return limits;
}

/** Per metric, the sum of every source's limit for it (a metric no source names is absent). */
export function summedLimits(sources: readonly LimitSource[]): Limits {
  const total: Limits = new Map();
  for (const source of sources) {
    for (const [metric, limit] of limitsOf(source)) total.set(metric, (total.get(metric) ?? 0) + limit);
  }
  return total;
}

/**
 * The quotas that refuse a subscription change: every metric the changed subscription limits
 * whose reported count exceeds the account's limit once the change is made. `changed` is the
 * subscription as it would be; `others` the account's other active subscriptions.
 */
export function quotaBlockers(changed: LimitSource, others: readonly LimitSource[], counts: Counts): QuotaBlocker[] {
  const limits = summedLimits([changed, ...others]);
  const blockers: QuotaBlocker[] = [];
  for (const metric of [...limitsOf(changed).keys()].sort()) {
    const limit = limits.get(metric)!;
    const current = counts[metric] ?? 0;
    if (current > limit) blockers.push({ quota: metric, limit, current });
  }
  return blockers;
}

export interface OverLimitCrossing {
  metric: string;
  limit: number;
  previous: number;
  count: number;
}

/**
 * Metrics that went over their limit with this report: at or under it before, over it now.
 * A count that stays over (or rises further) is not a new crossing, so the account is
 * notified once per crossing, never on every report.
 */
export function overLimitCrossings(limits: Limits, previous: Counts, next: Counts): OverLimitCrossing[] {
  const crossings: OverLimitCrossing[] = [];
  for (const metric of Object.keys(next).sort()) {
    const limit = limits.get(metric);
    if (limit === undefined) continue;
    const before = previous[metric] ?? 0;
    const count = next[metric]!;
    if (before <= limit && count > limit) crossings.push({ metric, limit, previous: before, count });
  }
  return crossings;
}

/** The provider's stricter limits for trial accounts (src/entitlements/compute.ts TrialLimits). */
export interface TrialCaps {
  quotas: Record<string, number>;
  denied_features: readonly string[];
}

/** A trial cap on the number of active subscriptions, by this quota name. */
export const SUBSCRIPTIONS_QUOTA = 'subscriptions';

/**
 * The trial limits that refuse a subscription change (SPEC 11), on top of `quotaBlockers`.
 * The same caps the entitlement check applies: a metric's limit is the lower of the plans'
 * sum and the trial cap (a denied feature is capped at 0). Refused, for each metric the
 * changed subscription limits, when:
 *   - it is an item whose configured quantities would add up beyond the cap (the trial would
 *     pay for units it may not use): `requested` names the sum;
 *   - or the reported count already exceeds the cap.
 * And, when `creating`, when the active subscriptions would exceed the `subscriptions` cap.
 */
export function trialBlockers(changed: LimitSource, others: readonly LimitSource[], counts: Counts, trial: TrialCaps, creating: boolean): QuotaBlocker[] {
  const capOf = (metric: string) => (trial.denied_features.includes(metric) ? 0 : trial.quotas[metric]);
  const limits = summedLimits([changed, ...others]);
  const planQuotas = changed.definition.quotas ?? {};
  const blockers: QuotaBlocker[] = [];
  for (const metric of [...limitsOf(changed).keys()].sort()) {
    const cap = capOf(metric);
    if (cap === undefined) continue;
    const current = counts[metric] ?? 0;
    const planned = limits.get(metric)!;
    if (!Object.hasOwn(planQuotas, metric) && planned > cap) blockers.push({ quota: metric, limit: cap, current, requested: planned });
    else if (current > cap) blockers.push({ quota: metric, limit: cap, current });
  }
  const subscriptionCap = trial.quotas[SUBSCRIPTIONS_QUOTA];
  if (creating && subscriptionCap !== undefined && others.length + 1 > subscriptionCap) {
    blockers.push({ quota: SUBSCRIPTIONS_QUOTA, limit: subscriptionCap, current: others.length });
  }
  return blockers;
}
