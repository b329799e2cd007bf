// Single-use, expiring links (verification, password reset, expired-password change): the
// mail carries a random 32-byte secret, the table only its SHA-256, so a database leak does not
// hand out working links.
import { createHash, randomBytes } from 'node:crypto';
import { and, eq, gt, isNull } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { oneTimeTokens } from '../../db/schema.js';

export type LinkPurpose = (typeof oneTimeTokens.$inferSelect)['purpose'];
export type OneTimeToken = typeof oneTimeTokens.$inferSelect;

export const HOUR_MS = 3_600_000;

export function randomSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function sha256(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export interface LinkRequest {
  purpose: LinkPurpose;
  email: string;
  userId: number;
  accountId?: number | null;
  data?: Record<string, unknown>;
  at: Date;
  validForMs: number;
}

/** Stores a new link and answers its secret (to mail, never to log). */
export async function issueLink(tx: Db, request: LinkRequest): Promise<string> {
  const secret = randomSecret();
  await tx.insert(oneTimeTokens).values({
    purpose: request.purpose,
    tokenHash: sha256(secret),
    userId: request.userId,
    accountId: request.accountId ?? null,
    email: request.email,
    data: request.data ?? {},
    createdAt: request.at,
    expiresAt: new Date(request.at.getTime() + request.validForMs),
  });
  return secret;
}

/**
 * Spends a link: answers its row when the secret names an unused, unexpired link of this
 * purpose, marking it used in the same statement (so two clicks cannot both succeed).
 * The lookup is by hash, so no secret is ever compared character by character.
 */
export async function consumeLink(tx: Db, purpose: LinkPurpose, secret: string, now: Date): Promise<OneTimeToken | null> {
  if (!/^[A-Za-z0-9_-]{20,100}$/.test(secret)) return null;
  const [row] = await tx
    .update(oneTimeTokens)
    .set({ usedAt: now })
    .where(and(eq(oneTimeTokens.tokenHash, sha256(secret)), eq(oneTimeTokens.purpose, purpose), isNull(oneTimeTokens.usedAt), gt(oneTimeTokens.expiresAt, now)))
    .returning();
  return row ?? null;
}

/** Spends every other open link of the user for this purpose (older reset or verification mails). */
export async function retireLinks(tx: Db, purpose: LinkPurpose, userId: number, now: Date): Promise<void> {
  await tx
    .update(oneTimeTokens)
    .set({ usedAt: now })
    .where(and(eq(oneTimeTokens.userId, userId), eq(oneTimeTokens.purpose, purpose), isNull(oneTimeTokens.usedAt), gt(oneTimeTokens.expiresAt, now)));
}
