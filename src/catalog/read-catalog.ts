// Reads of the catalog: services and plans with every version, in cursor pages by id.
import { asc, eq, gt, inArray } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { planVersions, plans, services } from '../db/schema.js';
import { page } from '../shared/pagination.js';
import type { KnownServices } from './price-rules.js';
import type { PlanView, ServiceView } from './schemas.js';
import { type PlanRow, planView, serviceView } from './views.js';

export async function listServices(db: Db, limit: number, cursor: number) {
  const rows = await db.select().from(services).where(gt(services.id, cursor)).orderBy(asc(services.id)).limit(limit + 1);
  return page(rows.map(serviceView), limit);
}

export async function serviceById(db: Db, id: number): Promise<ServiceView | undefined> {
  const [row] = await db.select().from(services).where(eq(services.id, id));
  return row && serviceView(row);
}

/** The services among `codes` that exist, and whether each is metered. */
export async function knownServices(db: Db, codes: readonly string[]): Promise<KnownServices> {
  if (codes.length === 0) return new Map();
  const rows = await db.select({ code: services.code, aggregation: services.meterAggregation }).from(services).where(inArray(services.code, [...new Set(codes)]));
  return new Map(rows.map((r) => [r.code, { metered: r.aggregation !== null }]));
}

async function withVersions(db: Db, rows: PlanRow[]): Promise<PlanView[]> {
  if (rows.length === 0) return [];
  const versions = await db.select().from(planVersions).where(inArray(planVersions.planId, rows.map((r) => r.id)));
  return rows.map((row) => planView(row, versions.filter((v) => v.planId === row.id)));
}

export async function listPlans(db: Db, limit: number, cursor: number) {
  const rows = await db.select().from(plans).where(gt(plans.id, cursor)).orderBy(asc(plans.id)).limit(limit + 1);
  const { data, next_cursor } = page(rows, limit);
  return { data: await withVersions(db, data), next_cursor };
}

export async function planById(db: Db, id: number): Promise<PlanView | undefined> {
  const [row] = await db.select().from(plans).where(eq(plans.id, id));
  return row && (await withVersions(db, [row]))[0];
}
