// Forgotten password: a single-use link valid one hour, mailed only to a verified, active
// address (the caller answers 202 either way); confirming it sets the new password and ends
// every session of the user, wherever they were signed in.
import { eq } from 'drizzle-orm';
import { inTransaction } from '../../accounts/transaction.js';
import { recordAudit } from '../../audit/record.js';
import type { Kassa } from '../../context.js';
import type { Db } from '../../db/client.js';
import { users } from '../../db/schema.js';
import { queueMail } from '../../notifications/queue-mail.js';
import { type Result, abort } from '../../shared/result.js';
import { revokeSessions, userActor } from '../sessions/create-session.js';
import { clearWrongPasswords } from '../sessions/login-slowdown.js';
import { normalizeEmail } from '../signup/email.js';
import { mailedTooOften, publicLink } from '../signup/links.js';
import { HOUR_MS, consumeLink, issueLink, retireLinks } from '../signup/one-time-links.js';
import { replacePassword } from './set-password.js';

export const RESET_LINK_VALID_MS = HOUR_MS;

export async function requestPasswordReset(kassa: Kassa, rawEmail: string, ip: string | null): Promise<void> {
  const email = normalizeEmail(rawEmail);
  const now = kassa.clock.now();
  await kassa.db.transaction(async (t) => {
    const tx = t as unknown as Db;
    const [user] = await tx.select().from(users).where(eq(users.email, email));
    if (!user || user.status !== 'active' || user.emailVerifiedAt === null) return;
    if (await mailedTooOften(tx, 'reset_password', user.id, now)) return;
    const token = await issueLink(tx, { purpose: 'reset_password', email, userId: user.id, at: now, validForMs: RESET_LINK_VALID_MS });
    await queueMail(tx, { to: email, template: 'reset_password', data: { link: publicLink(kassa, '/reset-password', token) }, userId: user.id, at: now });
    await recordAudit(tx, { kind: 'anonymous' }, { action: 'password.reset_requested', target: `user:${user.id}`, ip, at: now });
  });
}

export async function confirmPasswordReset(kassa: Kassa, token: string, newPassword: string, ip: string | null): Promise<Result<{ revokedSessions: number }>> {
  const now = kassa.clock.now();
  const reset = await inTransaction(kassa.db, async (tx) => {
    const link = await consumeLink(tx, 'reset_password', token, now);
    if (!link || link.userId === null) return abort('invalid_token', 'this reset link is unknown, used or expired; ask for a new one');
    const [user] = await tx.select().from(users).where(eq(users.id, link.userId)).for('update');
    if (!user || user.status !== 'active') return abort('invalid_token', 'this reset link is no longer valid');
    await replacePassword(tx, user, newPassword, now);
    await retireLinks(tx, 'reset_password', user.id, now);
    await retireLinks(tx, 'change_expired_password', user.id, now);
    const revokedSessions = await revokeSessions(tx, user.id, now);
    await recordAudit(tx, userActor(user), { action: 'password.reset', target: `user:${user.id}`, data: { revoked_sessions: revokedSessions }, ip, at: now });
    return { revokedSessions, email: user.email };
  });
  if (!reset.ok) return reset;
  // The owner proved they read the address's mail: a guesser's wrong passwords no longer slow them.
  await clearWrongPasswords(kassa, { email: reset.value.email });
  return { ok: true, value: { revokedSessions: reset.value.revokedSessions } };
}
