// Card top-ups through Stripe (SPEC 8, issue 7): a Checkout Session per top-up, credited only
// when Stripe's signed webhook says the money is there, once per payment whatever the order
// or repetition of the deliveries; declines, expiry, refunds and disputes; saved cards.
import { and, eq, inArray } from 'drizzle-orm';
import type Stripe from 'stripe';
import { beforeAll, describe, expect, it } from 'vitest';
import { accounts, mails, paymentEvents, topUps } from '../src/db/schema.js';
import { createOperator } from '../src/identity/operators/create-operator.js';
import { queueNotices } from '../src/notifications/notifier.js';
import { runScheduledJobs } from '../src/jobs/scheduled.js';
import { verifyLedger } from '../src/ledger/verify.js';
import { creditTogether, paidEvent } from '../src/payments/stripe/credit-together.js';
import { actOnStripeEvents } from '../src/payments/stripe/webhook.js';
import { FAKE_WEBHOOK_SECRET, type FakeStripe, MASTERCARD, VISA } from './support/fake-stripe.js';
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
const key = () => ({ 'idempotency-key': `card-${++keys}` });
const cardTopUp = (accountId: number, amount: string, more: Record<string, unknown> = {}, headers = key()) => h.call('POST', `/v1/accounts/${accountId}/top-ups`, { method: 'card', amount, ...more }, headers);
const balance = async (accountId: number) => (await h.call('GET', `/v1/accounts/${accountId}/balance`)).body;
const sessionOf = async (topUpId: number) => (await h.kassa.db.select({ ref: topUps.providerRef }).from(topUps).where(eq(topUps.id, topUpId)))[0]!.ref!;

async function deliver(event: Stripe.Event, options: { secret?: string; timestamp?: number; signature?: string | null } = {}) {
  const { payload, headers } = stripe.signed(event, options);
  if (options.signature !== undefined) {
    if (options.signature === null) delete headers['stripe-signature'];
    else headers['stripe-signature'] = options.signature;
  }
  const response = await h.app.inject({ method: 'POST', url: '/v1/webhooks/stripe', payload, headers });
  const body = JSON.parse(response.body);
  if (response.statusCode !== 200 || body.duplicate) return { status: response.statusCode, body };
  // Answered at once ("queued"), acted on just after: what it did is kept with the event.
  expect(body.outcome).toBe('queued');
  await h.kassa.background.settled();
  const [kept] = await h.kassa.db.select().from(paymentEvents).where(and(eq(paymentEvents.provider, 'stripe'), eq(paymentEvents.eventId, event.id)));
  expect(kept!.processedAt).not.toBeNull();
  return { status: response.statusCode, body: { ...body, outcome: kept!.outcome } };
}
const deliverAll = async (events: Stripe.Event[]) => {
  const answers = [];
  for (const event of events) answers.push(await deliver(event));
  return answers;
};

/** A card top-up the customer has not paid yet: its id and its Checkout Session. */
async function startCardTopUp(accountId: number, amount: string, more: Record<string, unknown> = {}) {
  const started = await cardTopUp(accountId, amount, more);
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  return { id: started.body.id as number, session: await sessionOf(started.body.id) };
}

describe('a card top-up', () => {
  let acme: number;
  let topUp: { id: number; session: string };

  beforeAll(async () => {
    acme = (await s.createAccount({ name: 'Acme', billing_emails: ['billing@acme.test'] })).id;
  });

  it('opens a Stripe Checkout for the amount and answers where to send the customer; the balance waits', async () => {
    const started = await cardTopUp(acme, '2500');
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({ method: 'card', status: 'pending', currency: 'EUR', amount: '2500', received: '0', bank_transfer: null, card: { save_card: false } });
    topUp = { id: started.body.id, session: await sessionOf(started.body.id) };
    expect(started.body.card.checkout_url).toBe(`https://checkout.stripe.test/c/pay/${topUp.session}`);

    const session = stripe.get(topUp.session);
    expect(session).toMatchObject({ mode: 'payment', amount_total: 2500, currency: 'eur', client_reference_id: String(topUp.id), metadata: { kassa_top_up_id: String(topUp.id), kassa_account_id: String(acme) } });
    expect(session.success_url).toBe(`http://localhost:3000/top-ups/${topUp.id}/paid`);
    expect((session.payment_intent_data as { setup_future_usage?: string }).setup_future_usage).toBeUndefined();
    // The account's Stripe customer, made on first use, under keys derived from Kassa's ids.
    const [customer] = stripe.callsTo('POST', '/v1/customers');
    expect(customer).toMatchObject({ idempotencyKey: `kassa-account-${acme}-customer`, body: { name: 'Acme', email: 'billing@acme.test', metadata: { kassa_account_id: String(acme) } } });
    expect(stripe.callsTo('POST', '/v1/checkout/sessions').at(-1)!.idempotencyKey).toBe(`kassa-top-up-${topUp.id}-checkout`);
    expect(await balance(acme)).toMatchObject({ balance: '0', available: '0', pending_top_ups: '2500' });
  });

  it("credits the balance once when Stripe's webhook says the payment succeeded", async () => {
    const events = stripe.pay(topUp.session);
    const answers = await deliverAll(events);
    expect(answers.map((a) => [a.status, a.body.outcome])).toEqual([
      [200, 'credited 2500'],
      [200, 'already credited'], // payment_intent.succeeded: the same PaymentIntent
      [200, 'ignored: Kassa does not act on charge.succeeded'],
    ]);
    expect(await balance(acme)).toMatchObject({ balance: '2500', available: '2500', pending_top_ups: '0' });
    const [credit] = (await s.ledgerOf(acme)).filter((t) => t.kind === 'top_up');
    expect(credit!.postings).toEqual(expect.arrayContaining([expect.objectContaining({ ledger_account: 'customer', amount: '2500' }), expect.objectContaining({ ledger_account: 'clearing_card', amount: '-2500' })]));
    expect((await s.eventsOf(acme, 'top_up.succeeded')).map((e) => e.payload)).toEqual([expect.objectContaining({ top_up_id: topUp.id, amount: '2500', balance: '2500' })]);
  });

  it('changes nothing when Stripe delivers the same event again', async () => {
    const [completed] = stripe.pay(topUp.session).slice(0, 1);
    // A redelivery carries the id of the event first sent: take it from what was recorded.
    const [first] = await h.kassa.db.select().from(paymentEvents).where(and(eq(paymentEvents.topUpId, topUp.id), eq(paymentEvents.type, 'checkout.session.completed')));
    const again = await deliver({ ...completed!, id: first!.eventId });
    expect(again.body).toMatchObject({ duplicate: true, outcome: 'already received' });
    expect(await balance(acme)).toMatchObject({ balance: '2500' });
  });

  it('acts on an event kept but not acted on (a crash after the answer) at the next scheduled pass', async () => {
    const next = await startCardTopUp(acme, '300');
    const [completed] = stripe.pay(next.session);
    await h.kassa.db.insert(paymentEvents).values({ provider: 'stripe', eventId: completed!.id, type: completed!.type, payload: completed, receivedAt: h.kassa.clock.now() });
    expect(await balance(acme)).toMatchObject({ balance: '2500' });
    await runScheduledJobs(h.kassa, h.kassa.clock.now());
    expect(await balance(acme)).toMatchObject({ balance: '2800' }); // 2500 + 300
    const [kept] = await h.kassa.db.select().from(paymentEvents).where(eq(paymentEvents.eventId, completed!.id));
    expect(kept).toMatchObject({ outcome: 'credited 300', topUpId: next.id });
  });

  it('credits once when the PaymentIntent event comes before the Checkout one', async () => {
    const next = await startCardTopUp(acme, '1000');
    const [completed, succeeded] = stripe.pay(next.session);
    expect((await deliver(succeeded!)).body.outcome).toBe('credited 1000');
    expect((await deliver(completed!)).body.outcome).toBe('already credited');
    expect(await balance(acme)).toMatchObject({ balance: '3800' }); // 2800 + 1000
  });

  it('fails on a decline, mails why, and still credits if the customer then pays with another card', async () => {
    const next = await startCardTopUp(acme, '700');
    const [failed] = stripe.decline(next.session);
    expect((await deliver(failed!)).body.outcome).toBe('failed');
    expect((await s.eventsOf(acme, 'top_up.failed')).at(-1)!.payload).toMatchObject({ top_up_id: next.id, reason: 'Your card was declined.' });
    expect((await h.call('GET', `/v1/accounts/${acme}/payments?status=failed`)).body.data.map((p: { id: number }) => p.id)).toEqual([next.id]);
    const paid = await deliverAll(stripe.pay(next.session, MASTERCARD));
    expect(paid[0]!.body.outcome).toBe('credited 700');
    expect(await balance(acme)).toMatchObject({ balance: '4500' }); // 3800 + 700
  });

  it('marks a Checkout the customer walked away from as expired', async () => {
    const next = await startCardTopUp(acme, '900');
    expect((await deliver(stripe.expire(next.session)[0]!)).body.outcome).toBe('expired');
    expect((await h.call('GET', `/v1/accounts/${acme}/payments?status=expired`)).body.data.map((p: { id: number }) => p.id)).toEqual([next.id]);
    expect(await balance(acme)).toMatchObject({ balance: '4500', pending_top_ups: '0' });
  });

  it('keeps the ledger balanced', async () => {
    expect((await verifyLedger(h.kassa.db)).ok).toBe(true);
  });
});

describe('refunds and disputes', () => {
  let acme: number;
  let intent: string;
  let topUpId: number;

  beforeAll(async () => {
    acme = (await s.createAccount({ billing_emails: ['money@acme.test'] })).id;
    await queueNotices(h.kassa, h.kassa.clock.now()); // the other accounts' notices, out of the way
    const topUp = await startCardTopUp(acme, '5000');
    topUpId = topUp.id;
    await deliverAll(stripe.pay(topUp.session));
    intent = stripe.get(topUp.session).payment_intent as string;
  });

  it("debits a refund made on Stripe's side, by the running total Stripe reports", async () => {
    const [first] = stripe.refund(intent, 1000);
    const [second] = stripe.refund(intent, 500);
    expect((await deliver(second!)).body.outcome).toBe('refunded 1500'); // the running total: 1000 + 500
    expect((await deliver(first!)).body.outcome).toBe('already refunded'); // older, arriving late
    expect(await balance(acme)).toMatchObject({ balance: '3500' }); // 5000 - 1500
    const refund = (await s.ledgerOf(acme)).find((t) => t.kind === 'top_up_refund')!;
    expect(refund.postings).toEqual(expect.arrayContaining([expect.objectContaining({ ledger_account: 'customer', amount: '-1500' }), expect.objectContaining({ ledger_account: 'clearing_card', amount: '1500' })]));
    expect((await s.eventsOf(acme, 'top_up.refunded')).map((e) => e.payload)).toEqual([expect.objectContaining({ top_up_id: topUpId, amount: '1500', refunded: '1500' })]);
  });

  it('debits a dispute once, down to zero or below, and tells the provider', async () => {
    const [dispute] = stripe.dispute(intent, 3500);
    expect((await deliver(dispute!)).body.outcome).toBe('disputed 3500');
    expect((await deliver({ ...dispute!, id: `${dispute!.id}_redelivered` })).body.outcome).toBe('already debited');
    expect(await balance(acme)).toMatchObject({ balance: '0' }); // 3500 - 3500
    expect((await s.eventsOf(acme, 'top_up.disputed')).map((e) => e.payload)).toEqual([expect.objectContaining({ top_up_id: topUpId, amount: '3500', reason: 'fraudulent' })]);
    const payment = (await h.call('GET', `/v1/accounts/${acme}/payments`)).body.data[0];
    expect(payment).toMatchObject({ id: topUpId, received: '5000', refunded: '5000' });
  });

  it("mails the refund to the account, and the dispute to the provider's operators", async () => {
    expect((await createOperator(h.kassa.db, { email: 'ops@provider.test', name: 'Ops' }, h.kassa.clock.now())).ok).toBe(true);
    await queueNotices(h.kassa, h.kassa.clock.now());
    const sent = await h.kassa.db.select().from(mails).where(eq(mails.accountId, acme)).orderBy(mails.id);
    expect(sent.map((m) => [m.to, m.template])).toEqual([
      ['money@acme.test', 'top_up_received'],
      ['money@acme.test', 'refund_issued'],
      ['ops@provider.test', 'dispute_opened'],
    ]);
    expect(sent[1]!.text).toContain('15.00 EUR of top-up');
    expect(sent[2]!.text).toMatch(/disputed it as fraudulent\. The payment provider withdrew 35\.00 EUR/);
  });

  it('credits a payment whose refund arrives before its success, then debits the refund', async () => {
    const other = await startCardTopUp(acme, '2000');
    const paid = stripe.pay(other.session);
    const otherIntent = stripe.get(other.session).payment_intent as string;
    const [refunded] = stripe.refund(otherIntent, 2000);
    expect((await deliver(refunded!)).body.outcome).toBe('refunded 2000');
    expect((await deliverAll(paid)).map((a) => a.body.outcome)).toEqual(['already credited', 'already credited', expect.stringMatching(/^ignored/)]);
    expect(await balance(acme)).toMatchObject({ balance: '0' }); // + 2000 - 2000
    expect((await verifyLedger(h.kassa.db)).ok).toBe(true);
  });
});

describe("an operator's refund and cancellation", () => {
  let acme: number;
  let topUp: { id: number; session: string };
  const refund = (topUpId: number, body: Record<string, unknown>, headers = key()) => h.call('POST', `/v1/top-ups/${topUpId}/refund`, body, headers);

  beforeAll(async () => {
    acme = (await s.createAccount()).id;
    topUp = await startCardTopUp(acme, '4000');
    await deliverAll(stripe.pay(topUp.session));
  });

  it('refunds part of a card payment through Stripe, debits it at once, and the webhook that follows changes nothing', async () => {
    const headers = key();
    const refunded = await refund(topUp.id, { amount: '1500', reason: 'two days not delivered' }, headers);
    expect(refunded.status).toBe(200);
    expect(refunded.body).toMatchObject({ status: 'succeeded', received: '4000', refunded: '1500' });
    const [call] = stripe.callsTo('POST', '/v1/refunds');
    expect(call).toMatchObject({ body: { payment_intent: stripe.get(topUp.session).payment_intent, amount: '1500', metadata: { kassa_top_up_id: String(topUp.id) } } });
    expect(call!.idempotencyKey).toMatch(new RegExp(`^kassa-top-up-${topUp.id}-refund-[0-9a-f]{32}$`));
    expect(await balance(acme)).toMatchObject({ balance: '2500' }); // 4000 - 1500
    // Stripe's charge.refunded for it: the running total (1500) is already debited.
    const intent = stripe.get(topUp.session).payment_intent as string;
    const charge = stripe.get(stripe.get(intent).latest_charge as string);
    expect((await deliver(stripe.event('charge.refunded', charge))).body.outcome).toBe('already refunded');
    // The same request again is answered from its first answer: Stripe is not asked twice.
    expect((await refund(topUp.id, { amount: '1500', reason: 'two days not delivered' }, headers)).headers['idempotent-replayed']).toBe('true');
    expect(stripe.callsTo('POST', '/v1/refunds')).toHaveLength(1);
    expect(await balance(acme)).toMatchObject({ balance: '2500' });
    expect((await h.call('GET', `/v1/accounts/${acme}/audit`)).body.data.map((e: { action: string }) => e.action)).toContain('top_up.refunded');
  });

  it('never refunds more than was paid and not yet given back', async () => {
    const refused = await refund(topUp.id, { amount: '2501', reason: 'too much' });
    expect(refused).toMatchObject({ status: 400, body: { code: 'amount_out_of_range', field: '/amount', refundable: '2500' } });
    const rest = await refund(topUp.id, { reason: 'closing' }); // no amount: all that is left
    expect(rest.body).toMatchObject({ refunded: '4000' });
    expect((await refund(topUp.id, { amount: '1', reason: 'again' })).body).toMatchObject({ code: 'invalid_state' });
    expect(await balance(acme)).toMatchObject({ balance: '0' });
    expect((await verifyLedger(h.kassa.db)).ok).toBe(true);
  });

  it('refunds a bank transfer by the reference of the transfer back', async () => {
    await h.call('PUT', '/v1/settings/bank-account', { iban: 'DE89370400440532013000', bic: 'COBADEFFXXX', beneficiary: 'Example Cloud GmbH' });
    const asked = (await h.call('POST', `/v1/accounts/${acme}/top-ups`, { method: 'bank_transfer', amount: '3000' }, key())).body.id as number;
    await h.call('POST', `/v1/top-ups/${asked}/confirm`, { amount: '3000', bank_reference: 'IN-1' }, key());
    expect((await refund(asked, { amount: '1000', reason: 'over-paid' })).body).toMatchObject({ code: 'validation_failed', field: '/bank_reference' });
    expect((await refund(asked, { amount: '1000', reason: 'over-paid', bank_reference: 'OUT-1' })).body).toMatchObject({ refunded: '1000' });
    expect(await balance(acme)).toMatchObject({ balance: '2000' }); // 3000 - 1000
  });

  it('cancels a pending card top-up and expires its Checkout at Stripe; a paid one cannot be cancelled', async () => {
    const open = await startCardTopUp(acme, '800');
    const cancelled = await h.call('POST', `/v1/top-ups/${open.id}/cancel`, { reason: 'asked by mistake' });
    expect(cancelled.body).toMatchObject({ status: 'cancelled', card: { checkout_url: null } });
    expect(stripe.get(open.session).status).toBe('expired');
    expect((await s.eventsOf(acme, 'top_up.cancelled')).map((e) => e.payload)).toEqual([expect.objectContaining({ top_up_id: open.id })]);
    expect((await h.call('POST', `/v1/top-ups/${open.id}/cancel`, { reason: 'twice' })).body).toMatchObject({ code: 'invalid_state' });
    expect((await h.call('POST', `/v1/top-ups/${topUp.id}/cancel`, { reason: 'paid' })).body).toMatchObject({ code: 'invalid_state' });
  });
});

describe('what the webhook refuses', () => {
  let acme: number;
  let session: string;

  beforeAll(async () => {
    acme = (await s.createAccount()).id;
    session = (await startCardTopUp(acme, '1200')).session;
  });

  it('refuses a forged, a missing and a stale signature with 400, and writes nothing', async () => {
    const [completed] = stripe.pay(session);
    const forged = await deliver(completed!, { secret: 'whsec_not_the_secret' });
    expect(forged).toMatchObject({ status: 400, body: { code: 'invalid_signature', field: '/headers/stripe-signature' } });
    expect((await deliver(completed!, { signature: null })).body.code).toBe('invalid_signature');
    expect((await deliver(completed!, { signature: 't=1,v1=00' })).body.code).toBe('invalid_signature');
    const stale = await deliver(completed!, { timestamp: Math.floor(Date.now() / 1000) - 600 });
    expect(stale.body).toMatchObject({ code: 'invalid_signature' });
    expect(stale.body.detail).toMatch(/tolerance/i);
    expect(await h.kassa.db.select().from(paymentEvents).where(eq(paymentEvents.eventId, completed!.id))).toEqual([]);
    expect(await balance(acme)).toMatchObject({ balance: '0', pending_top_ups: '1200' });
    // The same event, signed with the real secret, is then taken.
    expect((await deliver(completed!, { secret: FAKE_WEBHOOK_SECRET })).body.outcome).toBe('credited 1200');
  });

  it('keeps deliveries that arrive together in one write, and one the database refuses fails alone', async () => {
    const post = (event: Stripe.Event) => h.app.inject({ method: 'POST', url: '/v1/webhooks/stripe', ...stripe.signed(event) });
    const first = stripe.event('customer.updated', { id: 'cus_first', object: 'customer' });
    // Signed, and JSON, but not storable: PostgreSQL's jsonb holds no \u0000.
    const unstorable = stripe.event('customer.updated', { id: 'cus_bad', object: 'customer', name: 'nul \u0000 here' });
    const second = stripe.event('customer.updated', { id: 'cus_second', object: 'customer' });
    const [a, bad, b] = await Promise.all([post(first), post(unstorable), post(second)]);
    expect([a.statusCode, bad.statusCode, b.statusCode]).toEqual([200, 500, 200]);
    const kept = await h.kassa.db.select({ id: paymentEvents.eventId }).from(paymentEvents).where(inArray(paymentEvents.eventId, [first.id, unstorable.id, second.id]));
    expect(kept.map((k) => k.id).sort()).toEqual([first.id, second.id].sort());
    // A burst of the same event: kept once, the copies answered as duplicates.
    const again = stripe.event('customer.updated', { id: 'cus_again', object: 'customer' });
    const copies = await Promise.all([post(again), post(again), post(again)]);
    expect(copies.map((c) => JSON.parse(c.body).duplicate).sort()).toEqual([false, true, true]);
    await h.kassa.background.settled();
  });

  it('accepts and ignores events Kassa does not act on, and payments that are not its own', async () => {
    const unknown = await deliver(stripe.event('customer.updated', { id: 'cus_x', object: 'customer' }));
    expect(unknown).toMatchObject({ status: 200, body: { duplicate: false, outcome: 'ignored: Kassa does not act on customer.updated' } });
    const foreign = stripe.event('payment_intent.succeeded', { id: 'pi_elsewhere', object: 'payment_intent', amount_received: 100, currency: 'eur', metadata: {}, payment_method: null });
    expect((await deliver(foreign)).body.outcome).toBe('ignored: not a Kassa card top-up');
  });

  it('ignores a payment in another currency than its top-up', async () => {
    const other = await startCardTopUp(acme, '300');
    const [completed] = stripe.pay(other.session);
    const usd = { ...completed!, data: { object: { ...(completed!.data.object as object), currency: 'usd' } } } as Stripe.Event;
    expect((await deliver(usd)).body.outcome).toBe('ignored: paid in USD, the top-up is in EUR');
    expect(await balance(acme)).toMatchObject({ balance: '1200' });
  });
});

describe('bad top-up requests', () => {
  it('refuses card-only fields on a bank transfer, a currency of its own, and bad amounts, creating nothing', async () => {
    const acme = (await s.createAccount()).id;
    const before = stripe.callsTo('POST', '/v1/checkout/sessions').length;
    expect((await h.call('POST', `/v1/accounts/${acme}/top-ups`, { method: 'bank_transfer', amount: '100', save_card: true }, key())).body).toMatchObject({ code: 'validation_failed', field: '/save_card' });
    expect((await cardTopUp(acme, '100', { currency: 'USD' })).body).toMatchObject({ code: 'validation_failed', field: '/currency' });
    for (const amount of ['0', '-1', '1.5', '100000000']) {
      const refused = await cardTopUp(acme, amount);
      expect(refused.status, amount).toBe(400);
      expect(refused.body.field).toBe('/amount');
    }
    expect((await cardTopUp(acme, '100', { success_url: 'javascript:alert(1)' })).body).toMatchObject({ code: 'validation_failed', field: '/success_url' });
    expect(stripe.callsTo('POST', '/v1/checkout/sessions').length).toBe(before);
    expect(await balance(acme)).toMatchObject({ pending_top_ups: '0' });
  });

  it('answers the same Checkout to a retried request, and Stripe sees one session', async () => {
    const acme = (await s.createAccount()).id;
    const headers = key();
    const first = await cardTopUp(acme, '1500', {}, headers);
    const again = await cardTopUp(acme, '1500', {}, headers);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(stripe.callsTo('POST', '/v1/checkout/sessions').filter((c) => (c.body.metadata as Record<string, string>).kassa_account_id === String(acme))).toHaveLength(1);
  });
});

describe('money that resumes what it covers', () => {
  it('resumes a subscription suspended for lack of funds when a card top-up is paid', async () => {
    const lean = (await s.createAccount()).id;
    const plan = await s.createPlan('24.00');
    await s.topUp(lean, '3000');
    const subscription = (await s.subscribe(lean, plan)).subscription.id;
    await s.advanceTo('2026-11-06T00:00:00Z'); // 30.00 - 24.00 on the 2nd: the 3rd's 24.00 is not there
    expect((await s.subscription(subscription)).status).toBe('suspended');
    // Its only subscription is suspended for lack of funds: so is the account (SPEC 1).
    expect((await h.call('GET', `/v1/accounts/${lean}`)).body).toMatchObject({ status: 'suspended', status_reason: 'insufficient_funds' });
    expect((await h.call('GET', '/v1/accounts?limit=200')).body.data.find((a: { id: number }) => a.id === lean)).toMatchObject({ status: 'suspended' });
    const topUp = await startCardTopUp(lean, '5000');
    expect((await s.subscription(subscription)).status).toBe('suspended'); // pending money resumes nothing
    await deliverAll(stripe.pay(topUp.session));
    expect((await s.subscription(subscription)).status).toBe('active');
    expect((await h.call('GET', `/v1/accounts/${lean}`)).body).toMatchObject({ status: 'active', status_reason: null });
  });

  it('keeps an account active while one of its subscriptions still runs', async () => {
    const mixed = (await s.createAccount()).id;
    const cheap = await s.createPlan('1.00');
    const dear = await s.createPlan('40.00');
    await s.topUp(mixed, '4500');
    await s.subscribe(mixed, cheap);
    const suspended = (await s.subscribe(mixed, dear)).subscription.id;
    await s.advanceTo('2026-11-08T00:00:00Z');
    expect((await s.subscription(suspended)).status).toBe('suspended');
    expect((await h.call('GET', `/v1/accounts/${mixed}`)).body).toMatchObject({ status: 'active', status_reason: null });
  });
});

describe('a burst of card payments', () => {
  // Payments kept together (a burst, or what a restart finds) are acted on by one drain: the
  // plain ones credited in one transaction, the rest one at a time, with the same results.
  it('credits the plain ones together and leaves the others to the one-at-a-time path, with the same results', async () => {
    const plain = (await s.createAccount({ name: 'Burst plain' })).id;
    const twice = (await s.createAccount({ name: 'Burst twice' })).id;
    const low = (await s.createAccount({ name: 'Burst low' })).id;
    await h.call('PATCH', `/v1/accounts/${low}`, { low_balance_threshold: '4000' });
    const saving = (await s.createAccount({ name: 'Burst saving' })).id;
    const [lowBefore] = await h.kassa.db.select({ warned: accounts.lowBalanceWarned }).from(accounts).where(eq(accounts.id, low));
    expect(lowBefore!.warned).toBe(true); // 0 < 40.00
    const onePlain = await startCardTopUp(plain, '1200');
    const firstOfTwo = await startCardTopUp(twice, '500');
    const secondOfTwo = await startCardTopUp(twice, '700');
    const lowTopUp = await startCardTopUp(low, '4500');
    const savingTopUp = await startCardTopUp(saving, '900', { save_card: true });
    const plainEvents = stripe.pay(onePlain.session);
    const [plainCompleted, plainSucceeded] = plainEvents;
    const firstEvents = stripe.pay(firstOfTwo.session);
    const secondEvents = stripe.pay(secondOfTwo.session);
    const lowEvents = stripe.pay(lowTopUp.session);
    const savingEvents = stripe.pay(savingTopUp.session);
    const events = [...plainEvents, ...firstEvents, ...secondEvents, ...lowEvents, ...savingEvents];
    // Kept as the webhook keeps them, not acted on yet.
    await h.kassa.db.insert(paymentEvents).values(events.map((e) => ({ provider: 'stripe' as const, eventId: e.id, type: e.type, payload: e, receivedAt: h.kassa.clock.now() })));

    const payments = events.map((e) => paidEvent(e.id, e)).filter((paid) => paid !== null);
    expect(payments).toHaveLength(10); // each pay() also tells of its charge, which Kassa ignores
    const together = await creditTogether(h.kassa, payments);
    expect(Object.fromEntries(together.outcomes)).toEqual({
      [plainCompleted!.id]: 'credited 1200',
      [plainSucceeded!.id]: 'already credited', // the same PaymentIntent
      [firstEvents[0]!.id]: 'credited 500',
      [firstEvents[1]!.id]: 'already credited',
      [lowEvents[0]!.id]: 'credited 4500',
      [lowEvents[1]!.id]: 'already credited',
    });
    // A second payment of one account, and a card to save (Stripe is asked for it), go one by one.
    expect(together.oneByOne).toEqual([...secondEvents.slice(0, 2), ...savingEvents.slice(0, 2)].map((e) => e.id));
    expect(await actOnStripeEvents(h.kassa)).toBe(4 + 5); // and the five charges, ignored

    expect(await balance(plain)).toMatchObject({ balance: '1200' });
    expect(await balance(twice)).toMatchObject({ balance: '1200' }); // 500 + 700
    expect(await balance(low)).toMatchObject({ balance: '4500' });
    expect(await balance(saving)).toMatchObject({ balance: '900' });
    const [lowAfter] = await h.kassa.db.select({ warned: accounts.lowBalanceWarned }).from(accounts).where(eq(accounts.id, low));
    expect(lowAfter!.warned).toBe(false); // 45.00 >= 40.00: re-armed
    expect((await h.call('GET', `/v1/accounts/${saving}/payment-methods`)).body.data).toHaveLength(1);
    const settled = await h.kassa.db.select({ status: topUps.status, received: topUps.amountReceived, requested: topUps.amountRequested }).from(topUps).where(inArray(topUps.id, [onePlain, firstOfTwo, secondOfTwo, lowTopUp, savingTopUp].map((t) => t.id)));
    expect(settled.every((t) => t.status === 'succeeded' && t.received === t.requested)).toBe(true);
    // Credited together or alone, a payment's ledger transaction and event read the same.
    const [alone] = await s.eventsOf(twice, 'top_up.succeeded').then((all) => all.filter((e) => e.payload.top_up_id === secondOfTwo.id));
    const [batched] = await s.eventsOf(twice, 'top_up.succeeded').then((all) => all.filter((e) => e.payload.top_up_id === firstOfTwo.id));
    expect(Object.keys(batched!.payload).sort()).toEqual(Object.keys(alone!.payload).sort());
    expect(batched!.payload).toMatchObject({ account_id: twice, amount: '500', currency: 'EUR', method: 'card', received: '500', requested: '500', automatic: false });
    expect(alone!.payload).toMatchObject({ amount: '700', balance: '1200' });
    const credits = (await s.ledgerOf(twice)).filter((t) => t.kind === 'top_up');
    expect(credits.map((t) => t.description).sort()).toEqual([`Top-up ${firstOfTwo.id} by card`, `Top-up ${secondOfTwo.id} by card`]);
    for (const credit of credits) expect(credit.postings.map((p) => p.ledger_account).sort()).toEqual(['clearing_card', 'customer']);
    expect((await verifyLedger(h.kassa.db)).ok).toBe(true);
  });
});

describe('saved cards', () => {
  let acme: number;

  beforeAll(async () => {
    acme = (await s.createAccount()).id;
  });

  it('keeps a card the customer asked to save: brand, last four digits and expiry only', async () => {
    const topUp = await startCardTopUp(acme, '1000', { save_card: true });
    expect((stripe.get(topUp.session).payment_intent_data as { setup_future_usage?: string }).setup_future_usage).toBe('off_session');
    await deliverAll(stripe.pay(topUp.session, VISA));
    const saved = await h.call('GET', `/v1/accounts/${acme}/payment-methods`);
    expect(saved.body.data).toEqual([{ id: expect.any(Number), type: 'card', brand: 'visa', last4: '4242', exp_month: 12, exp_year: 2030, default: true, created_at: h.kassa.clock.now().toISOString() }]);
  });

  it('keeps no card unless asked', async () => {
    const topUp = await startCardTopUp(acme, '1000');
    await deliverAll(stripe.pay(topUp.session, MASTERCARD));
    expect((await h.call('GET', `/v1/accounts/${acme}/payment-methods`)).body.data).toHaveLength(1);
  });

  it('sets the default, and on removing it detaches the card at Stripe and makes the other the default', async () => {
    const topUp = await startCardTopUp(acme, '1000', { save_card: true });
    await deliverAll(stripe.pay(topUp.session, MASTERCARD));
    const [visa, mastercard] = (await h.call('GET', `/v1/accounts/${acme}/payment-methods`)).body.data;
    expect([visa.default, mastercard.default]).toEqual([true, false]);
    expect((await h.call('POST', `/v1/accounts/${acme}/payment-methods/${mastercard.id}/default`)).body).toMatchObject({ id: mastercard.id, default: true });
    const removed = await h.call('DELETE', `/v1/accounts/${acme}/payment-methods/${mastercard.id}`);
    expect(removed.status).toBe(204);
    expect(stripe.callsTo('POST', `/v1/payment_methods/${stripe.get(topUp.session).payment_intent ? (stripe.get(stripe.get(topUp.session).payment_intent as string).payment_method as string) : ''}/detach`)).toHaveLength(1);
    expect((await h.call('GET', `/v1/accounts/${acme}/payment-methods`)).body.data).toEqual([expect.objectContaining({ id: visa.id, default: true })]);
    expect((await h.call('DELETE', `/v1/accounts/${acme}/payment-methods/${mastercard.id}`)).status).toBe(404);
    const audit = (await h.call('GET', `/v1/accounts/${acme}/audit`)).body.data.map((e: { action: string }) => e.action);
    expect(audit).toEqual(expect.arrayContaining(['payment_method.default_set', 'payment_method.removed']));
  });
});
