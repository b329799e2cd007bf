// The provider's stricter limits for trial accounts (SPEC 1, 11), one provider setting read by
// the entitlement check (src/entitlements/load.ts) and by the quota check of subscription
// changes (src/subscriptions/quota-check.ts). Changing them drops every cached answer.
import { saveProviderSetting } from '../../audit/provider-setting.js';
import type { Principal } from '../../auth/principal.js';
import type { Kassa } from '../../context.js';
import type { Db } from '../../db/client.js';
import type { TrialLimits } from '../../entitlements/compute.js';
import { TRIAL_LIMITS_SETTING, loadTrialLimits } from '../../entitlements/load.js';
import { type Result, ok } from '../../shared/result.js';

export async function readTrialLimits(db: Db): Promise<TrialLimits> {
  return (await loadTrialLimits(db)) ?? { quotas: {}, denied_features: [] };
}

export async function setTrialLimits(kassa: Kassa, actor: Principal, limits: TrialLimits, ip: string | null, at: Date): Promise<Result<TrialLimits>> {
  const value: TrialLimits = { quotas: limits.quotas, denied_features: [...new Set(limits.denied_features)].sort() };
  await saveProviderSetting(kassa.db, actor, { key: TRIAL_LIMITS_SETTING, value, action: 'settings.trial_limits_changed', data: { ...value } }, ip, at);
  kassa.entitlements.clear();
  return ok(value);
}
