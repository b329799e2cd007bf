// How late usage may arrive (SPEC 7), an operator's setting: an event older than the grace
// window is refused, since the day it belongs to may have been rated and invoiced already.
import { readProviderSetting } from '../audit/provider-setting.js';
import type { Db } from '../db/client.js';

export const USAGE_SETTING = 'usage';

export interface UsageSettings {
  /** Days an event may arrive after it happened. */
  grace_days: number;
}

export const defaultUsageSettings: UsageSettings = { grace_days: 3 };
/** How far the product's clock may run ahead of Kassa's. */
export const CLOCK_SKEW_MS = 5 * 60_000;

/** The settings as stored (nothing stored: the defaults). */
export const usageSettingsOf = (stored: Partial<UsageSettings> | null | undefined): UsageSettings => ({ ...defaultUsageSettings, ...(stored ?? {}) });

export async function readUsageSettings(db: Db): Promise<UsageSettings> {
  return usageSettingsOf(await readProviderSetting<Partial<UsageSettings>>(db, USAGE_SETTING));
}
