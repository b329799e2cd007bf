// Personal access tokens: a random secret shown once, stored as its SHA-256 (it is
// high-entropy, so a fast hash is enough) with a short recognisable prefix, named, scoped,
// expiring and revocable. Created and revoked only from a signed-in session (routes.ts).
import { randomBytes } from 'node:crypto';
import { and, count, eq, gt, isNull } from 'drizzle-orm';
import { hashSecret } from '../../auth/api-keys.js';
import type { Db } from '../../db/client.js';
import { personalAccessTokens, users } from '../../db/schema.js';
import { type Permission, PERMISSIONS } from '../../auth/permissions.js';
import { PERSONAL_TOKEN_PREFIX } from './authenticate.js';

export type TokenRow = typeof personalAccessTokens.$inferSelect;

export const DEFAULT_EXPIRY_DAYS = 90;
export const MAX_EXPIRY_DAYS = 365;
/** Live (unrevoked, unexpired) tokens one user may hold. */
export const MAX_LIVE_TOKENS = 50;
/** How much of the secret is kept in clear to recognise it: the prefix and 6 random characters. */
export const RECOGNISABLE_CHARS = PERSONAL_TOKEN_PREFIX.length + 6;

const DAY_MS = 24 * 60 * 60 * 1000;

export interface NewToken {
  name: string;
  scopes: readonly Permission[];
  expiresInDays?: number;
}

export function newTokenSecret(): string {
  return PERSONAL_TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/** Inserts the token and answers its row and its secret (the only time the secret exists in clear). */
export async function createPersonalToken(db: Db, userId: number, token: NewToken, now: Date): Promise<{ row: TokenRow; secret: string }> {
  const secret = newTokenSecret();
  // Canonical order, no duplicates: the stored scopes read the same whatever order was sent.
  const scopes = PERMISSIONS.filter((p) => token.scopes.includes(p));
  const [row] = await db
    .insert(personalAccessTokens)
    .values({
      userId,
      name: token.name,
      prefix: secret.slice(0, RECOGNISABLE_CHARS),
      tokenHash: hashSecret(secret),
      scopes,
      createdAt: now,
      expiresAt: new Date(now.getTime() + (token.expiresInDays ?? DEFAULT_EXPIRY_DAYS) * DAY_MS),
    })
    .returning();
  return { row: row!, secret };
}

/** Counts the user's live tokens, locking the user's row so two creations at once cannot both pass a limit. */
export async function countLiveTokens(db: Db, userId: number, now: Date): Promise<number> {
  await db.select({ id: users.id }).from(users).where(eq(users.id, userId)).for('update');
  const [row] = await db
    .select({ n: count() })
    .from(personalAccessTokens)
    .where(and(eq(personalAccessTokens.userId, userId), isNull(personalAccessTokens.revokedAt), gt(personalAccessTokens.expiresAt, now)));
  return row?.n ?? 0;
}

/**
 * Revokes one of the user's tokens. Answers the row (revoked now or before), or undefined when
 * the user has no such token; `revokedNow` tells whether this call did it.
 */
export async function revokePersonalToken(db: Db, userId: number, tokenId: number, now: Date): Promise<{ row: TokenRow; revokedNow: boolean } | undefined> {
  const [revoked] = await db
    .update(personalAccessTokens)
    .set({ revokedAt: now })
    .where(and(eq(personalAccessTokens.id, tokenId), eq(personalAccessTokens.userId, userId), isNull(personalAccessTokens.revokedAt)))
    .returning();
  if (revoked) return { row: revoked, revokedNow: true };
  const [existing] = await db
    .select()
    .from(personalAccessTokens)
    .where(and(eq(personalAccessTokens.id, tokenId), eq(personalAccessTokens.userId, userId)));
  return existing ? { row: existing, revokedNow: false } : undefined;
}

export async function listPersonalTokens(db: Db, userId: number): Promise<TokenRow[]> {
  return db.select().from(personalAccessTokens).where(eq(personalAccessTokens.userId, userId)).orderBy(personalAccessTokens.id);
}
