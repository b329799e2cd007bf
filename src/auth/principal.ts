// Who is calling, and the one place that decides what they may do. Provider keys and
// operators act on every account; members act on their accounts per their role
// (src/auth/permissions.ts); a personal access token narrows its user to its scopes.
import { timingSafeEqual } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { accounts, apiKeys, memberships, users } from '../db/schema.js';
import { type Permission, roleAllows, statusAllows } from './permissions.js';
import type { Failure } from '../shared/result.js';
import { API_KEY_PREFIX, hashSecret } from './api-keys.js';

export type Principal =
  | { kind: 'provider_key'; keyId: number; scope: string }
  | {
      kind: 'user';
      userId: number;
      operator: boolean;
      via: 'session' | 'token';
      /** Set when authenticated by a personal access token: what it may do at most. */
      tokenScopes?: readonly Permission[];
      sessionId?: number;
      tokenId?: number;
      scope: string;
    };

export type ProviderKeyPrincipal = Extract<Principal, { kind: 'provider_key' }>;

/** Provider keys and operators: the provider's side, acting across accounts. */
export function isStaff(principal: Principal): boolean {
  // An operator's personal token carries only its scopes; staff actions need the operator's
  // own session (or a provider key), never a narrowed token.
  return principal.kind === 'provider_key' || (principal.operator && principal.tokenScopes === undefined);
}

/**
 * May this principal do `permission` on the account? Answers a failure to send, or undefined:
 * 404 when the account is not theirs (no one learns it exists), 403 when it is theirs but the
 * role or the token's scopes are too weak.
 */
export async function authorize(db: Db, principal: Principal, permission: Permission | 'staff', accountId: number): Promise<Failure | undefined> {
  if (principal.kind === 'provider_key') return undefined;
  if (principal.operator) return tokenAllows(principal, permission) ? undefined : forbidden(permission);
  const [membership] = await db
    .select({ role: memberships.role, status: accounts.status, requireTwoFactor: accounts.requireTwoFactor, totpEnabledAt: users.totpEnabledAt })
    .from(memberships)
    .innerJoin(accounts, eq(accounts.id, memberships.accountId))
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.accountId, accountId), eq(memberships.userId, principal.userId)));
  if (!membership) return { code: 'not_found', detail: `no account ${accountId}` };
  // The owner requires 2FA of every member: one without it may only enrol (under /v1/me, which
  // never comes here), whatever their role or token.
  if (membership.requireTwoFactor && membership.totpEnabledAt === null) {
    return { code: 'two_factor_required', detail: `account ${accountId} requires two-factor authentication: enrol at /v1/me/two-factor/enrol first`, extra: { account_id: accountId } };
  }
  if (permission === 'staff' || !roleAllows(membership.role, permission) || !tokenAllows(principal, permission)) return forbidden(permission);
  // A blocked or closed account is read only for its members (docs/permissions.md).
  if (!statusAllows(membership.status, permission)) {
    return membership.status === 'blocked'
      ? { code: 'account_blocked', detail: `account ${accountId} is blocked by the provider: it is read only`, extra: { permission } }
      : { code: 'invalid_state', detail: `account ${accountId} is closed: it is read only`, extra: { permission } };
  }
  return undefined;
}

function tokenAllows(principal: Extract<Principal, { kind: 'user' }>, permission: Permission | 'staff'): boolean {
  if (!principal.tokenScopes) return true;
  return permission !== 'staff' && principal.tokenScopes.includes(permission);
}

function forbidden(permission: Permission | 'staff'): Failure {
  return {
    code: 'forbidden',
    detail: permission === 'staff' ? "only the provider's staff may do this" : `this needs the ${permission} permission`,
    extra: { permission },
  };
}

const CACHE_TTL_MS = 5_000;
const LAST_USED_EVERY_MS = 60_000;
const MAX_CACHED = 10_000;
/** The provider key an Authorization header carries, if it carries one. */
const bearerKey = (authorization: string | undefined): string | undefined => {
  const secret = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
  return secret?.startsWith(API_KEY_PREFIX) ? secret : undefined;
};

interface Cached {
  principal: ProviderKeyPrincipal | null;
  checkedAt: number;
  lastUsedWrite: number;
  /** A re-check in flight: callers meanwhile get the answer in memory. */
  refreshing?: Promise<void>;
}

/**
 * Resolves bearer secrets to principals, answering repeated calls from memory (keyed by the
 * secret itself, so a hit costs no hash) and re-checking the database every few seconds so a
 * revocation takes effect everywhere within CACHE_TTL_MS and one round trip. A known key is
 * re-checked in the background: a caller never waits for the database behind a long statement
 * (a billing batch on the embedded database) to be told what it was told a moment ago. An
 * unknown secret is looked up at once, so a key created a moment ago works at once.
 */
export class ApiKeyAuthenticator {
  private cache = new Map<string, Cached>();

  constructor(private db: Db) {}

  async authenticate(authorization: string | undefined, now: Date): Promise<ProviderKeyPrincipal | null> {
    const secret = bearerKey(authorization);
    if (!secret) return null;
    const tick = Date.now();
    let entry = this.cache.get(secret);
    if (!entry || (!entry.principal && tick - entry.checkedAt > CACHE_TTL_MS)) {
      entry = { principal: await this.lookup(secret), checkedAt: tick, lastUsedWrite: entry?.lastUsedWrite ?? 0 };
      if (this.cache.size >= MAX_CACHED) this.cache.clear();
      this.cache.set(secret, entry);
    } else if (tick - entry.checkedAt > CACHE_TTL_MS && !entry.refreshing) {
      const stale = entry;
      stale.refreshing = this.lookup(secret)
        .then((principal) => {
          stale.principal = principal;
          stale.checkedAt = Date.now();
        })
        .catch(() => {}) // the next call after the TTL tries again
        .finally(() => {
          stale.refreshing = undefined;
        });
    }
    return this.used(entry, tick, now);
  }

  /**
   * The key's principal when memory holds a fresh answer for it (checked within CACHE_TTL_MS),
   * without waiting for anything; undefined otherwise, and the caller goes through
   * authenticate(), which looks the key up or re-checks it. For the entitlement checks' hot
   * path (src/entitlements/hot-path.ts).
   */
  fromMemory(authorization: string | undefined, now: Date): ProviderKeyPrincipal | undefined {
    const secret = bearerKey(authorization);
    const entry = secret === undefined ? undefined : this.cache.get(secret);
    const tick = Date.now();
    if (!entry?.principal || tick - entry.checkedAt > CACHE_TTL_MS) return undefined;
    return this.used(entry, tick, now) ?? undefined;
  }

  private used(entry: Cached, tick: number, now: Date): ProviderKeyPrincipal | null {
    const principal = entry.principal;
    if (principal && tick - entry.lastUsedWrite > LAST_USED_EVERY_MS) {
      entry.lastUsedWrite = tick;
      // When a key was last used is for people reading the key list: it never holds a request.
      void this.db.update(apiKeys).set({ lastUsedAt: now }).where(eq(apiKeys.id, principal.keyId)).catch(() => {});
    }
    return principal;
  }

  private async lookup(secret: string): Promise<ProviderKeyPrincipal | null> {
    const hash = hashSecret(secret);
    const [row] = await this.db.select().from(apiKeys).where(eq(apiKeys.keyHash, hash));
    const valid = row && row.revokedAt === null && timingSafeEqual(Buffer.from(row.keyHash), Buffer.from(hash));
    return valid ? { kind: 'provider_key', keyId: row.id, scope: `key:${row.id}` } : null;
  }
}
