// An invitation by e-mail (SPEC 1): a single-use link valid for 7 days, mailed in the same
// transaction that records it. Inviting again replaces the earlier pending invitation.
import { and, eq, isNull } from 'drizzle-orm';
import { lockAccount } from '../accounts/lock.js';
import { inTransaction } from '../accounts/transaction.js';
import { recordAudit } from '../audit/record.js';
import type { Principal } from '../auth/principal.js';
import type { Kassa } from '../context.js';
import type { Db } from '../db/client.js';
import { memberships, oneTimeTokens, type Role, users } from '../db/schema.js';
import { queueMail } from '../notifications/queue-mail.js';
import { type Result, abort } from '../shared/result.js';
import { invitationLink, newLinkSecret } from './links.js';
import { type InvitationView, invitationView } from './read.js';
import { INVITATION_TTL_MS, normaliseEmail } from './rules.js';

export interface InviteInput {
  accountId: number;
  email: string;
  role: Role;
  ip: string | null;
}

export async function inviteMember(kassa: Kassa, actor: Principal, input: InviteInput, at: Date): Promise<Result<InvitationView>> {
  const email = normaliseEmail(input.email);
  return inTransaction(kassa.db, async (tx) => {
    const account = await lockAccount(tx, input.accountId);
    if (!account) abort('not_found', `no account ${input.accountId}`);
    const [member] = await tx
      .select({ userId: memberships.userId })
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(and(eq(memberships.accountId, account.id), eq(users.email, email)));
    if (member) abort('already_exists', `${email} is already a member of account ${account.id}`, { field: '/email', extra: { user_id: member.userId } });

    await tx.delete(oneTimeTokens).where(and(eq(oneTimeTokens.purpose, 'invitation'), eq(oneTimeTokens.accountId, account.id), eq(oneTimeTokens.email, email), isNull(oneTimeTokens.usedAt)));
    const { secret, hash } = newLinkSecret();
    const [invitation] = await tx
      .insert(oneTimeTokens)
      .values({ purpose: 'invitation', tokenHash: hash, accountId: account.id, email, data: { role: input.role }, createdAt: at, expiresAt: new Date(at.getTime() + INVITATION_TTL_MS) })
      .returning();
    await queueMail(tx, {
      to: email,
      template: 'invitation',
      data: { account_name: account.name, inviter: await inviterName(tx, actor), role: input.role, link: invitationLink(kassa, secret) },
      accountId: account.id,
      at,
    });
    await recordAudit(tx, actor, { action: 'member.invited', accountId: account.id, target: email, data: { role: input.role, invitation_id: invitation!.id }, ip: input.ip, at });
    return invitationView(invitation!);
  });
}

/** Revokes a pending invitation: its link stops working. */
export async function revokeInvitation(kassa: Kassa, actor: Principal, accountId: number, invitationId: number, ip: string | null, at: Date): Promise<Result<void>> {
  return inTransaction(kassa.db, async (tx) => {
    const [revoked] = await tx
      .delete(oneTimeTokens)
      .where(and(eq(oneTimeTokens.id, invitationId), eq(oneTimeTokens.purpose, 'invitation'), eq(oneTimeTokens.accountId, accountId), isNull(oneTimeTokens.usedAt)))
      .returning();
    if (!revoked) abort('not_found', `no pending invitation ${invitationId}`);
    await recordAudit(tx, actor, { action: 'member.invitation_revoked', accountId, target: revoked.email, data: { invitation_id: invitationId }, ip, at });
  });
}

async function inviterName(tx: Db, actor: Principal): Promise<string> {
  if (actor.kind !== 'user') return 'Your provider';
  const [user] = await tx.select({ name: users.name, email: users.email }).from(users).where(eq(users.id, actor.userId));
  return user?.name || user?.email || 'A colleague';
}
