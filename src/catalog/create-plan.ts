// Creates a plan with its first version in each currency, in one transaction: a plan is
// never visible without its prices.
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { planVersions, plans, services } from '../db/schema.js';
import { isUniqueViolation } from '../shared/idempotency.js';
import { type Failure, type Result, fail, ok } from '../shared/result.js';
import { effectiveFromProblem, pricesProblem, servicesNamed } from './price-rules.js';
import { knownServices } from './read-catalog.js';
import type { CreatePlanInput, PlanView } from './schemas.js';
import { planView } from './views.js';

/** In-arrears billing charges each UTC date used (SPEC 3); it is defined for daily plans only. */
function scheduleProblem(input: CreatePlanInput): Failure | undefined {
  if (input.timing === 'in_arrears' && input.cadence !== 'daily') {
    return { code: 'validation_failed', detail: 'in-arrears plans are billed per UTC date used: their cadence must be daily', field: '/cadence' };
  }
  return undefined;
}

export async function createPlan(db: Db, input: CreatePlanInput, now: Date): Promise<Result<PlanView>> {
  const effectiveFrom = input.effective_from === undefined ? now : new Date(input.effective_from);
  const known = await knownServices(db, input.prices.flatMap((p) => servicesNamed(p.definition)));
  const problem = scheduleProblem(input) ?? pricesProblem(input.prices, known) ?? effectiveFromProblem(effectiveFrom, now);
  if (problem) return { ok: false, failure: problem };
  // Grants, budgets and the billing history name plans and services by code alike.
  const [service] = await db.select({ code: services.code }).from(services).where(eq(services.code, input.code));
  if (service) return fail('already_exists', `a service has the code ${input.code}: a plan and a service never share one`, { field: '/code' });
  try {
    return await db.transaction(async (tx) => {
      const [plan] = await tx
        .insert(plans)
        .values({ code: input.code, name: input.name, kind: input.kind, cadence: input.cadence, timing: input.timing, createdAt: now })
        .returning();
      const versions = await tx
        .insert(planVersions)
        .values(input.prices.map((p) => ({ planId: plan!.id, version: 1, currency: p.currency, effectiveFrom, definition: p.definition, createdAt: now })))
        .returning();
      return ok(planView(plan!, versions));
    });
  } catch (error) {
    if (isUniqueViolation(error)) return fail('already_exists', `a plan with code ${input.code} already exists`, { field: '/code' });
    throw error;
  }
}
