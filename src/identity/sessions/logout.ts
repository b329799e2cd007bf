// Signing out here (this session) or everywhere (every session of the user).
import { and, eq, isNull } from 'drizzle-orm';
import { recordAudit } from '../../audit/record.js';
import type { Principal } from '../../auth/principal.js';
import type { Kassa } from '../../context.js';
import type { Db } from '../../db/client.js';
import { personalAccessTokens, sessions } from '../../db/schema.js';
import { revokeSessions } from './create-session.js';

type SessionPrincipal = Extract<Principal, { kind: 'user' }> & { sessionId: number };

/**
 * Personal access tokens are credentials of their own, made for scripts that must not stop
 * when a person signs out: they survive logout, logout-all, a password change, reset or
 * expiry (docs/permissions.md). Logout-all revokes them too when asked (`revokeTokens`), for
 * the day a laptop is lost.
 */
export async function logout(kassa: Kassa, principal: SessionPrincipal, everywhere: boolean, ip: string | null, revokeTokens = false): Promise<{ sessions: number; tokens: number }> {
  const now = kassa.clock.now();
  return kassa.db.transaction(async (t) => {
    const tx = t as unknown as Db;
    const revoked = everywhere
      ? await revokeSessions(tx, principal.userId, now)
      : (await tx.update(sessions).set({ revokedAt: now }).where(and(eq(sessions.id, principal.sessionId), isNull(sessions.revokedAt))).returning({ id: sessions.id })).length;
    const tokens = everywhere && revokeTokens
      ? (await tx.update(personalAccessTokens).set({ revokedAt: now }).where(and(eq(personalAccessTokens.userId, principal.userId), isNull(personalAccessTokens.revokedAt))).returning({ id: personalAccessTokens.id })).length
      : 0;
    await recordAudit(tx, principal, { action: everywhere ? 'logout.all' : 'logout', target: `user:${principal.userId}`, data: { revoked_sessions: revoked, revoked_tokens: tokens }, ip, at: now });
    return { sessions: revoked, tokens };
  });
}
