// When an account hears that a credit grant is about to expire (SPEC 4), an operator's
// setting: nothing expires silently.
import { readProviderSetting } from '../audit/provider-setting.js';
import type { Db } from '../db/client.js';

export const GRANTS_SETTING = 'grants';

export interface GrantSettings {
  /** Days before a grant's expiry that the account is told what it still holds. */
  expiry_notice_days: number;
}

export const defaultGrantSettings: GrantSettings = { expiry_notice_days: 7 };

export async function readGrantSettings(db: Db): Promise<GrantSettings> {
  return { ...defaultGrantSettings, ...((await readProviderSetting<Partial<GrantSettings>>(db, GRANTS_SETTING)) ?? {}) };
}
