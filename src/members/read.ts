// Who is in an account, and the pending invitations: plain reads.
import { and, asc, eq, gt, isNull } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { memberships, oneTimeTokens, users } from '../db/schema.js';
import type { MemberRole } from './rules.js';

export interface MemberView {
  user_id: number;
  email: string;
  name: string;
  role: MemberRole['role'];
  two_factor_enabled: boolean;
  joined_at: string;
}

export async function listMembers(db: Db, accountId: number): Promise<MemberView[]> {
  const rows = await db
    .select({ userId: memberships.userId, role: memberships.role, joinedAt: memberships.createdAt, email: users.email, name: users.name, totpEnabledAt: users.totpEnabledAt })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(eq(memberships.accountId, accountId))
    .orderBy(asc(memberships.createdAt), asc(memberships.userId));
  return rows.map((r) => ({ user_id: r.userId, email: r.email, name: r.name, role: r.role, two_factor_enabled: r.totpEnabledAt !== null, joined_at: r.joinedAt.toISOString() }));
}

export async function memberView(db: Db, accountId: number, userId: number): Promise<MemberView | undefined> {
  return (await listMembers(db, accountId)).find((m) => m.user_id === userId);
}

/** Every member's role, for the last-owner rule; read under the account's lock. */
export async function memberRoles(tx: Db, accountId: number): Promise<MemberRole[]> {
  return tx.select({ userId: memberships.userId, role: memberships.role }).from(memberships).where(eq(memberships.accountId, accountId));
}

export interface InvitationView {
  id: number;
  email: string;
  role: MemberRole['role'];
  created_at: string;
  expires_at: string;
}

export function invitationView(row: typeof oneTimeTokens.$inferSelect): InvitationView {
  return { id: row.id, email: row.email, role: row.data.role as MemberRole['role'], created_at: row.createdAt.toISOString(), expires_at: row.expiresAt.toISOString() };
}

export async function pendingInvitations(db: Db, accountId: number, at: Date): Promise<InvitationView[]> {
  const rows = await db
    .select()
    .from(oneTimeTokens)
    .where(and(eq(oneTimeTokens.purpose, 'invitation'), eq(oneTimeTokens.accountId, accountId), isNull(oneTimeTokens.usedAt), gt(oneTimeTokens.expiresAt, at)))
    .orderBy(asc(oneTimeTokens.id));
  return rows.map(invitationView);
}
