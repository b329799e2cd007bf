// Notices from the outbox (SPEC 10): a low balance and a suspended subscription are mailed to
// the account's billing addresses and its owners, exactly once per event, over real SMTP.
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query } from '../src/db/client.js';
import { mails, memberships, type Role, users } from '../src/db/schema.js';
import { deliverDue } from '../src/notifications/delivery.js';
import { queueNotices, settleNotices, uniqueAddresses } from '../src/notifications/notifier.js';
import { writeOutbox } from '../src/outbox/write.js';
import { type Harness, startHarness } from './support/harness.js';
import { type SmtpReceiver, startSmtpReceiver } from './support/smtp-receiver.js';

let h: Harness;
let smtp: SmtpReceiver;
let acme: number;
let quiet: number;

async function member(accountId: number, email: string, role: Role, status: 'active' | 'disabled' = 'active') {
  const now = h.kassa.clock.now();
  const [user] = await h.kassa.db.insert(users).values({ email, emailVerifiedAt: now, status, createdAt: now }).returning({ id: users.id });
  await h.kassa.db.insert(memberships).values({ accountId, userId: user!.id, role, createdAt: now });
}
const mailsOf = (accountId: number) => h.kassa.db.select().from(mails).where(eq(mails.accountId, accountId)).orderBy(mails.id);

beforeAll(async () => {
  h = await startHarness({ clockStart: '2026-11-02T10:00:00Z' });
  smtp = await startSmtpReceiver();
  acme = (await h.call('POST', '/v1/accounts', { name: 'Acme', currency: 'EUR', low_balance_threshold: '1000', billing_emails: ['billing@acme.example', 'OWNER@acme.example'] })).body.id;
  quiet = (await h.call('POST', '/v1/accounts', { name: 'Quiet', currency: 'EUR', low_balance_threshold: '1000' })).body.id;
  await member(acme, 'owner@acme.example', 'owner');
  await member(acme, 'second-owner@acme.example', 'owner');
  await member(acme, 'gone-owner@acme.example', 'owner', 'disabled');
  await member(acme, 'admin@acme.example', 'admin');
  await member(acme, 'viewer@acme.example', 'viewer');
});
afterAll(async () => {
  await smtp.close();
  await h.close();
});

describe('the low-balance notice', () => {
  it('mails the billing addresses and the active owners, once', async () => {
    const credit = await h.call('POST', `/v1/accounts/${acme}/adjustments`, { direction: 'credit', amount: '500', reason: 'top-up' }, { 'idempotency-key': 'n1' });
    expect(credit.status).toBe(201);
    await h.call('POST', `/v1/accounts/${quiet}/adjustments`, { direction: 'credit', amount: '500', reason: 'top-up' }, { 'idempotency-key': 'n2' });
    const transport = smtp.transport();

    const pass = await deliverDue(h.kassa, transport, h.kassa.clock.now());
    expect(pass.notices).toBe(2);
    expect(pass.sent).toBe(3);
    const received = smtp.received.map((m) => m.to[0]!.toLowerCase()).sort();
    expect(received).toEqual(['billing@acme.example', 'owner@acme.example', 'second-owner@acme.example']);
    for (const m of smtp.received) {
      expect(m.subject).toBe('Low balance on Acme');
      expect(m.text).toContain('(5.00 EUR)');
      expect(m.text).toContain('(10.00 EUR)');
    }
    const rows = await mailsOf(acme);
    expect(rows.map((r) => r.template)).toEqual(['low_balance', 'low_balance', 'low_balance']);
    expect(rows.every((r) => r.state === 'sent')).toBe(true);
    // An account with neither billing addresses nor owners: the event is settled, no mail.
    expect(await mailsOf(quiet)).toEqual([]);

    // Later passes and a second worker find nothing new to mail.
    const again = await Promise.all([deliverDue(h.kassa, transport, h.kassa.clock.now()), queueNotices(h.kassa, h.kassa.clock.now())]);
    expect(again[0].notices + again[1].events).toBe(0);
    expect(await mailsOf(acme)).toHaveLength(3);
    expect(smtp.received).toHaveLength(3);
  });

  it('mails again for the next event, not for the old one', async () => {
    // Back above the threshold, then under it again: a second balance.low event.
    await h.call('POST', `/v1/accounts/${acme}/adjustments`, { direction: 'credit', amount: '1000', reason: 'top-up' }, { 'idempotency-key': 'n3' });
    await h.call('POST', `/v1/accounts/${acme}/adjustments`, { direction: 'debit', amount: '900', reason: 'usage' }, { 'idempotency-key': 'n4' });
    const events = await h.call('GET', `/v1/accounts/${acme}/events?topic=balance.low`);
    expect(events.body.data).toHaveLength(2);
    const pass = await queueNotices(h.kassa, h.kassa.clock.now());
    expect(pass).toMatchObject({ events: 1, mails: 3 });
    const latest = (await mailsOf(acme)).slice(3);
    expect(latest.map((m) => m.to.toLowerCase()).sort()).toEqual(['billing@acme.example', 'owner@acme.example', 'second-owner@acme.example']);
    expect(latest[0]!.text).toContain('(6.00 EUR)');
    expect((await deliverDue(h.kassa, smtp.transport(), h.kassa.clock.now())).sent).toBe(3);
  });
});

/** As the billing run writes it (src/billing/charge-batch.ts). */
const suspension = { reason: 'insufficient_funds', period_start: '2026-11-03T00:00:00.000Z', amount: '600' };

describe('the suspension notice', () => {
  it('names the subscription and goes to the same people', async () => {
    await h.kassa.db.transaction((tx) => writeOutbox(tx, acme, 'subscription.suspended', { ...suspension, subscription_id: 42 }, h.kassa.clock.now()));
    await h.kassa.db.transaction((tx) => writeOutbox(tx, acme, 'subscription.resumed', { subscription_id: 42, from: 'suspended', amount: '600', currency: 'EUR' }, h.kassa.clock.now()));
    smtp.received.length = 0;
    const pass = await deliverDue(h.kassa, smtp.transport(), h.kassa.clock.now());
    expect(pass.notices).toBe(1);
    expect(smtp.received.map((m) => m.to[0]!.toLowerCase()).sort()).toEqual(['billing@acme.example', 'owner@acme.example', 'second-owner@acme.example']);
    for (const m of smtp.received) {
      expect(m.subject).toBe('Service suspended on Acme');
      expect(m.text).toContain('Subscription 42 of Acme was suspended');
    }
    const suspended = await h.kassa.db.select().from(mails).where(and(eq(mails.accountId, acme), eq(mails.template, 'subscription_suspended')));
    expect(suspended).toHaveLength(3);
  });
});

describe('the settled mark', () => {
  it('only moves forward and bounds the scan', async () => {
    const [top] = await query<{ max: bigint }>(h.kassa.db, sql`select max(id) as max from outbox`);
    await settleNotices(h.kassa.db, Number(top!.max));
    await settleNotices(h.kassa.db, 1);
    const [state] = await query<{ settled_outbox_id: bigint }>(h.kassa.db, sql`select settled_outbox_id from mail_notifier_state`);
    expect(Number(state!.settled_outbox_id)).toBe(Number(top!.max));
    await h.kassa.db.transaction((tx) => writeOutbox(tx, acme, 'subscription.suspended', { ...suspension, subscription_id: 43 }, h.kassa.clock.now()));
    expect(await queueNotices(h.kassa, h.kassa.clock.now())).toMatchObject({ events: 1, mails: 3 });
  });
});

describe('recipients', () => {
  it('are de-duplicated without regard to case, keeping the first spelling', () => {
    expect(uniqueAddresses(['Billing@x.example', 'billing@X.example', ' a@x.example ', ''])).toEqual(['Billing@x.example', 'a@x.example']);
  });
});
