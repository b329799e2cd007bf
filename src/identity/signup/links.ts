// The links Kassa mails for identity, absolute from the public URL; and a per-address cap on
// how many go out, so a sign-up or reset form cannot be used to flood someone's mailbox.
import { and, count, eq, gt } from 'drizzle-orm';
import type { Kassa } from '../../context.js';
import type { Db } from '../../db/client.js';
import { oneTimeTokens } from '../../db/schema.js';
import { identitySettings } from '../sessions/settings.js';
import { HOUR_MS, type LinkPurpose } from './one-time-links.js';

export const MAX_LINKS_PER_ADDRESS_PER_HOUR = 5;

export function publicLink(kassa: Kassa, path: string, token?: string): string {
  const base = identitySettings(kassa).publicUrl;
  return token === undefined ? `${base}${path}` : `${base}${path}?token=${encodeURIComponent(token)}`;
}

/** True when this user was mailed enough links of this purpose in the last hour. */
export async function mailedTooOften(tx: Db, purpose: LinkPurpose, userId: number, now: Date): Promise<boolean> {
  const [row] = await tx
    .select({ n: count() })
    .from(oneTimeTokens)
    .where(and(eq(oneTimeTokens.userId, userId), eq(oneTimeTokens.purpose, purpose), gt(oneTimeTokens.createdAt, new Date(now.getTime() - HOUR_MS))));
  return (row?.n ?? 0) >= MAX_LINKS_PER_ADDRESS_PER_HOUR;
}
