// A login session: a random secret in an HttpOnly cookie and a CSRF token the page echoes in a
// header on writes; the table holds only their hashes. Sessions end after 12 idle hours or 7
// days, whichever comes first, or when revoked.
import type { FastifyReply } from 'fastify';
import { and, eq, isNull, ne } from 'drizzle-orm';
import type { Principal } from '../../auth/principal.js';
import type { Kassa } from '../../context.js';
import type { Db } from '../../db/client.js';
import { sessions, type users } from '../../db/schema.js';
import { HOUR_MS, randomSecret, sha256 } from '../signup/one-time-links.js';
import { SESSION_COOKIE } from './authenticate.js';

export { SESSION_IDLE_MS } from './authenticate.js';
import { identitySettings } from './settings.js';

export const SESSION_ABSOLUTE_MS = 7 * 24 * HOUR_MS;

export type User = typeof users.$inferSelect;

export interface Client {
  ip: string | null;
  userAgent: string | null;
}

export interface NewSession {
  id: number;
  secret: string;
  csrfToken: string;
  expiresAt: Date;
}

export async function createSession(tx: Db, user: User, now: Date, client: Client): Promise<NewSession> {
  const secret = randomSecret();
  const csrfToken = randomSecret();
  const [row] = await tx
    .insert(sessions)
    .values({
      userId: user.id,
      tokenHash: sha256(secret),
      csrfTokenHash: sha256(csrfToken),
      createdAt: now,
      expiresAt: new Date(now.getTime() + SESSION_ABSOLUTE_MS),
      lastSeenAt: now,
      ip: client.ip,
      userAgent: client.userAgent?.slice(0, 500) ?? null,
    })
    .returning({ id: sessions.id });
  return { id: row!.id, secret, csrfToken, expiresAt: new Date(now.getTime() + SESSION_ABSOLUTE_MS) };
}

/** Ends every open session of the user (but `keep`, when changing one's own password). Answers how many. */
export async function revokeSessions(tx: Db, userId: number, now: Date, keep?: number): Promise<number> {
  const revoked = await tx
    .update(sessions)
    .set({ revokedAt: now })
    .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), keep === undefined ? undefined : ne(sessions.id, keep)))
    .returning({ id: sessions.id });
  return revoked.length;
}

export function setSessionCookie(kassa: Kassa, reply: FastifyReply, secret: string): void {
  reply.setCookie(SESSION_COOKIE, secret, {
    httpOnly: true,
    secure: identitySettings(kassa).cookieSecure,
    sameSite: 'lax',
    path: '/',
    maxAge: SESSION_ABSOLUTE_MS / 1000,
  });
}

export function clearSessionCookie(kassa: Kassa, reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { httpOnly: true, secure: identitySettings(kassa).cookieSecure, sameSite: 'lax', path: '/' });
}

/** The user as the actor of an audit entry (a login has no principal yet). */
export function userActor(user: User, sessionId?: number): Extract<Principal, { kind: 'user' }> {
  return { kind: 'user', userId: user.id, operator: user.operator, via: 'session', sessionId, scope: `user:${user.id}` };
}
