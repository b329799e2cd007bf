// Seats that follow the object count (SPEC 6, seed 002): a plan item marked `follows_count`
// takes as its quantity what the product reports created under its service code (users, phone
// numbers), at least the item's min. Each report reconfigures the account's active
// subscriptions to it, in the report's transaction: a unit created above the period's paid
// mark is charged at once, prorated to the period end, even into debt (it exists); deleting one
// refunds nothing, and creating another up to the mark costs nothing. The next period is
// charged for the units that exist then.
import { and, asc, eq } from 'drizzle-orm';
import type { Kassa } from '../context.js';
import type { Db } from '../db/client.js';
import { planVersions, subscriptions } from '../db/schema.js';
import type { Failure } from '../shared/result.js';
import { configureSubscription } from './configure.js';
import type { Counts } from './quotas.js';
import { normalisedDefinition } from './state.js';

export interface SeatChange {
  subscriptionId: number;
  /** Per seat service, the quantity before and after the report. */
  quantities: Record<string, { from: number; to: number }>;
  /** Charged now, minor units (0: within the paid mark, fewer seats, or a period not paid yet). */
  charged: bigint;
  /** Why the subscription could not follow (its plan's quota of another metric, the account's status). */
  refused?: Failure;
}

export async function seatsFollowCounts(tx: Db, kassa: Kassa, accountId: number, counts: Counts, at: Date): Promise<SeatChange[]> {
  const running = await tx
    .select({ id: subscriptions.id, quantities: subscriptions.quantities, definition: planVersions.definition })
    .from(subscriptions)
    .innerJoin(planVersions, eq(planVersions.id, subscriptions.planVersionId))
    .where(and(eq(subscriptions.accountId, accountId), eq(subscriptions.status, 'active')))
    .orderBy(asc(subscriptions.id));
  const changes: SeatChange[] = [];
  for (const subscription of running) {
    const quantities: Counts = {};
    for (const item of normalisedDefinition(subscription.definition).items) {
      if (!item.follows_count || !Object.hasOwn(counts, item.service)) continue;
      const to = Math.max(item.min, Math.min(counts[item.service]!, item.max ?? Number.MAX_SAFE_INTEGER));
      if (to !== (subscription.quantities[item.service] ?? item.default)) quantities[item.service] = to;
    }
    if (Object.keys(quantities).length === 0) continue;
    const done = await configureSubscription(tx, kassa, { subscriptionId: subscription.id, quantities, chargeIntoDebt: true, preview: false }, at);
    const changed = Object.fromEntries(Object.entries(quantities).map(([service, to]) => [service, { from: subscription.quantities[service] ?? 0, to }]));
    const charged = done.ok ? done.value.decision.movements.reduce((sum, m) => sum + m.amount, 0n) : 0n;
    changes.push({ subscriptionId: subscription.id, quantities: changed, charged, ...(done.ok ? {} : { refused: done.failure }) });
  }
  return changes;
}
