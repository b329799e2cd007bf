// Accepting an invitation: the signed-in person whose verified address it was sent to joins
// the account with the invited role. The link works once and for 7 days.
import { and, eq, isNull } from 'drizzle-orm';
import { lockAccount } from '../accounts/lock.js';
import { inTransaction } from '../accounts/transaction.js';
import { recordAudit } from '../audit/record.js';
import type { Principal } from '../auth/principal.js';
import type { Kassa } from '../context.js';
import { memberships, oneTimeTokens, type Role, users } from '../db/schema.js';
import { type Result, abort } from '../shared/result.js';
import { hashLinkSecret } from './links.js';
import { type MemberView, memberView } from './read.js';

type UserPrincipal = Extract<Principal, { kind: 'user' }>;

export async function acceptInvitation(kassa: Kassa, actor: UserPrincipal, token: string, ip: string | null, at: Date): Promise<Result<MemberView & { account_id: number }>> {
  return inTransaction(kassa.db, async (tx) => {
    const [invitation] = await tx.select().from(oneTimeTokens).where(and(eq(oneTimeTokens.tokenHash, hashLinkSecret(token)), eq(oneTimeTokens.purpose, 'invitation')));
    if (!invitation || invitation.accountId === null) abort('invitation_invalid', 'this invitation link is not valid');
    if (invitation.usedAt !== null) abort('invitation_invalid', 'this invitation has been used already');
    if (invitation.expiresAt <= at) abort('invitation_invalid', 'this invitation has expired: ask for a new one');
    const [user] = await tx.select().from(users).where(eq(users.id, actor.userId));
    if (!user || user.email !== invitation.email) abort('forbidden', 'this invitation was sent to another address');
    if (user.emailVerifiedAt === null) abort('forbidden', 'verify your e-mail address before accepting an invitation');

    const account = await lockAccount(tx, invitation.accountId);
    if (!account) abort('invitation_invalid', 'the account of this invitation no longer exists');
    if (account.status === 'blocked') abort('account_blocked', `account ${account.id} is blocked by the provider`);
    // Spent first and conditionally: two concurrent accepts cannot both join.
    const spent = await tx.update(oneTimeTokens).set({ usedAt: at, userId: user.id }).where(and(eq(oneTimeTokens.id, invitation.id), isNull(oneTimeTokens.usedAt))).returning({ id: oneTimeTokens.id });
    if (spent.length === 0) abort('invitation_invalid', 'this invitation has been used already');
    const role = invitation.data.role as Role;
    const joined = await tx.insert(memberships).values({ accountId: account.id, userId: user.id, role, createdAt: at }).onConflictDoNothing().returning();
    if (joined.length === 0) abort('already_exists', `you are already a member of account ${account.id}`);
    await recordAudit(tx, actor, { action: 'member.joined', accountId: account.id, target: `user:${user.id}`, data: { role, invitation_id: invitation.id }, ip, at });
    return { account_id: account.id, ...(await memberView(tx, account.id, user.id))! };
  });
}
