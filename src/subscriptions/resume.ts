// Auto-resume (SPEC 4): when a credit covers them, suspended subscriptions resume, oldest
// first, each charged from now to its next period boundary. One that funds do not cover stays
// suspended and the next one is still tried, as in the billing run (seed 001).
import { and, asc, eq } from 'drizzle-orm';
import { lockAccount } from '../accounts/lock.js';
import { versionById } from '../catalog/versions.js';
import type { Kassa } from '../context.js';
import type { Db } from '../db/client.js';
import { subscriptions } from '../db/schema.js';
import { restart, restartOutcome } from './enable.js';
import { accountMayBuy, normalisedDefinition } from './state.js';

/**
 * Called inside the crediting transaction, with the account row locked. Returns resumed ids.
 * The caller invalidates the account's entitlements after its commit.
 */
export async function resumeSuspended(tx: Db, kassa: Kassa, accountId: number, at: Date): Promise<number[]> {
  if (!kassa.billing.autoResume) return [];
  const suspended = await tx
    .select()
    .from(subscriptions)
    .where(and(eq(subscriptions.accountId, accountId), eq(subscriptions.status, 'suspended')))
    .orderBy(asc(subscriptions.id));
  const resumed: number[] = [];
  for (const subscription of suspended) {
    // Re-read per subscription: the previous resume spent from the same balance.
    const account = await lockAccount(tx, accountId);
    const version = await versionById(tx, subscription.planVersionId);
    if (!account || !version) continue;
    if (accountMayBuy(account)) break;
    const outcome = await restartOutcome(tx, account, subscription, { ...version, definition: normalisedDefinition(version.definition) }, at, 'resume');
    if (outcome.wouldFail) continue;
    await restart(tx, outcome, subscription, version.plan.code, 'subscription.resumed', at);
    resumed.push(subscription.id);
  }
  return resumed;
}
