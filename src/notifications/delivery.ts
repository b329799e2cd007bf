// Sends the queued mails over SMTP (SMTP_URL), with retries and backoff; the outcome of every
// attempt is recorded in the mail's row. With no SMTP server configured, mails stay queued
// and readable (`kassa mail list`, GET /v1/mails). Message bodies are never logged: they hold
// secret links.
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import nodemailer from 'nodemailer';
import { defaultMailFrom, type MailSettings } from '../config.js';
import type { Kassa } from '../context.js';
import { query } from '../db/client.js';
import { mails } from '../db/schema.js';
import { queueNotices, settleNotices } from './notifier.js';

/** What delivery needs of a transport; a nodemailer Transporter is one. */
export interface MailTransport {
  sendMail(message: {
    from: string;
    to: string;
    subject: string;
    text: string;
    messageId?: string;
    headers?: Record<string, string>;
    attachments?: { filename: string; content: Buffer; contentType: string }[];
  }): Promise<unknown>;
}

export interface DeliveryOptions {
  from?: string;
  /** Mails claimed per batch. */
  batch?: number;
  /** Attempts before a mail is given up as 'failed'. */
  maxAttempts?: number;
  /** For tests: the jitter draw in [0, 1). */
  random?: () => number;
}

export const MAX_ATTEMPTS = 10;
const BATCH = 20;
const BASE_DELAY_MS = 60_000;
const MAX_DELAY_MS = 3_600_000;
/** A claimed mail is hidden from other workers this long (clock time) while it is being sent. */
const CLAIM_MS = 10 * 60_000;

/** Delay before attempt n+1 after n failed attempts: 1 min x 2^(n-1), at most 1 h, plus up to 10%. */
export function retryDelayMs(failedAttempts: number, random: () => number = Math.random): number {
  const base = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.max(0, failedAttempts - 1));
  return base + Math.floor(base * 0.1 * random());
}

export function createTransport(smtpUrl: string): MailTransport & { close(): void } {
  return nodemailer.createTransport(smtpUrl);
}

/** The SMTP URL without its password, for logs. */
export function describeSmtpUrl(smtpUrl: string): string {
  try {
    const url = new URL(smtpUrl);
    return `${url.protocol}//${url.hostname}${url.port ? `:${url.port}` : ''}`;
  } catch {
    return '(unparseable SMTP_URL)';
  }
}

export interface DeliveryPass {
  /** Outbox events turned into mails before sending. */
  notices: number;
  sent: number;
  /** Failed attempts that will be retried. */
  retrying: number;
  /** Mails given up on in this pass. */
  failed: number;
  errors: { mailId: number; error: string }[];
  noticesCompleteThrough: number;
}

interface Claimed {
  id: number;
  to: string;
  subject: string;
  text: string;
  attempts: number;
  /** A document's mail: the document whose PDF goes with it. */
  documentId: number | null;
}

/**
 * One delivery pass at `now` (the injected clock): queue the outbox notices, then send every
 * pending mail whose time has come, batch by batch, recording each outcome.
 */
export async function deliverDue(kassa: Kassa, transport: MailTransport | undefined, now: Date, options: DeliveryOptions = {}): Promise<DeliveryPass> {
  const notices = await queueNotices(kassa, now);
  const pass: DeliveryPass = { notices: notices.events, sent: 0, retrying: 0, failed: 0, errors: [], noticesCompleteThrough: notices.completeThrough };
  if (!transport) return pass;
  const seen = new Set<number>();
  for (;;) {
    const batch = (await claim(kassa, now, options.batch ?? BATCH)).filter((m) => !seen.has(m.id));
    if (batch.length === 0) break;
    for (const [i, mail] of batch.entries()) {
      seen.add(mail.id);
      const outcome = await sendOne(kassa, transport, mail, now, options, pass);
      if (outcome === 'unreachable') {
        // The server is down: the rest wait for the same retry, without spending an attempt.
        const rest = batch.slice(i + 1).map((m) => m.id);
        if (rest.length > 0) {
          await kassa.db.update(mails).set({ nextAttemptAt: new Date(now.getTime() + retryDelayMs(1, options.random)) }).where(and(inArray(mails.id, rest), eq(mails.state, 'pending')));
        }
        return pass;
      }
    }
  }
  return pass;
}

/**
 * Claims due mails: pushes their next attempt past the send so no other worker takes them
 * (`for update skip locked` on PostgreSQL; PGlite has a single connection). A worker that
 * dies mid-send leaves the mail to be retried once the claim lapses.
 */
async function claim(kassa: Kassa, now: Date, limit: number): Promise<Claimed[]> {
  const until = new Date(now.getTime() + CLAIM_MS);
  const lock = kassa.backend === 'postgres' ? sql`for update skip locked` : sql``;
  const rows = await query<{ id: number | bigint; to: string; subject: string; text: string; attempts: number; document_id: number | bigint | null }>(
    kassa.db,
    sql`update mails set next_attempt_at = ${until}
        where id in (select id from mails where state = 'pending' and next_attempt_at <= ${now}
                     order by next_attempt_at, id limit ${limit} ${lock})
        returning id, "to", subject, text, attempts, document_id`,
  );
  return rows
    .map(({ document_id, ...r }) => ({ ...r, id: Number(r.id), attempts: Number(r.attempts), documentId: document_id === null ? null : Number(document_id) }))
    .sort((a, b) => a.id - b.id);
}

async function sendOne(kassa: Kassa, transport: MailTransport, mail: Claimed, now: Date, options: DeliveryOptions, pass: DeliveryPass): Promise<'sent' | 'failed' | 'unreachable'> {
  const from = options.from ?? defaultMailFrom;
  try {
    // The document's PDF, rendered on its first mail (or download) and the same bytes ever after.
    const file = mail.documentId === null ? undefined : await kassa.documentFile(kassa.db, mail.documentId, now);
    const attachments = file ? [{ filename: file.filename, content: file.content, contentType: 'application/pdf' }] : undefined;
    await transport.sendMail({ from, to: mail.to, subject: mail.subject, text: mail.text, headers: { 'X-Kassa-Mail-Id': String(mail.id) }, attachments });
  } catch (err) {
    const attempts = mail.attempts + 1;
    const error = errorText(err);
    const permanent = isPermanentRejection(err);
    const gaveUp = permanent || attempts >= (options.maxAttempts ?? MAX_ATTEMPTS);
    await kassa.db
      .update(mails)
      .set({
        attempts,
        lastError: error,
        state: gaveUp ? 'failed' : 'pending',
        nextAttemptAt: gaveUp ? now : new Date(now.getTime() + retryDelayMs(attempts, options.random)),
      })
      .where(and(eq(mails.id, mail.id), eq(mails.state, 'pending')));
    pass.errors.push({ mailId: mail.id, error });
    if (gaveUp) pass.failed += 1;
    else pass.retrying += 1;
    return isUnreachable(err) ? 'unreachable' : 'failed';
  }
  // Sent: its live links (verification, reset, invitation) are the recipient's alone now;
  // the copy kept here loses their secrets.
  await kassa.db
    .update(mails)
    .set({ state: 'sent', sentAt: now, attempts: mail.attempts + 1, lastError: null, text: withoutLinkSecrets(mail.text) })
    .where(and(eq(mails.id, mail.id), eq(mails.state, 'pending')));
  pass.sent += 1;
  return 'sent';
}

/** Every mailed link carries its secret as ?token=...; the kept copy says it was there. */
export function withoutLinkSecrets(text: string): string {
  return text.replace(/([?&]token=)[^\s&#]+/g, '$1[removed after sending]');
}

/** The connection failed (refused, timed out, DNS): no mail can go out this pass. */
function isUnreachable(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === 'ECONNECTION' || code === 'ETIMEDOUT' || code === 'ESOCKET' || code === 'EDNS' || code === 'ECONNREFUSED';
}

/** The server's answer or the connection error, never the message. */
function errorText(err: unknown): string {
  const e = err as { code?: string; responseCode?: number; response?: string; message?: string };
  const text = e.response ?? e.message ?? String(err);
  return `${e.code ? `${e.code}: ` : ''}${text}`.slice(0, 500);
}

/** The server refused the recipient for good (550-553 to RCPT TO): retrying cannot help. */
function isPermanentRejection(err: unknown): boolean {
  const e = err as { responseCode?: number; command?: string };
  return e.command === 'RCPT TO' && typeof e.responseCode === 'number' && e.responseCode >= 550 && e.responseCode <= 553;
}

/** Polls every `intervalMs` (real time); decisions use the injected clock. */
export interface MailDelivery {
  stop(): Promise<void>;
  /** Runs one pass now (waits for a running one). */
  runOnce(): Promise<void>;
}

const POLL_MS = 2_000;
/** Real time after which an outbox id seen by a pass is settled (no transaction is that long). */
const SETTLE_AFTER_MS = 10 * 60_000;

export function startMailDelivery(kassa: Kassa, log: FastifyBaseLogger, settings: MailSettings, intervalMs = POLL_MS): MailDelivery {
  const transport = settings.smtpUrl ? createTransport(settings.smtpUrl) : undefined;
  if (transport) log.info(`mail delivery via ${describeSmtpUrl(settings.smtpUrl!)} from ${settings.from}`);
  else log.warn('SMTP_URL is not set: mails stay queued; read them with `kassa mail list` or GET /v1/mails');
  const samples: { at: number; through: number }[] = [];
  let running: Promise<void> | undefined;
  let stopped = false;
  const run = async () => {
    const result = await deliverDue(kassa, transport, kassa.clock.now(), { from: settings.from });
    const t = Date.now();
    samples.push({ at: t, through: result.noticesCompleteThrough });
    let settle: number | undefined;
    while (samples.length > 0 && samples[0]!.at <= t - SETTLE_AFTER_MS) settle = samples.shift()!.through;
    if (settle !== undefined) await settleNotices(kassa.db, settle);
    if (result.sent || result.failed || result.retrying || result.notices) {
      log.info({ notices: result.notices, sent: result.sent, retrying: result.retrying, failed: result.failed }, 'mail delivery pass');
    }
    for (const e of result.errors) log.warn({ mailId: e.mailId, error: e.error }, 'mail not delivered');
  };
  const tick = () => {
    if (running || stopped) return running;
    running = run()
      .catch((err: unknown) => log.error({ err }, 'mail delivery pass failed; it resumes at the next poll'))
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  void tick();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
      transport?.close();
    },
    async runOnce() {
      await running;
      await tick();
    },
  };
}
