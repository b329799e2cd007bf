// "Send me the link again": for an unverified address, a new link carrying the latest sign-up's
// choices; for anything else, nothing. The caller always answers 202.
import { and, desc, eq } from 'drizzle-orm';
import type { Kassa } from '../../context.js';
import type { Db } from '../../db/client.js';
import { oneTimeTokens, users } from '../../db/schema.js';
import { normalizeEmail } from './email.js';
import { type SignUpChoices, sendVerification } from './sign-up.js';

export async function resendVerification(kassa: Kassa, rawEmail: string, ip: string | null): Promise<void> {
  const email = normalizeEmail(rawEmail);
  const now = kassa.clock.now();
  await kassa.db.transaction(async (t) => {
    const tx = t as unknown as Db;
    const [user] = await tx.select().from(users).where(eq(users.email, email)).for('update');
    if (!user || user.emailVerifiedAt !== null || user.status !== 'active') return;
    const [latest] = await tx
      .select({ data: oneTimeTokens.data })
      .from(oneTimeTokens)
      .where(and(eq(oneTimeTokens.userId, user.id), eq(oneTimeTokens.purpose, 'verify_email')))
      .orderBy(desc(oneTimeTokens.id))
      .limit(1);
    const choices = latest && 'password_hash' in latest.data ? (latest.data as unknown as SignUpChoices) : null;
    await sendVerification(kassa, tx, user, choices, 'user.verification_resent', ip, now);
  });
}
