// Role changes and removals, under the account's lock so that two concurrent changes cannot
// together take away the last owner. A change that grants or takes the owner role needs the
// 'owners:write' permission: the route passes its verdict in as `ownerDenied`.
import { and, eq } from 'drizzle-orm';
import { lockAccount } from '../accounts/lock.js';
import { inTransaction } from '../accounts/transaction.js';
import { recordAudit } from '../audit/record.js';
import type { Principal } from '../auth/principal.js';
import type { Kassa } from '../context.js';
import type { Db } from '../db/client.js';
import { memberships, type Role } from '../db/schema.js';
import { type Failure, FailureSignal, type Result, abort } from '../shared/result.js';
import { type MemberView, memberRoles, memberView } from './read.js';
import { lastOwnerRefusal, touchesOwner } from './rules.js';

export interface MemberChange {
  accountId: number;
  userId: number;
  /** null removes the member. */
  role: Role | null;
  /** Why the caller may not grant or take the owner role; undefined when they may. */
  ownerDenied: Failure | undefined;
  ip: string | null;
}

export async function changeMember(kassa: Kassa, actor: Principal, change: MemberChange, at: Date): Promise<Result<MemberView | null>> {
  return inTransaction(kassa.db, async (tx) => {
    if (!(await lockAccount(tx, change.accountId))) abort('not_found', `no account ${change.accountId}`);
    const members = await memberRoles(tx, change.accountId);
    const current = members.find((m) => m.userId === change.userId);
    if (!current) abort('not_found', `user ${change.userId} is not a member of account ${change.accountId}`);
    if (current.role === change.role) return (await memberView(tx, change.accountId, change.userId))!;
    if (touchesOwner(current.role, change.role) && change.ownerDenied) throw new FailureSignal(change.ownerDenied);
    const refusal = lastOwnerRefusal(members, change.userId, change.role);
    if (refusal) throw new FailureSignal(refusal);
    await setRole(tx, actor, change.accountId, change.userId, current.role, change.role, change.ip, at);
    return change.role === null ? null : (await memberView(tx, change.accountId, change.userId))!;
  });
}

/** Writes one role change (or removal) with its audit entry. */
export async function setRole(tx: Db, actor: Principal, accountId: number, userId: number, from: Role, to: Role | null, ip: string | null, at: Date): Promise<void> {
  const where = and(eq(memberships.accountId, accountId), eq(memberships.userId, userId));
  if (to === null) {
    await tx.delete(memberships).where(where);
    await recordAudit(tx, actor, { action: 'member.removed', accountId, target: `user:${userId}`, data: { role: from }, ip, at });
  } else {
    await tx.update(memberships).set({ role: to }).where(where);
    await recordAudit(tx, actor, { action: 'member.role_changed', accountId, target: `user:${userId}`, data: { from, to }, ip, at });
  }
}
