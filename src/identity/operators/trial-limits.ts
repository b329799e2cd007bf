// The provider's stricter limits for trial accounts (SPEC 1, 11), one provider setting read by
// the entitlement check (src/entitlements/load.ts) and by the quota check of subscription
// changes (src/subscriptions/quota-check.ts). Changing them drops every cached answer.
import { inTransaction } from '../../accounts/transaction.js';
import { recordAudit } from '../../audit/record.js';
import type { Principal } from '../../auth/principal.js';
import type { Kassa } from '../../context.js';
import type { Db } from '../../db/client.js';
import { providerSettings } from '../../db/schema.js';
import type { TrialLimits } from '../../entitlements/compute.js';
import { TRIAL_LIMITS_SETTING, loadTrialLimits } from '../../entitlements/load.js';
import type { Result } from '../../shared/result.js';

export async function readTrialLimits(db: Db): Promise<TrialLimits> {
  return (await loadTrialLimits(db)) ?? { quotas: {}, denied_features: [] };
}

export async function setTrialLimits(kassa: Kassa, actor: Principal, limits: TrialLimits, ip: string | null, at: Date): Promise<Result<TrialLimits>> {
  const value: TrialLimits = { quotas: limits.quotas, denied_features: [...new Set(limits.denied_features)].sort() };
  const result = await inTransaction(kassa.db, async (tx) => {
    await tx.insert(providerSettings).values({ key: TRIAL_LIMITS_SETTING, value }).onConflictDoUpdate({ target: providerSettings.key, set: { value } });
    await recordAudit(tx, actor, { action: 'settings.trial_limits_changed', target: TRIAL_LIMITS_SETTING, data: { ...value }, ip, at });
    return value;
  });
  if (result.ok) kassa.entitlements.clear();
  return result;
}
