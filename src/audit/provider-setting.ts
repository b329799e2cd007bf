// The provider's settings (one JSON value per key): read, and replaced or removed by a member
// of staff together with the audit entry that says who changed it, in one transaction.
import { eq } from 'drizzle-orm';
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

/** The setting's stored value; undefined when none is stored (its reader applies the defaults). */
export async function readProviderSetting<T>(db: Db, key: string): Promise<T | undefined> {
  const [row] = await db.select({ value: providerSettings.value }).from(providerSettings).where(eq(providerSettings.key, key));
  return row?.value as T | undefined;
}

export async function saveProviderSetting(db: Db, actor: Actor, change: SettingChange, ip: string | null, at: Date): Promise<void> {
  await db.transaction(async (txAny) => {
    const tx = txAny as unknown as Db;
    await tx.insert(providerSettings).values({ key: change.key, value: change.value }).onConflictDoUpdate({ target: providerSettings.key, set: { value: change.value } });
    await recordAudit(tx, actor, { action: change.action, target: change.key, data: change.data, ip, at });
  });
}

export async function removeProviderSetting(db: Db, actor: Actor, change: Omit<SettingChange, 'value' | 'data'>, ip: string | null, at: Date): Promise<void> {
  await db.transaction(async (txAny) => {
    const tx = txAny as unknown as Db;
    await tx.delete(providerSettings).where(eq(providerSettings.key, change.key));
    await recordAudit(tx, actor, { action: change.action, target: change.key, ip, at });
  });
}
