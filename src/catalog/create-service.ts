// Adds a sellable service to the catalog. Its code is what plan items refer to, so it is
// unique and never reused.
import type { Db } from '../db/client.js';
import { services } from '../db/schema.js';
import { isUniqueViolation } from '../shared/idempotency.js';
import { type Result, fail, ok } from '../shared/result.js';
import type { CreateServiceInput, ServiceView } from './schemas.js';
import { serviceView } from './views.js';

export async function createService(db: Db, input: CreateServiceInput, now: Date): Promise<Result<ServiceView>> {
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
