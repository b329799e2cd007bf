// A provider setting replaced by a member of staff: the new value and the audit entry that says
// who changed it, in one transaction.
import type { Db } from '../db/client.js';
import { providerSettings } from '../db/schema.js';
import { type Actor, recordAudit } from './record.js';

export interface SettingChange {
  key: string;
  value: unknown;
  /** The audit action, e.g. 'settings.usage_changed', and what it records. */
  action: string;
  data: Record<string, unknown>;
}

export async function saveProviderSetting(db: Db, actor: Actor, change: SettingChange, ip: string | null, at: Date): Promise<void> {
  await db.transaction(async (txAny) => {
    const tx = txAny as unknown as Db;
    await tx.insert(providerSettings).values({ key: change.key, value: change.value }).onConflictDoUpdate({ target: providerSettings.key, set: { value: change.value } });
    await recordAudit(tx, actor, { action: change.action, target: change.key, data: change.data, ip, at });
  });
}
