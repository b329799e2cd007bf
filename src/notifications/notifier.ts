// Turns outbox events into notice mails (SPEC 10): a low balance, a suspended subscription, an
// object count over its plan's limit, and a top-up's steps (bank-transfer instructions, money received, failed, expired) are mailed to the account's billing addresses and its owners, once per event. The event is
// marked (mail_notices) in the same transaction that queues its mails, so a crash, a retry or a
// second worker never mails it twice, and a failure before commit leaves it to the next pass.
import { and, asc, eq, gt, inArray, sql } from 'drizzle-orm';
import type { Kassa } from '../context.js';
import type { Db } from '../db/client.js';
import { accountBillingDetails, accounts, documents, mailNotices, mailNotifierState, memberships, outbox, users } from '../db/schema.js';
import { formatMinor, isCurrency } from '../money/money.js';
import { queueMail } from './queue-mail.js';
import type { MailTemplate } from './templates.js';

/** The outbox topics that become mails, and the template each one uses. */
export const noticeTemplates: Record<string, MailTemplate> = {
  'balance.low': 'low_balance',
  'subscription.suspended': 'subscription_suspended',
  'top_up.requested': 'bank_transfer_instructions',
  'top_up.received': 'top_up_received',
  'top_up.succeeded': 'top_up_received',
  'top_up.failed': 'top_up_failed',
  'top_up.expired': 'top_up_expired',
  'top_up.refunded': 'refund_issued',
  // Told to the provider's operators, not to the customer.
  'top_up.disputed': 'dispute_opened',
  'auto_top_up.succeeded': 'auto_top_up_done',
  'auto_top_up.failed': 'auto_top_up_failed',
  'auto_top_up.paused': 'auto_top_up_paused',
  'auto_top_up.capped': 'auto_top_up_capped',
  'object_count.over_limit': 'over_limit',
  'usage.funds_exhausted': 'funds_exhausted',
  'usage.over_limit': 'over_limit',
  'grant.expiring': 'grant_expiring',
  'budget.threshold_crossed': 'budget_threshold',
  'budget.reached': 'budget_reached',
  // An invoice, credit note or receipt, with its PDF; a pro-forma's details are the bank-transfer mail's.
  'document.issued': 'document_issued',
  // The provider's own: an endpoint Kassa stopped sending to.
  'webhook_endpoint.disabled': 'webhook_endpoint_disabled',
};

/** Topics whose mail goes to the provider's operators rather than to the account. */
const OPERATOR_TOPICS = new Set(['top_up.disputed', 'webhook_endpoint.disabled']);

const NOTICE_TOPICS = Object.keys(noticeTemplates);
const EVENTS_PER_PASS = 200;

export interface NoticePass {
  /** Events turned into mails in this pass. */
  events: number;
  /** Mails queued for them. */
  mails: number;
  /** Every notice event visible at or below this id has been mailed (see `settleNotices`). */
  completeThrough: number;
}

/**
 * One pass: every notice event above the settled mark that has no mail_notices row yet gets
 * its mails queued. Events are read by id; an event committed late with a lower id is still
 * found, because the scan starts at the settled mark, not at the last id processed.
 */
export async function queueNotices(kassa: Kassa, now: Date): Promise<NoticePass> {
  const settled = await settledOutboxId(kassa.db);
  const [top] = await kassa.db.select({ max: sql<number | bigint | null>`max(${outbox.id})` }).from(outbox);
  const maxOutboxId = top?.max == null ? 0 : Number(top.max);
  const pass: NoticePass = { events: 0, mails: 0, completeThrough: settled };
  const due = await kassa.db
    .select({ id: outbox.id })
    .from(outbox)
    .where(
      and(
        gt(outbox.id, settled),
        inArray(outbox.topic, NOTICE_TOPICS),
        sql`not exists (select 1 from ${mailNotices} n where n.outbox_id = ${outbox.id})`,
      ),
    )
    .orderBy(asc(outbox.id))
    .limit(EVENTS_PER_PASS);
  for (const { id } of due) {
    const queued = await kassa.db.transaction((tx) => noticeFor(tx, id, now));
    if (queued !== undefined) {
      pass.events += 1;
      pass.mails += queued;
    }
    pass.completeThrough = id;
  }
  // A short page means nothing else was waiting when the pass began.
  if (due.length < EVENTS_PER_PASS) pass.completeThrough = Math.max(settled, maxOutboxId);
  return pass;
}

/** Mails one event; undefined when another worker got there first. */
async function noticeFor(tx: Db, outboxId: number, now: Date): Promise<number | undefined> {
  // The mark comes first: a concurrent worker blocks on the same key, then finds it taken.
  const marked = await tx.insert(mailNotices).values({ outboxId, createdAt: now }).onConflictDoNothing().returning({ id: mailNotices.outboxId });
  if (marked.length === 0) return undefined;
  const [event] = await tx.select().from(outbox).where(eq(outbox.id, outboxId));
  if (!event) return 0;
  const template = noticeTemplates[event.topic];
  if (!template) return 0;
  if (event.accountId === null) {
    // The provider's own events mail its operators when they are for them, and no one else.
    if (!OPERATOR_TOPICS.has(event.topic)) return 0;
    const recipients = await operatorAddresses(tx);
    const data = Object.fromEntries(Object.entries(event.payload as Record<string, unknown>).map(([k, v]) => [k, String(v ?? '')]));
    for (const to of recipients) await queueMail(tx, { to, template, data, at: now });
    return recipients.length;
  }
  // Only a bank transfer has instructions to mail; a card or PayPal payer is on the provider's page.
  if (event.topic === 'top_up.requested' && !(event.payload as { bank_transfer?: unknown }).bank_transfer) return 0;
  // An automatic top-up is told by its own mail (auto_top_up.succeeded), not twice.
  if (event.topic === 'top_up.succeeded' && (event.payload as { automatic?: boolean }).automatic) return 0;
  const [account] = await tx
    .select({ id: accounts.id, name: accounts.name, currency: accounts.currency, billingEmails: accounts.billingEmails, status: accounts.status })
    .from(accounts)
    .where(eq(accounts.id, event.accountId));
  if (!account) return 0;
  // A closed account's last documents (its closing invoice, the refund's receipt) are still its own.
  if (event.topic === 'document.issued') return documentNotice(tx, Number((event.payload as { document_id: number }).document_id), account, now);
  const toOperators = OPERATOR_TOPICS.has(event.topic);
  if (!toOperators && account.status === 'closed') return 0;
  const recipients = toOperators ? await operatorAddresses(tx) : await accountAddresses(tx, account);
  const data = templateData(event.topic, event.payload as Record<string, unknown>, account);
  for (const to of recipients) {
    await queueMail(tx, { to, template, data, accountId: account.id, at: now });
  }
  return recipients.length;
}

/** An issued document's mail, with its PDF, to the account's document e-mails (none: its billing e-mails and owners). */
async function documentNotice(tx: Db, documentId: number, account: { id: number; billingEmails: string[] }, now: Date): Promise<number> {
  const [document] = await tx.select().from(documents).where(eq(documents.id, documentId));
  if (!document || document.kind === 'pro_forma') return 0;
  const [details] = await tx.select({ emails: accountBillingDetails.documentEmails }).from(accountBillingDetails).where(eq(accountBillingDetails.accountId, account.id));
  const recipients = details && details.emails.length > 0 ? uniqueAddresses(details.emails) : await accountAddresses(tx, account);
  const [corrected] = document.correctsDocumentId === null ? [] : await tx.select({ number: documents.number }).from(documents).where(eq(documents.id, document.correctsDocumentId));
  const data = {
    kind: document.kind,
    number: document.number,
    language: document.language,
    seller: (document.seller as { legal_name: string }).legal_name,
    buyer: (document.buyer as { legal_name: string }).legal_name,
    amount: isCurrency(document.currency) ? formatMinor(document.gross, document.currency) : document.gross.toString(),
    currency: document.currency,
    issued_on: document.issuedAt.toISOString().slice(0, 10),
    period: document.periodStart === document.periodEnd ? document.periodStart : `${document.periodStart} – ${document.periodEnd}`,
    corrects: corrected?.number ?? null,
    account_id: String(account.id),
  };
  for (const to of recipients) await queueMail(tx, { to, template: 'document_issued', data, accountId: account.id, documentId, at: now });
  return recipients.length;
}

async function accountAddresses(tx: Db, account: { id: number; billingEmails: string[] }): Promise<string[]> {
  const owners = await tx
    .select({ email: users.email })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.accountId, account.id), eq(memberships.role, 'owner'), eq(users.status, 'active')));
  return uniqueAddresses([...account.billingEmails, ...owners.map((o) => o.email)]);
}

async function operatorAddresses(tx: Db): Promise<string[]> {
  const operators = await tx.select({ email: users.email }).from(users).where(and(eq(users.operator, true), eq(users.status, 'active')));
  return uniqueAddresses(operators.map((o) => o.email));
}

function templateData(topic: string, payload: Record<string, unknown>, account: { id: number; name: string; currency: string }) {
  const amount = (value: unknown) => {
    if ((typeof value !== 'string' && typeof value !== 'number') || !/^-?[0-9]+$/.test(String(value))) return String(value ?? '');
    return isCurrency(account.currency) ? formatMinor(BigInt(value), account.currency) : String(value);
  };
  if (topic === 'balance.low' || topic === 'usage.funds_exhausted') {
    return { account_name: account.name, currency: account.currency, available: amount(payload.available), threshold: amount(payload.threshold) };
  }
  if (topic === 'top_up.requested') {
    const transfer = payload.bank_transfer as Record<string, string>;
    return { account_name: account.name, currency: account.currency, amount: amount(transfer.amount), pay_by: String(transfer.pay_by ?? '').slice(0, 10), beneficiary: transfer.beneficiary, iban: transfer.iban, bic: transfer.bic, reference: transfer.reference };
  }
  if (topic === 'object_count.over_limit' || topic === 'usage.over_limit') {
    return { account_name: account.name, metric: String(payload.metric ?? ''), count: String(payload.count ?? ''), limit: String(payload.limit ?? '') };
  }
  if (topic === 'grant.expiring') {
    const expires = String(payload.expires_at ?? '');
    return { account_name: account.name, currency: account.currency, remaining: amount(payload.remaining), reason: String(payload.reason ?? ''), expires_on: expires.slice(0, 10), expires_time: expires.slice(11, 16) };
  }
  if (topic.startsWith('budget.')) {
    const period = String(payload.period ?? '');
    const start = String(payload.period_start ?? '');
    return {
      account_name: account.name,
      currency: account.currency,
      share: String(payload.share ?? ''),
      limit: amount(payload.limit),
      spent: amount(payload.spent),
      scope: payload.service ? `${String(payload.service)} on ${account.name}` : account.name,
      period: period === 'day' ? `on ${start}` : `in ${start.slice(0, 7)}`,
      stops: payload.action === 'stop' ? 'yes' : '',
    };
  }
  if (topic.startsWith('auto_top_up.')) {
    return { account_name: account.name, currency: account.currency, amount: amount(payload.amount), balance: amount(payload.balance), reason: String(payload.reason ?? ''), monthly_cap: amount(payload.monthly_cap), month: String(payload.month ?? '') };
  }
  if (topic.startsWith('top_up.')) {
    return { account_name: account.name, account_id: String(account.id), currency: account.currency, top_up_id: String(payload.top_up_id ?? ''), amount: amount(payload.amount), balance: amount(payload.balance), reason: String(payload.reason ?? '') };
  }
  return { account_name: account.name, subscription_id: String(payload.subscription_id ?? '') };
}

/** Case-insensitive de-duplication; keeps the first spelling. */
export function uniqueAddresses(addresses: string[]): string[] {
  const seen = new Map<string, string>();
  for (const address of addresses) {
    const trimmed = address.trim();
    if (trimmed && !seen.has(trimmed.toLowerCase())) seen.set(trimmed.toLowerCase(), trimmed);
  }
  return [...seen.values()];
}

async function settledOutboxId(db: Db): Promise<number> {
  const [row] = await db.select().from(mailNotifierState).where(eq(mailNotifierState.id, 1));
  return row?.settledOutboxId ?? 0;
}

/**
 * Moves the settled mark up to `outboxId`: a value a pass saw long enough ago (minutes, real
 * time) that every transaction which could still commit an event at or below it has ended.
 * Only bounds the scan; correctness rests on mail_notices.
 */
export async function settleNotices(db: Db, outboxId: number): Promise<void> {
  await db
    .insert(mailNotifierState)
    .values({ id: 1, settledOutboxId: outboxId })
    .onConflictDoUpdate({ target: mailNotifierState.id, set: { settledOutboxId: sql`greatest(${mailNotifierState.settledOutboxId}, excluded.settled_outbox_id)` } });
}
