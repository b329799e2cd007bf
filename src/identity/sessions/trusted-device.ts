// A browser's proof that its user signed in from it before: after every successful login the
// answer sets `kassa_device` (HttpOnly, sent only to /v1/auth), `<user id>.<nonce>.<mac>`
// where the MAC is an HMAC-SHA256 keyed by the user's password hash. Only someone who signed
// in with the password (and the second factor) can hold one; it stops working when the
// password changes or is rehashed, and at the next login it is issued again. It grants nothing
// on its own: it only lets its login attempts count apart from a guesser's (login-slowdown.ts).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kassa } from '../../context.js';
import type { User } from './create-session.js';
import { identitySettings } from './settings.js';

export const DEVICE_COOKIE = 'kassa_device';
const DEVICE_COOKIE_MAX_AGE_S = 365 * 24 * 3600;

function mac(passwordHash: string, userId: number, nonce: string): string {
  return createHmac('sha256', passwordHash).update(`kassa-device:${userId}.${nonce}`).digest('base64url');
}

export function deviceToken(user: Pick<User, 'id' | 'passwordHash'>): string {
  const nonce = randomBytes(16).toString('base64url');
  return `${user.id}.${nonce}.${mac(user.passwordHash!, user.id, nonce)}`;
}

/** The nonce of the request's device cookie when it was issued to this user, else null. */
export function trustedDevice(token: string | undefined, user: Pick<User, 'id' | 'passwordHash'> | undefined): string | null {
  if (!token || !user?.passwordHash) return null;
  const [id, nonce, given, ...rest] = token.split('.');
  if (rest.length > 0 || !nonce || !given || id !== String(user.id)) return null;
  const expected = Buffer.from(mac(user.passwordHash, user.id, nonce));
  const actual = Buffer.from(given);
  return expected.length === actual.length && timingSafeEqual(expected, actual) ? nonce : null;
}

export function deviceCookieOf(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  return header === undefined ? undefined : request.server.parseCookie(header)[DEVICE_COOKIE];
}

export function setDeviceCookie(kassa: Kassa, reply: FastifyReply, token: string): void {
  reply.setCookie(DEVICE_COOKIE, token, {
    httpOnly: true,
    secure: identitySettings(kassa).cookieSecure,
    sameSite: 'strict',
    path: '/v1/auth',
    maxAge: DEVICE_COOKIE_MAX_AGE_S,
  });
}
