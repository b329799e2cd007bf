// Card payments over HTTP: Stripe's webhook (public, verified by its signature) and an
// account's saved cards (owner and billing members manage them; viewers read them).
import { Type } from 'typebox';
import { inTransaction } from '../accounts/transaction.js';
import { recordAudit } from '../audit/record.js';
import type { KassaApp } from '../http/kassa-app.js';
import { problemResponses, sendProblem } from '../shared/problem.js';
import { listPaymentMethods, paymentMethodJson, removePaymentMethod, setDefaultPaymentMethod } from './payment-methods.js';
import { stripeFor } from './stripe/client.js';
import { receiveStripeWebhook } from './stripe/webhook.js';

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
    outcome: Type.String({ description: 'what Kassa did: credited, failed, refunded, ignored (and why)' }),
  },
  { title: 'WebhookOutcome', examples: [{ event_id: 'evt_1', type: 'payment_intent.succeeded', duplicate: false, outcome: 'credited 2500' }] },
);

export async function cardRoutes(app: KassaApp) {
  const { kassa } = app;
  const tags = ['top-ups'];

  // The body is verified byte for byte, so this scope keeps it raw.
  await app.register(async (child) => {
    child.removeContentTypeParser('application/json');
    child.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: WEBHOOK_LIMIT_BYTES }, (_request, body, done) => done(null, body));
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
        const stripe = stripeFor(kassa);
        if (!stripe.ok) return sendProblem(reply, stripe.failure);
        const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const received = await receiveStripeWebhook(kassa, stripe.value, body, request.headers['stripe-signature'], request.log);
        if (!received.ok) return sendProblem(reply, received.failure);
        return received.value;
      },
    );
  });

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
      const stripe = stripeFor(kassa);
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
