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
}

export interface LimitSource {
  definition: Pick<PlanDefinition, 'quotas' | 'items'>;
  quantities: Record<string, number>;
}

/** The metrics one subscription limits, and by how much. */
export function limitsOf({ definition, quantities }: LimitSource): Limits {
  const limits: Limits = new Map(Object.entries(definition.quotas ?? {}));
  for (const item of definition.items ?? []) {
    if (!limits.has(item.service)) limits.set(item.service, quantities[item.service] ?? item.default ?? 0);
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
