// Who is calling: a provider API key or a personal access token as a bearer secret, or a
// login session cookie (with its CSRF header on writes). One place, one order.
import type { FastifyRequest } from 'fastify';
import { API_KEY_PREFIX } from '../auth/api-keys.js';
import type { Principal } from '../auth/principal.js';
import type { Kassa } from '../context.js';
import { type Result, fail, ok } from '../shared/result.js';
import { authenticateSession } from './sessions/authenticate.js';
import { PERSONAL_TOKEN_PREFIX, authenticatePersonalToken } from './tokens/authenticate.js';

const unauthorized = () => fail('unauthorized', 'send a provider key or personal access token as `Authorization: Bearer ...`, or sign in');

export async function authenticateRequest(kassa: Kassa, request: FastifyRequest): Promise<Result<Principal>> {
  const now = kassa.clock.now();
  const authorization = request.headers.authorization;
  if (authorization !== undefined) {
    const secret = /^Bearer (\S+)$/.exec(authorization)?.[1] ?? '';
    const principal = secret.startsWith(API_KEY_PREFIX)
      ? await kassa.auth.authenticate(authorization, now)
      : secret.startsWith(PERSONAL_TOKEN_PREFIX)
        ? await authenticatePersonalToken(kassa, secret, now)
        : null;
    return principal ? ok(principal) : unauthorized();
  }
  const session = await authenticateSession(kassa, request, now);
  if (session === null) return unauthorized();
  return session;
}
