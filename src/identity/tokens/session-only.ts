// The caller's own security settings (/v1/me/tokens, /v1/me/two-factor) are managed by the
// person, signed in: never with a provider key, nor with a personal access token (a leaked
// token must not mint more tokens or switch 2FA off).
import type { Principal } from '../../auth/principal.js';
import { type Result, fail, ok } from '../../shared/result.js';

export type SessionUser = Extract<Principal, { kind: 'user' }>;

export function sessionUser(principal: Principal): Result<SessionUser> {
  if (principal.kind !== 'user' || principal.via !== 'session') {
    return fail('forbidden', 'this is managed by a signed-in person: provider keys and personal access tokens may not call it');
  }
  return ok(principal);
}
