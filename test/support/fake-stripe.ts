// A small stateful Stripe for the tests, speaking Stripe's HTTP API for the endpoints Kassa
// uses (customers, Checkout Sessions, PaymentIntents, PaymentMethods, refunds), with Stripe's
// form-encoded bodies, Idempotency-Key replays and error shapes. What a customer does on
// Stripe's page (pay, be declined, walk away) and what Stripe does later (refunds, disputes)
// are methods here that answer the events Stripe would send; `signed` turns an event into a
// delivery signed as Stripe signs it (stripe.webhooks.generateTestHeaderString).
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';

export const FAKE_STRIPE_KEY = 'sk_test_kassa_fake';
export const FAKE_WEBHOOK_SECRET = 'whsec_kassa_fake_secret';

export interface FakeCard {
  brand: string;
  last4: string;
  exp_month: number;
  exp_year: number;
  /** What an off-session charge on it does. */
  behaviour?: 'succeeds' | 'declines' | 'requires_authentication';
}

export const VISA: FakeCard = { brand: 'visa', last4: '4242', exp_month: 12, exp_year: 2030 };
export const MASTERCARD: FakeCard = { brand: 'mastercard', last4: '4444', exp_month: 3, exp_year: 2031 };

type Obj = Record<string, unknown> & { id: string };
interface Call { method: string; path: string; idempotencyKey: string | undefined; body: Record<string, unknown> }

/** Stripe's bracket notation: `metadata[a]=1&line_items[0][quantity]=1`. */
export function parseStripeForm(text: string): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [rawKey, value] of new URLSearchParams(text)) {
    const path = rawKey.replace(/\]/g, '').split('[');
    let node: Record<string, unknown> = root;
    path.forEach((part, i) => {
      if (i === path.length - 1) node[part] = value;
      else node = (node[part] ??= /^\d+$/.test(path[i + 1]!) ? [] : {}) as Record<string, unknown>;
    });
  }
  return root;
}

export class FakeStripe {
  readonly calls: Call[] = [];
  readonly objects = new Map<string, Obj>();
  private readonly replies = new Map<string, { status: number; body: unknown }>();
  private counter = 0;
  private eventCounter = 0;
  private server = createServer((request, response) => void this.handle(request, response));
  url = '';

  static async start(): Promise<FakeStripe> {
    const fake = new FakeStripe();
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  settings() {
    return { stripe: { secretKey: FAKE_STRIPE_KEY, webhookSecret: FAKE_WEBHOOK_SECRET, apiBase: this.url } };
  }

  get<T = Obj>(id: string): T {
    const found = this.objects.get(id);
    if (!found) throw new Error(`the fake Stripe has no ${id}`);
    return found as unknown as T;
  }

  callsTo(method: string, path: string): Call[] {
    return this.calls.filter((c) => c.method === method && c.path === path);
  }

  // ---------- what happens on Stripe's side ----------

  /** The customer pays a Checkout Session: its events, in the order Stripe usually sends them. */
  pay(sessionId: string, card: FakeCard = VISA): Stripe.Event[] {
    const session = this.get(sessionId);
    const intentData = (session.payment_intent_data ?? {}) as { metadata?: Record<string, string>; setup_future_usage?: string };
    const method = this.paymentMethod(card, session.customer as string);
    const intent = this.intent({ amount: session.amount_total as number, currency: session.currency as string, customer: session.customer as string, metadata: intentData.metadata ?? {}, setup_future_usage: intentData.setup_future_usage ?? null, payment_method: method.id });
    this.succeed(intent);
    Object.assign(session, { status: 'complete', payment_status: 'paid', payment_intent: intent.id });
    const charge = this.get(intent.latest_charge as string);
    return [this.event('checkout.session.completed', session), this.event('payment_intent.succeeded', intent), this.event('charge.succeeded', charge)];
  }

  /** The card is declined on the Checkout page: the attempt's PaymentIntent fails. */
  decline(sessionId: string, message = 'Your card was declined.'): Stripe.Event[] {
    const session = this.get(sessionId);
    const intentData = (session.payment_intent_data ?? {}) as { metadata?: Record<string, string> };
    const intent = this.intent({ amount: session.amount_total as number, currency: session.currency as string, customer: session.customer as string, metadata: intentData.metadata ?? {}, setup_future_usage: null, payment_method: null });
    Object.assign(intent, { status: 'requires_payment_method', last_payment_error: { type: 'card_error', code: 'card_declined', message } });
    return [this.event('payment_intent.payment_failed', intent)];
  }

  /** The customer walked away and the session ran out. */
  expire(sessionId: string): Stripe.Event[] {
    const session = this.get(sessionId);
    Object.assign(session, { status: 'expired' });
    return [this.event('checkout.session.expired', session)];
  }

  /** What off-session charges of a saved card do from now on. */
  cardBehaves(paymentMethodId: string, behaviour: NonNullable<FakeCard['behaviour']>): void {
    this.get(paymentMethodId).behaviour = behaviour;
  }

  /** The PaymentIntents made off-session (automatic top-ups), oldest first. */
  offSessionIntents(): Obj[] {
    return [...this.objects.values()].filter((o) => o.object === 'payment_intent' && o.off_session === true);
  }

  /** A refund made on Stripe's dashboard (or through the API): charge.refunded with the running total. */
  refund(paymentIntentId: string, amount: number): Stripe.Event[] {
    const charge = this.refundCharge(paymentIntentId, amount);
    return [this.event('charge.refunded', charge)];
  }

  /** The cardholder disputes the payment. */
  dispute(paymentIntentId: string, amount: number, reason = 'fraudulent'): Stripe.Event[] {
    const intent = this.get(paymentIntentId);
    const dispute = this.create('dp', { object: 'dispute', amount, currency: intent.currency, charge: intent.latest_charge, payment_intent: intent.id, reason, status: 'needs_response' });
    return [this.event('charge.dispute.created', dispute)];
  }

  /** Any event, for the ones Kassa ignores. */
  event(type: string, object: Obj): Stripe.Event {
    return { id: `evt_${++this.eventCounter}_${type.replace(/\./g, '_')}`, object: 'event', api_version: '2026-10-28.endive', created: Math.floor(Date.now() / 1000), livemode: false, pending_webhooks: 1, request: { id: null, idempotency_key: null }, type, data: { object: structuredClone(object) } } as unknown as Stripe.Event;
  }

  /** A delivery as Stripe sends it: the JSON body and its Stripe-Signature header. */
  signed(event: Stripe.Event, options: { secret?: string; timestamp?: number } = {}): { payload: string; headers: Record<string, string> } {
    const payload = JSON.stringify(event);
    const header = Stripe.webhooks.generateTestHeaderString({ payload, secret: options.secret ?? FAKE_WEBHOOK_SECRET, ...(options.timestamp === undefined ? {} : { timestamp: options.timestamp }) });
    return { payload, headers: { 'content-type': 'application/json', 'stripe-signature': header } };
  }

  // ---------- objects ----------

  private create(prefix: string, fields: Record<string, unknown>): Obj {
    const object = { id: `${prefix}_test_${++this.counter}`, created: Math.floor(Date.now() / 1000), livemode: false, ...fields };
    this.objects.set(object.id, object);
    return object;
  }

  private paymentMethod(card: FakeCard, customer: string | null): Obj {
    const { behaviour = 'succeeds', ...shown } = card;
    return this.create('pm', { object: 'payment_method', type: 'card', customer, card: { ...shown, country: 'DE', funding: 'credit' }, behaviour });
  }

  private intent(fields: { amount: number; currency: string; customer: string | null; metadata: Record<string, string>; setup_future_usage: string | null; payment_method: string | null }): Obj {
    return this.create('pi', { object: 'payment_intent', status: 'requires_payment_method', amount_received: 0, latest_charge: null, last_payment_error: null, ...fields });
  }

  private succeed(intent: Obj): void {
    const charge = this.create('ch', { object: 'charge', amount: intent.amount, amount_captured: intent.amount, amount_refunded: 0, currency: intent.currency, payment_intent: intent.id, paid: true, refunded: false, status: 'succeeded', metadata: {}, customer: intent.customer, payment_method: intent.payment_method });
    Object.assign(intent, { status: 'succeeded', amount_received: intent.amount, latest_charge: charge.id });
  }

  private refundCharge(paymentIntentId: string, amount: number): Obj {
    const intent = this.get(paymentIntentId);
    const charge = this.get(intent.latest_charge as string);
    const refunded = (charge.amount_refunded as number) + amount;
    if (refunded > (charge.amount_captured as number)) throw new StripeFailure(400, 'invalid_request_error', 'charge_already_refunded', `Refund amount (${amount}) is greater than unrefunded amount on charge`);
    Object.assign(charge, { amount_refunded: refunded, refunded: refunded === charge.amount_captured });
    return charge;
  }

  // ---------- the HTTP API ----------

  private async handle(request: IncomingMessage, response: ServerResponse) {
    let text = '';
    for await (const chunk of request) text += chunk;
    const url = new URL(request.url ?? '/', 'http://stripe.test');
    const body = request.method === 'GET' ? parseStripeForm(url.search.slice(1)) : parseStripeForm(text);
    const idempotencyKey = request.headers['idempotency-key'] as string | undefined;
    this.calls.push({ method: request.method ?? '', path: url.pathname, idempotencyKey, body });
    const send = (status: number, answer: unknown) => response.writeHead(status, { 'content-type': 'application/json', 'request-id': `req_${this.counter}` }).end(JSON.stringify(answer));
    if (request.headers.authorization !== `Bearer ${FAKE_STRIPE_KEY}`) return send(401, { error: { type: 'invalid_request_error', message: 'Invalid API Key provided' } });
    const replayKey = idempotencyKey && `${request.method} ${url.pathname} ${idempotencyKey}`;
    const replay = replayKey ? this.replies.get(replayKey) : undefined;
    if (replay) return send(replay.status, replay.body);
    let reply: { status: number; body: unknown };
    try {
      reply = { status: 200, body: this.route(request.method ?? '', url.pathname, body) };
    } catch (error) {
      if (!(error instanceof StripeFailure)) throw error;
      reply = { status: error.status, body: { error: { type: error.type, code: error.code, message: error.message, ...error.extra } } };
    }
    if (replayKey && request.method === 'POST') this.replies.set(replayKey, reply);
    send(reply.status, reply.body);
  }

  private route(method: string, path: string, body: Record<string, unknown>): unknown {
    const [, , resource, id, action] = path.split('/');
    const metadata = (body.metadata ?? {}) as Record<string, string>;
    if (method === 'POST' && path === '/v1/customers') return this.create('cus', { object: 'customer', name: body.name ?? null, email: body.email ?? null, metadata });
    if (method === 'POST' && path === '/v1/checkout/sessions') {
      const items = body.line_items as { quantity: string; price_data: { currency: string; unit_amount: string } }[];
      const amount = items.reduce((sum, item) => sum + Number(item.price_data.unit_amount) * Number(item.quantity), 0);
      const session = this.create('cs', {
        object: 'checkout.session', mode: body.mode, status: 'open', payment_status: 'unpaid', amount_total: amount, currency: items[0]!.price_data.currency,
        customer: body.customer, client_reference_id: body.client_reference_id ?? null, metadata, payment_intent: null, payment_intent_data: body.payment_intent_data ?? {},
        success_url: body.success_url, cancel_url: body.cancel_url,
      });
      session.url = `https://checkout.stripe.test/c/pay/${session.id}`;
      return session;
    }
    if (method === 'POST' && path === '/v1/payment_intents') return this.offSession(body);
    if (method === 'POST' && path === '/v1/refunds') {
      const amount = body.amount === undefined ? undefined : Number(body.amount);
      const intent = this.get(body.payment_intent as string);
      const charge = this.get(intent.latest_charge as string);
      const refundAmount = amount ?? (charge.amount_captured as number) - (charge.amount_refunded as number);
      this.refundCharge(intent.id, refundAmount);
      return this.create('re', { object: 'refund', amount: refundAmount, charge: charge.id, payment_intent: intent.id, currency: intent.currency, status: 'succeeded', metadata });
    }
    if (resource === 'payment_intents' && method === 'GET' && id) {
      const intent = this.found(id);
      const expand = Object.values((body.expand ?? {}) as Record<string, string>);
      return expand.includes('payment_method') && intent.payment_method ? { ...intent, payment_method: this.found(intent.payment_method as string) } : intent;
    }
    if (resource === 'payment_methods' && method === 'GET' && id) return this.found(id);
    if (resource === 'payment_methods' && method === 'POST' && id && action === 'detach') {
      const found = this.found(id);
      if (!found.customer) throw new StripeFailure(400, 'invalid_request_error', 'payment_method_not_attached', 'The payment method you provided is not attached to a customer so detachment is impossible.');
      found.customer = null;
      return found;
    }
    if (resource === 'checkout' && method === 'GET') return this.found(path.split('/')[4]!);
    if (resource === 'checkout' && method === 'POST' && path.endsWith('/expire')) {
      const session = this.found(path.split('/')[4]!);
      if (session.status !== 'open') throw new StripeFailure(400, 'invalid_request_error', 'checkout_session_not_open', `Only Checkout Sessions with a status of open can be expired; this one is ${session.status}.`);
      session.status = 'expired';
      return session;
    }
    throw new StripeFailure(404, 'invalid_request_error', 'resource_missing', `Unrecognized request URL (${method}: ${path})`);
  }

  /** An off-session charge of a saved card: the card's behaviour decides. */
  private offSession(body: Record<string, unknown>): Obj {
    const method = this.found(body.payment_method as string);
    const intent = this.intent({ amount: Number(body.amount), currency: body.currency as string, customer: body.customer as string, metadata: (body.metadata ?? {}) as Record<string, string>, setup_future_usage: null, payment_method: method.id });
    intent.off_session = body.off_session === 'true';
    if (method.behaviour === 'succeeds') {
      this.succeed(intent);
      return intent;
    }
    const needsAuthentication = method.behaviour === 'requires_authentication';
    Object.assign(intent, needsAuthentication ? { status: 'requires_action' } : { status: 'requires_payment_method' });
    const error = needsAuthentication
      ? { code: 'authentication_required', decline_code: 'authentication_required', message: 'Your card was declined. This transaction requires authentication.' }
      : { code: 'card_declined', decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.' };
    intent.last_payment_error = { type: 'card_error', ...error };
    throw new StripeFailure(402, 'card_error', error.code, error.message, { decline_code: error.decline_code, payment_intent: intent });
  }

  private found(id: string): Obj {
    const object = this.objects.get(id);
    if (!object) throw new StripeFailure(404, 'invalid_request_error', 'resource_missing', `No such object: '${id}'`);
    return object;
  }
}

class StripeFailure extends Error {
  constructor(readonly status: number, readonly type: string, readonly code: string, message: string, readonly extra: Record<string, unknown> = {}) {
    super(message);
  }
}
