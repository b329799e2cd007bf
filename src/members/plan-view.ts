// The plan and seats view (seed 002), owner only: per seat-like service of the active plans,
// the units created (object counts the provider reported), the units included in the plan
// (the configured quantities: the minimum billed whatever is created), the additional units
// created beyond them, and the units paid through the current period (the period's paid mark:
// a seat deleted inside a paid period stays paid until the period ends).
import { and, asc, eq, inArray } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { planVersions, plans, services, subscriptions } from '../db/schema.js';
import { countsOf, currentPeriod, normalisedDefinition, paidMarkOf } from '../subscriptions/state.js';

export interface SeatLine {
  service: string;
  name: string;
  unit: string;
  created: number;
  included_in_plan: number;
  additional: number;
  paid_this_period: number;
}

export interface SeatSource {
  items: { service: string }[];
  quantities: Record<string, number>;
  defaults: Record<string, number>;
  /** What is paid through the current period, where it is more than what is configured. */
  paid: Record<string, number>;
}

/** Pure: sums the included units per service over the active subscriptions, against the counts. */
export function seatLines(sources: readonly SeatSource[], counts: Record<string, number>): Omit<SeatLine, 'name' | 'unit'>[] {
  const included = new Map<string, number>();
  const paid = new Map<string, number>();
  for (const source of sources) {
    for (const { service } of source.items) {
      const configured = source.quantities[service] ?? source.defaults[service] ?? 0;
      included.set(service, (included.get(service) ?? 0) + configured);
      paid.set(service, (paid.get(service) ?? 0) + Math.max(configured, source.paid[service] ?? 0));
    }
  }
  return [...included.keys()].sort().map((service) => {
    const created = counts[service] ?? 0;
    const inPlan = included.get(service)!;
    return { service, created, included_in_plan: inPlan, additional: Math.max(created - inPlan, 0), paid_this_period: paid.get(service)! };
  });
}

export async function planView(db: Db, accountId: number, now: Date) {
  const rows = await db
    .select({
      id: subscriptions.id,
      planId: plans.id,
      planName: plans.name,
      quantities: subscriptions.quantities,
      definition: planVersions.definition,
      cadence: subscriptions.cadence,
      anchorDay: subscriptions.anchorDay,
      paidMark: subscriptions.paidMark,
      paidMarkFrom: subscriptions.paidMarkFrom,
    })
    .from(subscriptions)
    .innerJoin(planVersions, eq(planVersions.id, subscriptions.planVersionId))
    .innerJoin(plans, eq(plans.id, subscriptions.planId))
    .where(and(eq(subscriptions.accountId, accountId), eq(subscriptions.status, 'active')))
    .orderBy(asc(subscriptions.id));
  const sources = rows.map((r) => {
    const definition = normalisedDefinition(r.definition);
    return { items: definition.items, quantities: r.quantities, defaults: Object.fromEntries(definition.items.map((i) => [i.service, i.default])), paid: paidMarkOf(r, currentPeriod(r, now)) ?? {} };
  });
  const lines = seatLines(sources, await countsOf(db, accountId));
  const known = lines.length === 0 ? [] : await db.select().from(services).where(inArray(services.code, lines.map((l) => l.service)));
  const byCode = new Map(known.map((s) => [s.code, s]));
  return {
    account_id: accountId,
    subscriptions: rows.map((r) => ({ subscription_id: r.id, plan_id: r.planId, plan_name: r.planName })),
    seats: lines.map((l) => ({ ...l, name: byCode.get(l.service)?.name ?? l.service, unit: byCode.get(l.service)?.unit ?? 'unit' })),
  };
}
