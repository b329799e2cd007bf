// Rows for entitlement scenarios, written straight to the database (the other domains' routes
// are not needed to ask what an account may do).
import { and, eq, sql } from 'drizzle-orm';
import type { PlanDefinition } from '../../src/catalog/plan-definition.js';
import type { Db } from '../../src/db/client.js';
import { accounts, objectCounts, planVersions, plans, subscriptions } from '../../src/db/schema.js';

const at = new Date('2026-11-02T00:00:00Z');

export async function insertAccount(db: Db, values: Partial<typeof accounts.$inferInsert> = {}): Promise<number> {
  const [row] = await db
    .insert(accounts)
    .values({ name: 'Acme', currency: 'EUR', type: 'billing', status: 'active', createdAt: at, ...values })
    .returning({ id: accounts.id });
  return row!.id;
}

export async function insertPlanVersion(db: Db, code: string, definition: Partial<PlanDefinition>): Promise<{ planId: number; versionId: number }> {
  const [plan] = await db
    .insert(plans)
    .values({ code, name: code, kind: 'preset', cadence: 'daily', timing: 'in_advance', createdAt: at })
    .returning({ id: plans.id });
  const [version] = await db
    .insert(planVersions)
    .values({ planId: plan!.id, version: 1, currency: 'EUR', effectiveFrom: at, definition: { items: [], quotas: {}, features: [], ...definition }, createdAt: at })
    .returning({ id: planVersions.id });
  return { planId: plan!.id, versionId: version!.id };
}

export async function subscribe(db: Db, accountId: number, plan: { planId: number; versionId: number }, quantities: Record<string, number> = {}): Promise<number> {
  const [row] = await db
    .insert(subscriptions)
    .values({
      accountId,
      planId: plan.planId,
      planVersionId: plan.versionId,
      status: 'active',
      cadence: 'daily',
      timing: 'in_advance',
      anchorDay: 2,
      quantities,
      periodAmount: 100n,
      createdAt: at,
      statusChangedAt: at,
    })
    .returning({ id: subscriptions.id });
  return row!.id;
}

export async function reportCount(db: Db, accountId: number, metric: string, count: number): Promise<void> {
  await db
    .insert(objectCounts)
    .values({ accountId, metric, count, updatedAt: at })
    .onConflictDoUpdate({ target: [objectCounts.accountId, objectCounts.metric], set: { count: sql`excluded.count` } });
}

export async function setSubscriptionStatus(db: Db, accountId: number, subscriptionId: number, status: 'active' | 'disabled' | 'suspended' | 'cancelled') {
  await db
    .update(subscriptions)
    .set({ status })
    .where(and(eq(subscriptions.accountId, accountId), eq(subscriptions.id, subscriptionId)));
}
