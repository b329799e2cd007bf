// Login sessions from the `kassa_session` cookie. A write (anything but GET, HEAD, OPTIONS)
// must also carry the session's CSRF token in `x-csrf-token`: a cookie alone is what another
// site's form would send.
import { timingSafeEqual } from 'node:crypto';
import { and, eq, lt } from 'drizzle-orm';
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../../auth/principal.js';
import type { Kassa } from '../../context.js';
import { sessions, users } from '../../db/schema.js';
import { type Result, fail, ok } from '../../shared/result.js';
import { HOUR_MS, sha256 } from '../signup/one-time-links.js';

export const SESSION_COOKIE = 'kassa_session';
export const CSRF_HEADER = 'x-csrf-token';

/** A session unused this long ends (and every session ends SESSION_ABSOLUTE_MS after login). */
export const SESSION_IDLE_MS = 12 * HOUR_MS;
const LAST_SEEN_EVERY_MS = 60_000;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

const expired = () => fail('unauthorized', 'your session has ended; sign in again');

/** null when the request carries no session; a failure when it carries a bad one (or no CSRF token on a write). */
export async function authenticateSession(kassa: Kassa, request: FastifyRequest, now: Date): Promise<Result<Principal> | null> {
  // Parsed here, not in a global hook: bearer callers (the hot path) never pay for it.
  const header = request.headers.cookie;
  const secret = header === undefined ? undefined : request.server.parseCookie(header)[SESSION_COOKIE];
  if (secret === undefined || secret === '') return null;
  if (!/^[A-Za-z0-9_-]{20,100}$/.test(secret)) return expired();
  const [row] = await kassa.db
    .select({ session: sessions, user: { id: users.id, operator: users.operator, status: users.status, emailVerifiedAt: users.emailVerifiedAt } })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(eq(sessions.tokenHash, sha256(secret)));
  if (!row) return expired();
  const { session, user } = row;
  const live =
    session.revokedAt === null &&
    session.expiresAt.getTime() > now.getTime() &&
    session.lastSeenAt.getTime() + SESSION_IDLE_MS > now.getTime() &&
    user.status === 'active' &&
    user.emailVerifiedAt !== null;
  if (!live) return expired();
  if (!SAFE_METHODS.has(request.method) && !csrfMatches(request.headers[CSRF_HEADER], session.csrfTokenHash)) {
    return fail('csrf_failed', `a write with the session cookie needs the session's CSRF token in the ${CSRF_HEADER} header`);
  }
  if (now.getTime() - session.lastSeenAt.getTime() >= LAST_SEEN_EVERY_MS) {
    await kassa.db
      .update(sessions)
      .set({ lastSeenAt: now })
      .where(and(eq(sessions.id, session.id), lt(sessions.lastSeenAt, new Date(now.getTime() - LAST_SEEN_EVERY_MS + 1))));
  }
  return ok({ kind: 'user', via: 'session', operator: user.operator, userId: user.id, sessionId: session.id, scope: `user:${user.id}` });
}

function csrfMatches(header: string | string[] | undefined, storedHash: string): boolean {
  if (typeof header !== 'string' || header === '') return false;
  return timingSafeEqual(Buffer.from(sha256(header), 'hex'), Buffer.from(storedHash, 'hex'));
}
