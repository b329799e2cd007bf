// Adds a sellable service to the catalog. Its code is what plan items refer to, so it is
// unique and never reused, and no plan has it: grants, budgets and the billing history name
// plans and services by code alike.
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { plans, services } from '../db/schema.js';
import { isUniqueViolation } from '../shared/idempotency.js';
import { type Result, fail, ok } from '../shared/result.js';
import type { CreateServiceInput, ServiceView } from './schemas.js';
import { serviceView } from './views.js';

export async function createService(db: Db, input: CreateServiceInput, now: Date): Promise<Result<ServiceView>> {
  const [plan] = await db.select({ id: plans.id }).from(plans).where(eq(plans.code, input.code));
  if (plan) return fail('already_exists', `plan ${plan.id} has the code ${input.code}: a service and a plan never share one`, { field: '/code' });
  try {
    const [row] = await db
      .insert(services)
      .values({ code: input.code, name: input.name, unit: input.unit, description: input.description ?? '', meterAggregation: input.meter?.aggregation ?? null, meterDecimals: input.meter?.decimals ?? 0, createdAt: now })
      .returning();
    return ok(serviceView(row!));
  } catch (error) {
    if (isUniqueViolation(error)) return fail('already_exists', `a service with code ${input.code} already exists`, { field: '/code' });
    throw error;
  }
}
