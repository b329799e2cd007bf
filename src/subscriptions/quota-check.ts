// The quotas a subscription change must fit, in one place for create, configure and change
// plan: the plans' quotas against the reported counts and, for a trial account, the
// provider's trial limits (the same caps the entitlement check applies).
import type { AccountRow } from '../accounts/lock.js';
import type { Db } from '../db/client.js';
import { loadTrialLimits } from '../entitlements/load.js';
import { type LimitSource, type QuotaBlocker, quotaBlockers, trialBlockers } from './quotas.js';
import { activeLimitSources, countsOf } from './state.js';

export async function subscriptionQuotaBlockers(tx: Db, account: Pick<AccountRow, 'id' | 'type'>, changed: LimitSource, options: { except?: number; creating: boolean }): Promise<QuotaBlocker[]> {
  const others = await activeLimitSources(tx, account.id, options.except);
  const counts = await countsOf(tx, account.id);
  const blockers = quotaBlockers(changed, others, counts);
  const trial = account.type === 'trial' ? await loadTrialLimits(tx) : undefined;
  if (!trial) return blockers;
  // Where both refuse a metric, the trial's (lower) limit is the one to name.
  const strict = trialBlockers(changed, others, counts, trial, options.creating);
  const named = new Set(strict.map((b) => b.quota));
  return [...strict, ...blockers.filter((b) => !named.has(b.quota))].sort((a, b) => a.quota.localeCompare(b.quota));
}
