// Signing out here (this session) or everywhere (every session of the user).
import { and, eq, isNull } from 'drizzle-orm';
import { recordAudit } from '../../audit/record.js';
import type { Principal } from '../../auth/principal.js';
import type { Kassa } from '../../context.js';
import type { Db } from '../../db/client.js';
import { sessions } from '../../db/schema.js';
import { revokeSessions } from './create-session.js';

type SessionPrincipal = Extract<Principal, { kind: 'user' }> & { sessionId: number };

export async function logout(kassa: Kassa, principal: SessionPrincipal, everywhere: boolean, ip: string | null): Promise<number> {
  const now = kassa.clock.now();
  return kassa.db.transaction(async (t) => {
    const tx = t as unknown as Db;
    const revoked = everywhere
      ? await revokeSessions(tx, principal.userId, now)
      : (await tx.update(sessions).set({ revokedAt: now }).where(and(eq(sessions.id, principal.sessionId), isNull(sessions.revokedAt))).returning({ id: sessions.id })).length;
    await recordAudit(tx, principal, { action: everywhere ? 'logout.all' : 'logout', target: `user:${principal.userId}`, data: { revoked_sessions: revoked }, ip, at: now });
    return revoked;
  });
}
