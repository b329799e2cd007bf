// Login sessions from the `kassa_session` cookie (implemented with the identity work).
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../../auth/principal.js';
import type { Kassa } from '../../context.js';
import type { Result } from '../../shared/result.js';

export const SESSION_COOKIE = 'kassa_session';

/** null when the request carries no session; a failure when it carries a bad one (or no CSRF token on a write). */
export async function authenticateSession(_kassa: Kassa, _request: FastifyRequest, _now: Date): Promise<Result<Principal> | null> {
  return null;
}
