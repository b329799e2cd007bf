// Changing a password knowing the current one (signed in), or with the short-lived token a
// login hands out once the password has expired. Either way, other sessions end.
import { eq } from 'drizzle-orm';
import { inTransaction } from '../../accounts/transaction.js';
import { recordAudit } from '../../audit/record.js';
import type { Kassa } from '../../context.js';
import { users } from '../../db/schema.js';
import { type Result, abort } from '../../shared/result.js';
import { type Client, type NewSession, type User, createSession, revokeSessions, userActor } from '../sessions/create-session.js';
import { consumeLink, retireLinks } from '../signup/one-time-links.js';
import { verifyPassword } from './hash.js';
import { replacePassword } from './set-password.js';

export async function changePassword(kassa: Kassa, userId: number, sessionId: number, current: string, newPassword: string, client: Client): Promise<Result<{ revokedSessions: number }>> {
  const now = kassa.clock.now();
  return inTransaction(kassa.db, async (tx) => {
    const [user] = await tx.select().from(users).where(eq(users.id, userId)).for('update');
    if (!user?.passwordHash || !(await verifyPassword(current, user.passwordHash))) {
      return abort('invalid_credentials', 'the current password is not right', { field: '/current_password' });
    }
    await replacePassword(tx, user, newPassword, now);
    await retireLinks(tx, 'change_expired_password', user.id, now);
    const revokedSessions = await revokeSessions(tx, user.id, now, sessionId);
    await recordAudit(tx, userActor(user, sessionId), { action: 'password.changed', target: `user:${user.id}`, data: { revoked_sessions: revokedSessions }, ip: client.ip, at: now });
    return { revokedSessions };
  });
}

/** The forced change after expiry: spends the token, sets the password and signs the user in. */
export async function changeExpiredPassword(kassa: Kassa, token: string, newPassword: string, client: Client): Promise<Result<{ user: User; session: NewSession }>> {
  const now = kassa.clock.now();
  return inTransaction(kassa.db, async (tx) => {
    const link = await consumeLink(tx, 'change_expired_password', token, now);
    if (!link || link.userId === null) return abort('invalid_token', 'this password-change token is unknown, used or expired; sign in again');
    const [user] = await tx.select().from(users).where(eq(users.id, link.userId)).for('update');
    if (!user || user.status !== 'active') return abort('invalid_token', 'this password-change token is no longer valid');
    await replacePassword(tx, user, newPassword, now);
    await revokeSessions(tx, user.id, now);
    const session = await createSession(tx, user, now, client);
    await recordAudit(tx, userActor(user, session.id), { action: 'password.changed', target: `user:${user.id}`, data: { reason: 'expired' }, ip: client.ip, at: now });
    await recordAudit(tx, userActor(user, session.id), { action: 'login.succeeded', target: `user:${user.id}`, data: { session_id: session.id }, ip: client.ip, at: now });
    const [fresh] = await tx.select().from(users).where(eq(users.id, user.id));
    return { user: fresh!, session };
  });
}
