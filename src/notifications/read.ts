// Reading the mail queue: what Kassa sent or will send, with the text (secret links included),
// for the provider's staff and for `kassa mail list` when no SMTP server is configured.
import { and, asc, desc, eq, gt, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { mails } from '../db/schema.js';
import { page } from '../shared/pagination.js';

export type MailState = 'pending' | 'sent' | 'failed';

export interface MailFilter {
  limit: number;
  cursor?: string;
  to?: string;
  state?: MailState;
  accountId?: number;
}

export interface MailView {
  id: number;
  account_id: number | null;
  user_id: number | null;
  to: string;
  template: string;
  subject: string;
  text: string;
  state: MailState;
  attempts: number;
  next_attempt_at: string | null;
  last_error: string | null;
  sent_at: string | null;
  created_at: string;
}

function conditions(filter: Omit<MailFilter, 'limit' | 'cursor'>): SQL[] {
  const out: SQL[] = [];
  if (filter.to !== undefined) out.push(sql`lower(${mails.to}) = ${filter.to.trim().toLowerCase()}`);
  if (filter.state !== undefined) out.push(eq(mails.state, filter.state));
  if (filter.accountId !== undefined) out.push(eq(mails.accountId, filter.accountId));
  return out;
}

/** Oldest first, by cursor over ids. */
export async function listMails(db: Db, filter: MailFilter): Promise<{ data: MailView[]; next_cursor: string | null }> {
  const where = conditions(filter);
  if (filter.cursor !== undefined) where.push(gt(mails.id, Number(filter.cursor)));
  const rows = await db.select().from(mails).where(and(...where)).orderBy(asc(mails.id)).limit(filter.limit + 1);
  const listed = page(rows, filter.limit);
  return { data: listed.data.map(view), next_cursor: listed.next_cursor };
}

/** The newest `limit` mails, oldest of them first (the CLI's view). */
export async function latestMails(db: Db, filter: Omit<MailFilter, 'cursor'>): Promise<MailView[]> {
  const rows = await db.select().from(mails).where(and(...conditions(filter))).orderBy(desc(mails.id)).limit(filter.limit);
  return rows.reverse().map(view);
}

function view(m: typeof mails.$inferSelect): MailView {
  return {
    id: m.id,
    account_id: m.accountId,
    user_id: m.userId,
    to: m.to,
    template: m.template,
    subject: m.subject,
    text: m.text,
    state: m.state,
    attempts: m.attempts,
    next_attempt_at: m.state === 'pending' ? m.nextAttemptAt.toISOString() : null,
    last_error: m.lastError,
    sent_at: m.sentAt?.toISOString() ?? null,
    created_at: m.createdAt.toISOString(),
  };
}
