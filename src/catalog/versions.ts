// Which version of a plan prices a period: the newest one effective at that time.
import { and, desc, eq, lte } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { planVersions, plans } from '../db/schema.js';
import type { PlanDefinition } from './plan-definition.js';

export type PlanRow = typeof plans.$inferSelect;

export interface EffectiveVersion {
  plan: PlanRow;
  versionId: number;
  version: number;
  currency: string;
  effectiveFrom: Date;
  definition: PlanDefinition;
}

export async function effectiveVersion(db: Db, planId: number, currency: string, at: Date): Promise<EffectiveVersion | undefined> {
  const [row] = await db
    .select({ plan: plans, version: planVersions })
    .from(planVersions)
    .innerJoin(plans, eq(plans.id, planVersions.planId))
    .where(and(eq(planVersions.planId, planId), eq(planVersions.currency, currency), lte(planVersions.effectiveFrom, at)))
    .orderBy(desc(planVersions.effectiveFrom), desc(planVersions.version))
    .limit(1);
  if (!row) return undefined;
  return {
    plan: row.plan,
    versionId: row.version.id,
    version: row.version.version,
    currency: row.version.currency,
    effectiveFrom: row.version.effectiveFrom,
    definition: row.version.definition as PlanDefinition,
  };
}

export async function versionById(db: Db, versionId: number): Promise<EffectiveVersion | undefined> {
  const [row] = await db.select({ plan: plans, version: planVersions }).from(planVersions).innerJoin(plans, eq(plans.id, planVersions.planId)).where(eq(planVersions.id, versionId));
  if (!row) return undefined;
  return { plan: row.plan, versionId: row.version.id, version: row.version.version, currency: row.version.currency, effectiveFrom: row.version.effectiveFrom, definition: row.version.definition as PlanDefinition };
}
