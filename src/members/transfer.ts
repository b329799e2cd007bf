// Ownership transfer: the chosen member becomes owner and the owner handing over becomes an
// admin. When the provider's staff transfer it, every previous owner becomes an admin: the
// account has one owner afterwards, the one chosen.
import { lockAccount } from '../accounts/lock.js';
import { inTransaction } from '../accounts/transaction.js';
import { recordAudit } from '../audit/record.js';
import type { Principal } from '../auth/principal.js';
import type { Kassa } from '../context.js';
import { type Result, abort } from '../shared/result.js';
import { setRole } from './change-role.js';
import { type MemberView, listMembers, memberRoles } from './read.js';

export async function transferOwnership(kassa: Kassa, actor: Principal, accountId: number, userId: number, ip: string | null, at: Date): Promise<Result<MemberView[]>> {
  return inTransaction(kassa.db, async (tx) => {
    if (!(await lockAccount(tx, accountId))) abort('not_found', `no account ${accountId}`);
    const members = await memberRoles(tx, accountId);
    const target = members.find((m) => m.userId === userId);
    if (!target) abort('not_found', `user ${userId} is not a member of account ${accountId}`);
    const handingOver = actor.kind === 'user' && !actor.operator ? members.filter((m) => m.userId === actor.userId) : members.filter((m) => m.role === 'owner');
    if (handingOver.length === 0 || handingOver.every((m) => m.userId === userId)) {
      abort('invalid_state', `user ${userId} already holds the ownership being transferred`, { field: '/user_id' });
    }
    if (target.role !== 'owner') await setRole(tx, actor, accountId, userId, target.role, 'owner', ip, at);
    const previous = handingOver.filter((m) => m.userId !== userId && m.role === 'owner');
    for (const owner of previous) await setRole(tx, actor, accountId, owner.userId, 'owner', 'admin', ip, at);
    await recordAudit(tx, actor, { action: 'account.ownership_transferred', accountId, target: `user:${userId}`, data: { from_user_ids: previous.map((m) => m.userId) }, ip, at });
    return listMembers(tx, accountId);
  });
}
