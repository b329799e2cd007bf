// Personal access tokens as bearer secrets, on the same API provider keys use. A token acts
// as its user narrowed to its scopes (src/auth/principal.ts authorize); it stops working when
// it expires, is revoked, or its user is disabled or unverified.
import { timingSafeEqual } from 'node:crypto';
import { and, eq, isNull, lt, or } from 'drizzle-orm';
import { hashSecret } from '../../auth/api-keys.js';
import type { Principal } from '../../auth/principal.js';
import type { Kassa } from '../../context.js';
import { personalAccessTokens, users } from '../../db/schema.js';
import { type Permission, isPermission } from '../../auth/permissions.js';

export const PERSONAL_TOKEN_PREFIX = 'kassa_pat_';

/** A cached answer is re-checked against the database after this long (wall-clock), so a
 *  revocation, a disabled user or a deleted token takes effect everywhere within it. */
const CACHE_TTL_MS = 5_000;
/** last_used_at is written at most once per this interval (of the injected clock) per token. */
const LAST_USED_EVERY_MS = 60_000;
const MAX_CACHED = 10_000;
/** Longer "secrets" are not tokens: no hashing of megabytes. */
const MAX_SECRET_LENGTH = 128;

type UserPrincipal = Extract<Principal, { kind: 'user' }>;

interface Cached {
  principal: UserPrincipal | null;
  expiresAt: number;
  lastUsedAt: number | null;
  checkedAt: number;
}

// One cache per running Kassa (tests start several in one process), keyed by the token's
// hash so no secret is kept in memory.
const caches = new WeakMap<Kassa, Map<string, Cached>>();

function cacheOf(kassa: Kassa): Map<string, Cached> {
  let cache = caches.get(kassa);
  if (!cache) caches.set(kassa, (cache = new Map()));
  return cache;
}

export async function authenticatePersonalToken(kassa: Kassa, secret: string, now: Date): Promise<Principal | null> {
  if (!secret.startsWith(PERSONAL_TOKEN_PREFIX) || secret.length > MAX_SECRET_LENGTH) return null;
  const hash = hashSecret(secret);
  const cache = cacheOf(kassa);
  const tick = Date.now();
  let entry = cache.get(hash);
  if (!entry || tick - entry.checkedAt > CACHE_TTL_MS) {
    entry = await lookup(kassa, hash, tick);
    if (cache.size >= MAX_CACHED) cache.clear();
    cache.set(hash, entry);
  }
  const { principal } = entry;
  if (!principal || now.getTime() >= entry.expiresAt) return null;
  if (entry.lastUsedAt === null || now.getTime() - entry.lastUsedAt >= LAST_USED_EVERY_MS) {
    entry.lastUsedAt = now.getTime();
    const since = new Date(now.getTime() - LAST_USED_EVERY_MS);
    // Conditional, so several processes sharing one database also write about once a minute.
    await kassa.db
      .update(personalAccessTokens)
      .set({ lastUsedAt: now })
      .where(and(eq(personalAccessTokens.id, principal.tokenId!), or(isNull(personalAccessTokens.lastUsedAt), lt(personalAccessTokens.lastUsedAt, since))));
  }
  return principal;
}

async function lookup(kassa: Kassa, hash: string, tick: number): Promise<Cached> {
  const [row] = await kassa.db
    .select({
      id: personalAccessTokens.id,
      tokenHash: personalAccessTokens.tokenHash,
      scopes: personalAccessTokens.scopes,
      expiresAt: personalAccessTokens.expiresAt,
      lastUsedAt: personalAccessTokens.lastUsedAt,
      revokedAt: personalAccessTokens.revokedAt,
      userId: users.id,
      operator: users.operator,
      status: users.status,
      emailVerifiedAt: users.emailVerifiedAt,
    })
    .from(personalAccessTokens)
    .innerJoin(users, eq(users.id, personalAccessTokens.userId))
    .where(eq(personalAccessTokens.tokenHash, hash));
  const valid =
    row !== undefined &&
    row.revokedAt === null &&
    row.status === 'active' &&
    row.emailVerifiedAt !== null &&
    timingSafeEqual(Buffer.from(row.tokenHash), Buffer.from(hash));
  if (!valid) return { principal: null, expiresAt: 0, lastUsedAt: null, checkedAt: tick };
  const scopes: Permission[] = row.scopes.filter(isPermission);
  return {
    principal: { kind: 'user', via: 'token', userId: row.userId, operator: row.operator, tokenScopes: scopes, tokenId: row.id, scope: `token:${row.id}` },
    expiresAt: row.expiresAt.getTime(),
    lastUsedAt: row.lastUsedAt?.getTime() ?? null,
    checkedAt: tick,
  };
}

/**
 * Drops cached token answers so the next request re-reads the database: after a revocation
 * here, or when a user is disabled or removed (call it with no user to drop everything).
 */
export function forgetPersonalTokens(kassa: Kassa, userId?: number): void {
  const cache = caches.get(kassa);
  if (!cache) return;
  if (userId === undefined) return cache.clear();
  for (const [hash, entry] of cache) if (entry.principal?.userId === userId) cache.delete(hash);
}
