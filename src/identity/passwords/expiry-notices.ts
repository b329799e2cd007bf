// The password-expiry heads-ups: a job, run by the scheduler on the real clock and by every
// simulated-clock advance, that mails each user whose password expires within 14, 7 or 1 days
// the most urgent notice due, once per password (users.password_expiry_notice_days records
// it; a password change clears it). Set-based: one statement finds and marks the users.
import { sql } from 'drizzle-orm';
import type { Kassa } from '../../context.js';
import { type Db, query, toDate } from '../../db/client.js';
import { queueMail } from '../../notifications/queue-mail.js';
import { publicLink } from '../signup/links.js';
import { identitySettings } from '../sessions/settings.js';
import { NOTICE_DAYS } from './expiry.js';

export interface ExpiryNotice {
  userId: number;
  email: string;
  days: number;
  expiresAt: Date;
}

export async function sendPasswordExpiryNotices(kassa: Kassa, now: Date): Promise<ExpiryNotice[]> {
  const maxAgeDays = identitySettings(kassa).passwordMaxAgeDays;
  if (maxAgeDays <= 0) return [];
  const at = now.toISOString();
  const days = sql.raw(NOTICE_DAYS.join(','));
  const furthest = Math.max(...NOTICE_DAYS);
  return kassa.db.transaction(async (t) => {
    const tx = t as unknown as Db;
    const rows = await query<{ id: number | bigint; email: string; days: number; expires_at: Date | string }>(
      tx,
      sql`with expiring as (
            select u.id, u.password_changed_at + make_interval(days => ${maxAgeDays}::int) as expires_at
              from users u
             where u.status = 'active' and u.email_verified_at is not null and u.password_changed_at is not null
               and u.password_changed_at + make_interval(days => ${maxAgeDays}::int) > ${at}::timestamptz
               and u.password_changed_at + make_interval(days => ${maxAgeDays - furthest}::int) <= ${at}::timestamptz
          ), due as (
            select e.id, e.expires_at,
                   (select min(d) from unnest(array[${days}]) d where e.expires_at - make_interval(days => d) <= ${at}::timestamptz) as days
              from expiring e
          )
          update users u
             set password_expiry_notice_days = due.days
            from due
           where u.id = due.id and due.days is not null
             and (u.password_expiry_notice_days is null or u.password_expiry_notice_days > due.days)
       returning u.id, u.email, due.days, due.expires_at`,
    );
    const notices = rows.map((r) => ({ userId: Number(r.id), email: r.email, days: Number(r.days), expiresAt: toDate(r.expires_at) }));
    for (const notice of notices) {
      await queueMail(tx, {
        to: notice.email,
        template: 'password_expiry_notice',
        data: { days: notice.days, expires_on: notice.expiresAt.toISOString().slice(0, 10), link: publicLink(kassa, '/change-password') },
        userId: notice.userId,
        at: now,
      });
    }
    return notices;
  });
}
