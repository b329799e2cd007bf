// The payment providers over HTTP: Stripe's and PayPal's webhooks (public, each verified),
// the capture of an approved PayPal order, an account's saved cards and its automatic top-up
// (owner and billing members manage them; viewers read them).
import { eq } from 'drizzle-orm';
import { Type } from 'typebox';
import { AmountString, parsePositiveAmount } from '../accounts/amount.js';
import { accounts } from '../db/schema.js';
import { autoTopUpJson, readAutoTopUp, setAutoTopUp } from './auto-top-up.js';
import { inTransaction } from '../accounts/transaction.js';
import { recordAudit } from '../audit/record.js';
import type { KassaApp } from '../http/kassa-app.js';
import { problemResponses, sendProblem } from '../shared/problem.js';
import { listPaymentMethods, paymentMethodJson, removePaymentMethod, setDefaultPaymentMethod } from './payment-methods.js';
import { stripeFor } from './stripe/client.js';
import { receiveStripeWebhook } from './stripe/webhook.js';
import { paypalFor } from './paypal/client.js';
import { capturePayPalTopUp } from './paypal/paypal-top-up.js';
import { receivePayPalWebhook } from './paypal/webhook.js';
import { TopUpSchema } from './routes.js';
import { topUpJson } from './top-ups.js';

const WEBHOOK_LIMIT_BYTES = 1024 * 1024;
const Id = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
const MethodParams = Type.Object({ id: Id, method_id: Id });

const PaymentMethodSchema = Type.Object(
  {
    id: Type.Integer(),
    type: Type.Literal('card'),
    brand: Type.String({ description: "as Stripe names it: visa, mastercard, amex..." }),
    last4: Type.String(),
    exp_month: Type.Integer(),
    exp_year: Type.Integer(),
    default: Type.Boolean({ description: 'the card automatic top-up charges' }),
    created_at: Type.String({ format: 'date-time' }),
  },
  { title: 'PaymentMethod', examples: [{ id: 1, type: 'card', brand: 'visa', last4: '4242', exp_month: 12, exp_year: 2030, default: true, created_at: '2026-11-02T13:00:00.000Z' }] },
);
const PaymentMethodList = Type.Object({ data: Type.Array(PaymentMethodSchema) }, { title: 'PaymentMethodList' });
const WebhookOutcomeSchema = Type.Object(
  {
    event_id: Type.String(),
    type: Type.String(),
    duplicate: Type.Boolean({ description: 'this event was received before: nothing was done again' }),
    outcome: Type.String({ description: "what Kassa did: for Stripe, queued (acted on just after the answer) or already received; for PayPal, credited, refunded, ignored (and why)..." }),
  },
  { title: 'WebhookOutcome', examples: [{ event_id: 'evt_1', type: 'payment_intent.succeeded', duplicate: false, outcome: 'queued' }] },
);

const AutoTopUpBody = Type.Object(
  {
    enabled: Type.Boolean(),
    threshold: AmountString,
    amount: Type.Optional(AmountString),
    top_up_to: Type.Optional(AmountString),
    monthly_cap: AmountString,
  },
  {
    title: 'SetAutoTopUp',
    additionalProperties: false,
    description: 'When available falls below `threshold`, charge the default saved card `amount`, or what brings available up to `top_up_to` (give one of the two); at most `monthly_cap` a calendar month',
    examples: [{ enabled: true, threshold: '1000', amount: '5000', monthly_cap: '20000' }, { enabled: true, threshold: '1000', top_up_to: '10000', monthly_cap: '50000' }],
  },
);
const NullableMinor = Type.Union([Type.String({ pattern: '^[0-9]+$' }), Type.Null()]);
const AutoTopUpSchema = Type.Object(
  {
    enabled: Type.Boolean(),
    threshold: NullableMinor,
    amount: NullableMinor,
    top_up_to: NullableMinor,
    monthly_cap: NullableMinor,
    paused: Type.Boolean({ description: 'after three failures in a row; saving a card again resumes it' }),
    paused_reason: Type.Union([Type.String(), Type.Null()]),
    failures_in_a_row: Type.Integer(),
    spent_this_month: Type.String({ pattern: '^[0-9]+$' }),
  },
  { title: 'AutoTopUp', examples: [{ enabled: true, threshold: '1000', amount: '5000', top_up_to: null, monthly_cap: '20000', paused: false, paused_reason: null, failures_in_a_row: 0, spent_this_month: '5000' }] },
);

export async function providerRoutes(app: KassaApp) {
  const { kassa } = app;
  const tags = ['top-ups'];

  // The bodies are verified byte for byte, so this scope keeps them raw.
  await app.register(async (child) => {
    child.removeContentTypeParser('application/json');
    child.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: WEBHOOK_LIMIT_BYTES }, (_request, body, done) => done(null, body));
    (child as KassaApp).post(
      '/webhooks/paypal',
      {
        config: { access: 'public' },
        bodyLimit: WEBHOOK_LIMIT_BYTES,
        schema: {
          tags,
          security: [],
          summary: "PayPal's webhook: deliveries PayPal vouches for capture, credit, fail, refund or reverse PayPal top-ups, each once",
          description: 'Subscribe the webhook of your PayPal REST app (its id is PAYPAL_WEBHOOK_ID) to CHECKOUT.ORDER.APPROVED, PAYMENT.CAPTURE.COMPLETED, PAYMENT.CAPTURE.DENIED, PAYMENT.CAPTURE.REFUNDED and PAYMENT.CAPTURE.REVERSED. Each delivery is verified by PayPal (verify-webhook-signature). Other events are accepted and ignored.',
          response: { 200: WebhookOutcomeSchema, ...problemResponses(422, 502) },
        },
      },
      async (request, reply) => {
        const paypal = await paypalFor(kassa);
        if (!paypal.ok) return sendProblem(reply, paypal.failure);
        const body = Buffer.isBuffer(request.body) ? request.body.toString('utf8') : '';
        const received = await receivePayPalWebhook(kassa, paypal.value, body, request.headers, request.log);
        return received.ok ? received.value : sendProblem(reply, received.failure);
      },
    );
    (child as KassaApp).post(
      '/webhooks/stripe',
      {
        config: { access: 'public' },
        bodyLimit: WEBHOOK_LIMIT_BYTES,
        schema: {
          tags,
          security: [],
          summary: "Stripe's webhook: signed events (Stripe-Signature) credit, fail, refund or dispute card top-ups, each event once",
          description: 'Point a Stripe webhook endpoint here with the events checkout.session.completed, checkout.session.expired, checkout.session.async_payment_succeeded, checkout.session.async_payment_failed, payment_intent.succeeded, payment_intent.payment_failed, charge.refunded and charge.dispute.created; set its signing secret as STRIPE_WEBHOOK_SECRET. Other events are accepted and ignored.',
          headers: Type.Object({ 'stripe-signature': Type.Optional(Type.String({ description: "Stripe's signature of the raw body" })) }),
          response: { 200: WebhookOutcomeSchema, ...problemResponses(422) },
        },
      },
      async (request, reply) => {
        const stripe = await stripeFor(kassa);
        if (!stripe.ok) return sendProblem(reply, stripe.failure);
        const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const received = await receiveStripeWebhook(kassa, stripe.value, body, request.headers['stripe-signature'], request.log);
        if (!received.ok) return sendProblem(reply, received.failure);
        return received.value;
      },
    );
  });

  app.post(
    '/top-ups/:id/capture',
    {
      schema: {
        tags,
        summary: "Capture a PayPal top-up the buyer approved (staff), for a product that brings the buyer back to its own page: credits what PayPal took, once; Kassa's own return page and PayPal's webhook do the same",
        params: Type.Object({ id: Id }),
        response: { 200: TopUpSchema, ...problemResponses(403, 404, 409, 422, 502) },
      },
    },
    async (request, reply) => {
      const paypal = await paypalFor(kassa);
      if (!paypal.ok) return sendProblem(reply, paypal.failure);
      const captured = await capturePayPalTopUp(kassa, paypal.value, request.params.id, kassa.clock.now());
      return captured.ok ? topUpJson(captured.value, null) : sendProblem(reply, captured.failure);
    },
  );

  app.get(
    '/accounts/:id/auto-top-up',
    { config: { access: 'billing:read' }, schema: { tags, summary: "An account's automatic top-up: its settings, whether it is paused, and what it charged this month", params: Type.Object({ id: Id }), response: { 200: AutoTopUpSchema, ...problemResponses(403, 404) } } },
    async (request, reply) => {
      const account = await kassa.db.select({ id: accounts.id }).from(accounts).where(eq(accounts.id, request.params.id));
      if (account.length === 0) return sendProblem(reply, { code: 'not_found', detail: `no account ${request.params.id}` });
      return autoTopUpJson(await readAutoTopUp(kassa.db, request.params.id), kassa.clock.now());
    },
  );

  app.put(
    '/accounts/:id/auto-top-up',
    { config: { access: 'billing:write' }, schema: { tags, summary: 'Set automatic top-up: a threshold, an amount or a target, and a monthly cap; charged off-session to the default saved card once per crossing', params: Type.Object({ id: Id }), body: AutoTopUpBody, response: { 200: AutoTopUpSchema, ...problemResponses(403, 404, 409, 422) } } },
    async (request, reply) => {
      const accountId = request.params.id;
      const parsed: Record<string, bigint | null> = {};
      for (const field of ['threshold', 'amount', 'top_up_to', 'monthly_cap'] as const) {
        const text = request.body[field];
        if (text === undefined) {
          parsed[field] = null;
          continue;
        }
        const amount = parsePositiveAmount(text, `/${field}`);
        if (!amount.ok) return sendProblem(reply, amount.failure);
        parsed[field] = amount.value;
      }
      const at = kassa.clock.now();
      const set = await inTransaction(kassa.db, async (tx) => {
        const row = await setAutoTopUp(tx, accountId, { enabled: request.body.enabled, threshold: parsed.threshold!, amount: parsed.amount!, target: parsed.top_up_to!, monthlyCap: parsed.monthly_cap! }, at);
        await recordAudit(tx, request.principal, { action: 'auto_top_up.set', accountId, target: `account:${accountId}`, data: { ...request.body }, ip: request.ip, at });
        return autoTopUpJson(row, at);
      });
      return set.ok ? set.value : sendProblem(reply, set.failure);
    },
  );

  app.get(
    '/accounts/:id/payment-methods',
    { config: { access: 'billing:read' }, schema: { tags, summary: "An account's saved cards: what Stripe shows of them, never card data", params: Type.Object({ id: Id }), response: { 200: PaymentMethodList, ...problemResponses(403, 404) } } },
    async (request) => ({ data: (await listPaymentMethods(kassa.db, request.params.id)).map(paymentMethodJson) }),
  );

  app.post(
    '/accounts/:id/payment-methods/:method_id/default',
    { config: { access: 'billing:write' }, schema: { tags, summary: 'Make a saved card the one automatic top-up charges', params: MethodParams, response: { 200: PaymentMethodSchema, ...problemResponses(403, 404) } } },
    async (request, reply) => {
      const { id: accountId, method_id: methodId } = request.params;
      const set = await inTransaction(kassa.db, async (tx) => {
        const method = await setDefaultPaymentMethod(tx, accountId, methodId);
        await recordAudit(tx, request.principal, { action: 'payment_method.default_set', accountId, target: `payment_method:${methodId}`, data: { brand: method.brand, last4: method.last4 }, ip: request.ip, at: kassa.clock.now() });
        return paymentMethodJson(method);
      });
      return set.ok ? set.value : sendProblem(reply, set.failure);
    },
  );

  app.delete(
    '/accounts/:id/payment-methods/:method_id',
    { config: { access: 'billing:write' }, schema: { tags, summary: 'Remove a saved card: detached at Stripe, then forgotten', params: MethodParams, response: { 204: Type.Null({ description: 'removed; no body' }), ...problemResponses(403, 404, 422, 502) } } },
    async (request, reply) => {
      const { id: accountId, method_id: methodId } = request.params;
      const stripe = await stripeFor(kassa);
      if (!stripe.ok) return sendProblem(reply, stripe.failure);
      const removed = await inTransaction(kassa.db, async (tx) => {
        const method = await removePaymentMethod(tx, stripe.value.stripe, accountId, methodId);
        if (method.ok) await recordAudit(tx, request.principal, { action: 'payment_method.removed', accountId, target: `payment_method:${methodId}`, data: { brand: method.value.brand, last4: method.value.last4 }, ip: request.ip, at: kassa.clock.now() });
        return method;
      });
      const failure = !removed.ok ? removed.failure : !removed.value.ok ? removed.value.failure : undefined;
      return failure ? sendProblem(reply, failure) : reply.code(204).send(null);
    },
  );
}
