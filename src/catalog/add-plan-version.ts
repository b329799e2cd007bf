// A price change: the next version of a plan in one currency, applying from effective_from
// on. Versions are append-only, so charges already made keep the price they were made at.
import { and, desc, eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { planVersions, plans } from '../db/schema.js';
import { type Result, fail, ok } from '../shared/result.js';
import { effectiveFromProblem, priceProblem, servicesNamed } from './price-rules.js';
import { knownServices } from './read-catalog.js';
import type { CreateVersionInput, PlanVersionView } from './schemas.js';
import { planVersionView } from './views.js';

export async function addPlanVersion(db: Db, planId: number, input: CreateVersionInput, now: Date): Promise<Result<PlanVersionView>> {
  const known = await knownServices(db, servicesNamed(input.definition));
  const problem = priceProblem(input, known, '');
  if (problem) return { ok: false, failure: problem };
  const effectiveFrom = input.effective_from === undefined ? now : new Date(input.effective_from);
  return db.transaction(async (tx) => {
    // The plan row lock serialises concurrent changes, so each gets its own next number.
    const [plan] = await tx.select({ id: plans.id }).from(plans).where(eq(plans.id, planId)).for('update');
    if (!plan) return fail('not_found', `no plan ${planId}`);
    const [latest] = await tx
      .select({ version: planVersions.version, effectiveFrom: planVersions.effectiveFrom })
      .from(planVersions)
      .where(and(eq(planVersions.planId, planId), eq(planVersions.currency, input.currency)))
      .orderBy(desc(planVersions.version))
      .limit(1);
    const timing = effectiveFromProblem(effectiveFrom, now, latest);
    if (timing) return { ok: false, failure: timing };
    const [row] = await tx
      .insert(planVersions)
      .values({ planId, version: (latest?.version ?? 0) + 1, currency: input.currency, effectiveFrom, definition: input.definition, createdAt: now })
      .returning();
    return ok(planVersionView(row!));
  });
}
