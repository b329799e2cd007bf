// Clicking the verification link: the address is proven, the account opens, and the choices
// of the sign-up that mailed this link take effect. Every other verification link dies.
import { and, eq, isNull, sql } from 'drizzle-orm';
import { inTransaction } from '../../accounts/transaction.js';
import { recordAudit } from '../../audit/record.js';
import type { Kassa } from '../../context.js';
import { type Db, query } from '../../db/client.js';
import { users } from '../../db/schema.js';
import { writeOutbox } from '../../outbox/write.js';
import { type Result, abort } from '../../shared/result.js';
import { consumeLink, retireLinks } from './one-time-links.js';
import type { SignUpChoices } from './sign-up.js';

export async function verifyEmail(kassa: Kassa, token: string, ip: string | null): Promise<Result<{ email: string; accountId: number | null }>> {
  const now = kassa.clock.now();
  const verified = await inTransaction(kassa.db, async (tx) => {
    const link = await consumeLink(tx, 'verify_email', token, now);
    if (!link || link.userId === null) return abort('invalid_token', 'this verification link is unknown, used or expired; ask for a new one');
    const choices = link.data as Partial<SignUpChoices>;
    const [user] = await tx
      .update(users)
      .set({
        emailVerifiedAt: now,
        ...(choices.password_hash ? { passwordHash: choices.password_hash, passwordChangedAt: link.createdAt, passwordExpiryNoticeDays: null } : {}),
        ...(choices.name ? { name: choices.name } : {}),
      })
      .where(and(eq(users.id, link.userId), isNull(users.emailVerifiedAt), eq(users.status, 'active')))
      .returning();
    if (!user) return abort('invalid_token', 'this verification link is no longer valid');
    await retireLinks(tx, 'verify_email', user.id, now);
    if (link.accountId !== null) await openAccount(tx, link.accountId, choices, now);
    await recordAudit(tx, { kind: 'user', userId: user.id, operator: user.operator, via: 'session', scope: `user:${user.id}` }, {
      action: 'user.email_verified',
      accountId: link.accountId,
      target: `user:${user.id}`,
      ip,
      at: now,
    });
    return { email: user.email, accountId: link.accountId };
  });
  if (verified.ok && verified.value.accountId !== null) kassa.entitlements.invalidate(verified.value.accountId);
  return verified;
}

/**
 * Activates the pending account under the name chosen with this link; its currency too, as long
 * as no money and no subscription depend on the first one.
 */
async function openAccount(tx: Db, accountId: number, choices: Partial<SignUpChoices>, now: Date) {
  const opened = await query<{ id: number | bigint; name: string; currency: string }>(
    tx,
    sql`update accounts a
           set status = 'active',
               name = coalesce(${choices.account_name ?? null}::text, a.name),
               currency = case
                 when ${choices.currency ?? null}::text is not null
                  and not exists (select 1 from ledger_transactions t where t.account_id = a.id)
                  and not exists (select 1 from subscriptions s where s.account_id = a.id)
                 then ${choices.currency ?? null}::text else a.currency end
         where a.id = ${accountId} and a.status = 'pending_verification'
     returning a.id, a.name, a.currency`,
  );
  for (const account of opened) {
    await writeOutbox(tx, accountId, 'account.updated', { account_id: accountId, status: 'active', previous_status: 'pending_verification', name: account.name, currency: account.currency }, now);
  }
}
