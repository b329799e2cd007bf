// An operator blocks an account (abuse, fraud, unpaid contract) or unblocks it. A blocked
// account is read only for its members, its entitlements answer "not allowed", and the billing
// run leaves it alone; unblocking restores the status the block replaced.
import { eq } from 'drizzle-orm';
import { lockAccount } from '../../accounts/lock.js';
import { inTransaction } from '../../accounts/transaction.js';
import { recordAudit } from '../../audit/record.js';
import type { Principal } from '../../auth/principal.js';
import type { Kassa } from '../../context.js';
import { accounts } from '../../db/schema.js';
import { writeOutbox } from '../../outbox/write.js';
import { type Result, abort } from '../../shared/result.js';
import type { AccountRow } from '../../accounts/lock.js';

export async function blockAccount(kassa: Kassa, actor: Principal, accountId: number, reason: string, ip: string | null, at: Date): Promise<Result<AccountRow>> {
  const result = await inTransaction(kassa.db, async (tx) => {
    const account = await lockAccount(tx, accountId);
    if (!account) abort('not_found', `no account ${accountId}`);
    if (account.status === 'blocked') abort('invalid_state', `account ${accountId} is already blocked`);
    const [updated] = await tx.update(accounts).set({ status: 'blocked', statusBeforeBlock: account.status }).where(eq(accounts.id, accountId)).returning();
    await recordAudit(tx, actor, { action: 'account.blocked', accountId, target: `account:${accountId}`, data: { reason, previous_status: account.status }, ip, at });
    await writeOutbox(tx, accountId, 'account.updated', { account_id: accountId, status: 'blocked', previous_status: account.status, reason }, at);
    return updated!;
  });
  if (result.ok) kassa.entitlements.invalidate(accountId);
  return result;
}

export async function unblockAccount(kassa: Kassa, actor: Principal, accountId: number, ip: string | null, at: Date): Promise<Result<AccountRow>> {
  const result = await inTransaction(kassa.db, async (tx) => {
    const account = await lockAccount(tx, accountId);
    if (!account) abort('not_found', `no account ${accountId}`);
    if (account.status !== 'blocked') abort('invalid_state', `account ${accountId} is not blocked`);
    const status = account.statusBeforeBlock ?? 'active';
    const [updated] = await tx.update(accounts).set({ status, statusBeforeBlock: null }).where(eq(accounts.id, accountId)).returning();
    await recordAudit(tx, actor, { action: 'account.unblocked', accountId, target: `account:${accountId}`, data: { status }, ip, at });
    await writeOutbox(tx, accountId, 'account.updated', { account_id: accountId, status, previous_status: 'blocked' }, at);
    return updated!;
  });
  if (result.ok) kassa.entitlements.invalidate(accountId);
  return result;
}
