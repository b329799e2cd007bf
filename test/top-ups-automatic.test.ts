// Automatic top-up (SPEC 8, issue 7): when available falls below the customer's threshold,
// the default saved card is charged off-session, once per crossing, one charge at a time,
// within the monthly cap; declines are retried a day later and pause it after three in a row,
// until a card is saved again.
import { eq } from 'drizzle-orm';
import type Stripe from 'stripe';
import { beforeAll, describe, expect, it } from 'vitest';
import { mails, paymentEvents, topUps } from '../src/db/schema.js';
import { queueNotices } from '../src/notifications/notifier.js';
import { runAutoTopUps } from '../src/payments/auto-top-up.js';
import { type FakeStripe, MASTERCARD, VISA } from './support/fake-stripe.js';
import type { Harness } from './support/harness.js';
import { withFakeStripe } from './support/stripe-harness.js';
import { scenario } from './support/scenario.js';

const started = withFakeStripe();
let h: Harness;
let stripe: FakeStripe;
const s = scenario(() => h);
beforeAll(() => {
  ({ h, stripe } = started);
});

let keys = 0;
const key = () => ({ 'idempotency-key': `auto-${++keys}` });
const balance = async (accountId: number) => (await h.call('GET', `/v1/accounts/${accountId}/balance`)).body.balance as string;
const adjust = (accountId: number, direction: 'credit' | 'debit', amount: string) => s.expectStatus(201, 'POST', `/v1/accounts/${accountId}/adjustments`, { direction, amount, reason: 'usage' }, key());
const setAuto = (accountId: number, body: Record<string, unknown>) => h.call('PUT', `/v1/accounts/${accountId}/auto-top-up`, body);
const autoOf = async (accountId: number) => (await h.call('GET', `/v1/accounts/${accountId}/auto-top-up`)).body;
const run = () => runAutoTopUps(h.kassa, h.kassa.clock.now());
const chargesOf = (accountId: number) => stripe.offSessionIntents().filter((i) => (i.metadata as Record<string, string>).kassa_account_id === String(accountId));

async function deliver(event: Stripe.Event) {
  const { payload, headers } = stripe.signed(event);
  const answer = (await h.app.inject({ method: 'POST', url: '/v1/webhooks/stripe', payload, headers })).json();
  await h.kassa.background.settled();
  const [kept] = await h.kassa.db.select({ outcome: paymentEvents.outcome }).from(paymentEvents).where(eq(paymentEvents.eventId, event.id));
  return { ...answer, outcome: kept?.outcome };
}

/** An account with a saved card, paid in by a first card top-up of `amount`; answers its card. */
async function accountWithCard(amount = '2000', card = VISA): Promise<{ id: number; paymentMethod: string }> {
  const id = (await s.createAccount({ billing_emails: ['pay@acme.test'] })).id;
  const started = await h.call('POST', `/v1/accounts/${id}/top-ups`, { method: 'card', amount, save_card: true }, key());
  const [session] = await h.kassa.db.select({ ref: topUps.providerRef }).from(topUps).where(eq(topUps.id, started.body.id));
  for (const event of stripe.pay(session!.ref!, card)) await deliver(event);
  const intent = stripe.get(stripe.get(session!.ref!).payment_intent as string);
  return { id, paymentMethod: intent.payment_method as string };
}

describe('setting it up', () => {
  it('needs a saved card to be enabled', async () => {
    const bare = (await s.createAccount()).id;
    expect((await setAuto(bare, { enabled: true, threshold: '1000', amount: '3000', monthly_cap: '9000' })).body).toMatchObject({ code: 'payment_method_unavailable', field: '/enabled' });
    expect(await autoOf(bare)).toMatchObject({ enabled: false, threshold: null });
  });

  it('refuses an amount and a target together, a target under the threshold, a cap under one top-up and bad amounts', async () => {
    const { id } = await accountWithCard();
    const cases: [Record<string, unknown>, string][] = [
      [{ amount: '3000', top_up_to: '5000' }, '/amount'],
      [{}, '/amount'],
      [{ amount: undefined, top_up_to: '900' }, '/top_up_to'],
      [{ monthly_cap: '2999' }, '/monthly_cap'],
      [{ threshold: '0' }, '/threshold'],
      [{ amount: '12.50' }, '/amount'],
    ];
    for (const [change, field] of cases) {
      const body = { enabled: true, threshold: '1000', amount: '3000', monthly_cap: '9000', ...change };
      if ('amount' in change && change.amount === undefined) delete (body as Record<string, unknown>).amount;
      if (Object.keys(change).length === 0) delete (body as Record<string, unknown>).amount;
      const refused = await setAuto(id, body);
      expect(refused.status, JSON.stringify(change)).toBe(400);
      expect(refused.body.field, JSON.stringify(change)).toBe(field);
    }
  });
});

describe('charging the saved card', () => {
  let acme: { id: number; paymentMethod: string };

  beforeAll(async () => {
    acme = await accountWithCard('2000');
    const set = await setAuto(acme.id, { enabled: true, threshold: '1000', amount: '3000', monthly_cap: '7000' });
    expect(set.body).toMatchObject({ enabled: true, threshold: '1000', amount: '3000', top_up_to: null, monthly_cap: '7000', paused: false, spent_this_month: '0' });
  });

  it('does nothing while available is at or above the threshold', async () => {
    await adjust(acme.id, 'debit', '1000'); // 2000 - 1000 = 1000: at the threshold, not under
    expect(await run()).toBe(0);
    expect(chargesOf(acme.id)).toHaveLength(0);
  });

  it('charges the default card off-session once when available falls below, and credits it', async () => {
    await adjust(acme.id, 'debit', '500'); // 1000 - 500 = 500 < 1000
    expect(await run()).toBe(1);
    const [charge] = chargesOf(acme.id);
    expect(charge).toMatchObject({ amount: 3000, currency: 'eur', payment_method: acme.paymentMethod, status: 'succeeded' });
    const call = stripe.callsTo('POST', '/v1/payment_intents').at(-1)!;
    expect(call.body).toMatchObject({ off_session: 'true', confirm: 'true', customer: charge!.customer });
    expect(call.idempotencyKey).toMatch(/^kassa-top-up-\d+-charge$/);
    expect(await balance(acme.id)).toBe('3500'); // 500 + 3000
    expect(await run()).toBe(0); // above the threshold again: nothing more
    // Stripe's webhook for the same charge credits nothing more.
    expect((await deliver(stripe.event('payment_intent.succeeded', charge!))).outcome).toBe('already credited');
    expect(await balance(acme.id)).toBe('3500');
    expect(await autoOf(acme.id)).toMatchObject({ spent_this_month: '3000', failures_in_a_row: 0 });
  });

  it('charges once per crossing, not again while available stays below', async () => {
    await setAuto(acme.id, { enabled: true, threshold: '1000', amount: '200', monthly_cap: '7000' });
    await adjust(acme.id, 'debit', '3000'); // 3500 - 3000 = 500
    expect(await run()).toBe(1);
    expect(await balance(acme.id)).toBe('700'); // 500 + 200: still under 1000
    await adjust(acme.id, 'debit', '100');
    expect(await run()).toBe(0); // the same crossing: no second charge
    expect(await balance(acme.id)).toBe('600');
    await adjust(acme.id, 'credit', '900'); // 1500: above, re-armed at the next pass
    expect(await run()).toBe(0);
    await adjust(acme.id, 'debit', '600'); // 900: a new crossing
    expect(await run()).toBe(1);
    expect(await balance(acme.id)).toBe('1100'); // 900 + 200
    expect(chargesOf(acme.id).map((c) => c.amount)).toEqual([3000, 200, 200]);
  });

  it('tops up to a target, within what the monthly cap leaves, then waits for the next month', async () => {
    await setAuto(acme.id, { enabled: true, threshold: '1000', top_up_to: '5000', monthly_cap: '7000' });
    await adjust(acme.id, 'debit', '600'); // 500
    expect(await run()).toBe(1);
    // The target wants 4500; the cap leaves 7000 - (3000 + 200 + 200) = 3600.
    expect(await balance(acme.id)).toBe('4100'); // 500 + 3600
    expect(await autoOf(acme.id)).toMatchObject({ spent_this_month: '7000' });
    await adjust(acme.id, 'debit', '3600'); // 500: a new crossing, but the cap is spent
    expect(await run()).toBe(0);
    expect(await balance(acme.id)).toBe('500');
    expect((await s.eventsOf(acme.id, 'auto_top_up.capped')).map((e) => e.payload)).toEqual([expect.objectContaining({ monthly_cap: '7000', spent: '7000', month: '2026-11' })]);
    await s.advanceTo('2026-12-01T00:00:00Z'); // the jobs run at the midnight: a new month
    expect(await balance(acme.id)).toBe('5000'); // 500 + 4500 up to the target
    expect(await autoOf(acme.id)).toMatchObject({ spent_this_month: '4500' });
  });

  it('mails each automatic top-up once, not also as a top-up received', async () => {
    await queueNotices(h.kassa, h.kassa.clock.now());
    const sent = await h.kassa.db.select().from(mails).where(eq(mails.accountId, acme.id)).orderBy(mails.id);
    expect(sent.map((m) => m.template)).toEqual(['top_up_received', 'auto_top_up_done', 'auto_top_up_done', 'auto_top_up_done', 'auto_top_up_done', 'auto_top_up_capped', 'auto_top_up_done']);
    expect(sent[1]!.text).toContain('your saved card was charged 30.00 EUR');
  });
});

describe('a card that declines', () => {
  let acme: { id: number; paymentMethod: string };

  beforeAll(async () => {
    acme = await accountWithCard('2000');
    await setAuto(acme.id, { enabled: true, threshold: '1000', amount: '3000', monthly_cap: '100000' });
    stripe.cardBehaves(acme.paymentMethod, 'declines');
  });

  it('fails the attempt, says why, and tries again a day later, not every minute', async () => {
    await adjust(acme.id, 'debit', '1500'); // 500
    expect(await run()).toBe(1);
    expect(await balance(acme.id)).toBe('500');
    expect((await s.eventsOf(acme.id, 'auto_top_up.failed')).map((e) => e.payload)).toEqual([expect.objectContaining({ amount: '3000', failures: 1, reason: 'Your card has insufficient funds.' })]);
    expect(await run()).toBe(0);
    expect(chargesOf(acme.id)).toHaveLength(1);
    expect(await autoOf(acme.id)).toMatchObject({ paused: false, failures_in_a_row: 1 });
  });

  it('pauses after three failures in a row, and charges nothing more', async () => {
    const day = (n: number) => new Date(h.kassa.clock.now().getTime() + n * 86_400_000).toISOString();
    await s.advanceTo(day(1));
    await s.advanceTo(day(1));
    expect(chargesOf(acme.id)).toHaveLength(3);
    const state = await autoOf(acme.id);
    expect(state).toMatchObject({ enabled: true, paused: true, failures_in_a_row: 3 });
    expect(state.paused_reason).toMatch(/^3 automatic top-ups in a row failed .*save a card again/);
    await s.advanceTo(day(3));
    expect(chargesOf(acme.id)).toHaveLength(3);
    expect(await s.eventsOf(acme.id, 'auto_top_up.paused')).toHaveLength(1);
  });

  it('resumes with the card saved again, which becomes the one it charges', async () => {
    const started = await h.call('POST', `/v1/accounts/${acme.id}/top-ups`, { method: 'card', amount: '100', save_card: true }, key());
    const [session] = await h.kassa.db.select({ ref: topUps.providerRef }).from(topUps).where(eq(topUps.id, started.body.id));
    for (const event of stripe.pay(session!.ref!, MASTERCARD)) await deliver(event);
    expect(await autoOf(acme.id)).toMatchObject({ paused: false, failures_in_a_row: 0 });
    const cards = (await h.call('GET', `/v1/accounts/${acme.id}/payment-methods`)).body.data;
    expect(cards.map((c: { last4: string; default: boolean }) => [c.last4, c.default])).toEqual([['4242', false], ['4444', true]]);
    expect(await run()).toBe(1);
    expect(await balance(acme.id)).toBe('3600'); // 500 + 100 + 3000
  });
});

describe('a card that needs authentication', () => {
  it('fails the attempt and tells the customer to pay once by hand', async () => {
    const acme = await accountWithCard('2000');
    await setAuto(acme.id, { enabled: true, threshold: '1000', amount: '3000', monthly_cap: '100000' });
    stripe.cardBehaves(acme.paymentMethod, 'requires_authentication');
    await adjust(acme.id, 'debit', '1500');
    expect(await run()).toBe(1);
    const [failed] = await s.eventsOf(acme.id, 'auto_top_up.failed');
    expect(failed!.payload.reason).toMatch(/authentication \(3-D Secure\).*pay once by card yourself/);
    expect(await balance(acme.id)).toBe('500');
  });
});

describe('two passes at once', () => {
  it('charge the card once', async () => {
    const acme = await accountWithCard('2000');
    await setAuto(acme.id, { enabled: true, threshold: '1000', amount: '3000', monthly_cap: '100000' });
    await adjust(acme.id, 'debit', '1500');
    await Promise.all([run(), run(), run()]);
    expect(new Set(chargesOf(acme.id).map((c) => c.id)).size).toBe(1);
    expect(await balance(acme.id)).toBe('3500'); // 500 + 3000, once
  });
});
