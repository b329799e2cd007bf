// Provider API keys: random secrets shown once, stored as SHA-256 (they are high-entropy,
// so a fast hash is enough), revocable, recognisable by their prefix.
import { createHash, randomBytes } from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { apiKeys } from '../db/schema.js';

export const API_KEY_PREFIX = 'kassa_sk_';

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export async function createApiKey(db: Db, name: string, now: Date): Promise<{ id: number; name: string; secret: string }> {
  const secret = API_KEY_PREFIX + randomBytes(24).toString('base64url');
  const [row] = await db
    .insert(apiKeys)
    .values({ name, prefix: secret.slice(0, API_KEY_PREFIX.length + 6), keyHash: hashSecret(secret), createdAt: now })
    .returning({ id: apiKeys.id });
  return { id: row!.id, name, secret };
}

/** Revokes a key once: a second revocation keeps the first one's time and says when it was. */
export async function revokeApiKey(db: Db, id: number, now: Date): Promise<{ revoked: 'now' | 'already'; at: Date } | undefined> {
  const [revoked] = await db.update(apiKeys).set({ revokedAt: now }).where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt))).returning({ at: apiKeys.revokedAt });
  if (revoked) return { revoked: 'now', at: revoked.at! };
  const [key] = await db.select({ at: apiKeys.revokedAt }).from(apiKeys).where(eq(apiKeys.id, id));
  return key ? { revoked: 'already', at: key.at! } : undefined;
}

export async function listApiKeys(db: Db) {
  return db
    .select({ id: apiKeys.id, name: apiKeys.name, prefix: apiKeys.prefix, createdAt: apiKeys.createdAt, lastUsedAt: apiKeys.lastUsedAt, revokedAt: apiKeys.revokedAt })
    .from(apiKeys)
    .orderBy(apiKeys.id);
}
