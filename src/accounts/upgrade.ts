// Upgrading a trial to a billing account (SPEC 1): explicitly by its owner or the provider's
// staff, or on its first successful credit when the provider configures
// `accounts.upgrade_on_first_credit`. The trial limits stop applying at once: callers
// invalidate the account's entitlements after the commit.
import { eq } from 'drizzle-orm';
import { readProviderSetting } from '../audit/provider-setting.js';
import { type Actor, recordAudit } from '../audit/record.js';
import type { Db } from '../db/client.js';
import { accounts } from '../db/schema.js';
import { type Result, fail, ok } from '../shared/result.js';
import { type AccountRow, lockAccount } from './lock.js';

/** provider_settings key: true to upgrade a trial account when a credit is first posted to it. */
export const UPGRADE_ON_FIRST_CREDIT_SETTING = 'accounts.upgrade_on_first_credit';

export type UpgradeTrigger = 'explicit' | 'first_credit';

/** Runs inside the caller's transaction; locks the account. */
export async function upgradeAccount(tx: Db, actor: Actor, accountId: number, trigger: UpgradeTrigger, ip: string | null, at: Date): Promise<Result<AccountRow>> {
  const account = await lockAccount(tx, accountId);
  if (!account) return fail('not_found', `no account ${accountId}`);
  if (account.type === 'billing') return fail('invalid_state', `account ${accountId} is a billing account already`);
  if (account.status === 'closed') return fail('invalid_state', `account ${accountId} is closed`);
  const [updated] = await tx.update(accounts).set({ type: 'billing' }).where(eq(accounts.id, accountId)).returning();
  await recordAudit(tx, actor, { action: 'account.upgraded', accountId, target: `account:${accountId}`, data: { trigger }, ip, at });
  return ok(updated!);
}

export async function upgradesOnFirstCredit(tx: Db): Promise<boolean> {
  return (await readProviderSetting<boolean>(tx, UPGRADE_ON_FIRST_CREDIT_SETTING)) === true;
}
