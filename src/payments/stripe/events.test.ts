import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { readStripeEvent, topUpIdOf } from './events.js';

const event = (type: string, object: Record<string, unknown>) => ({ id: 'evt_1', type, data: { object } }) as unknown as Stripe.Event;
const meta = { kassa_top_up_id: '42' };

describe('readStripeEvent', () => {
  it.each([
    ['a paid Checkout', event('checkout.session.completed', { mode: 'payment', payment_status: 'paid', payment_intent: 'pi_1', amount_total: 2500, currency: 'eur', metadata: meta }), { kind: 'paid', topUpId: 42, paymentRef: 'pi_1', amount: 2500n, currency: 'eur', paymentMethodRef: null }],
    ['a Checkout completed before a bank debit settles', event('checkout.session.completed', { mode: 'payment', payment_status: 'unpaid', payment_intent: 'pi_1', amount_total: 2500, metadata: meta }), { kind: 'ignored', why: 'completed unpaid' }],
    ['a subscription Checkout', event('checkout.session.completed', { mode: 'subscription', metadata: meta }), { kind: 'ignored', why: 'a subscription session' }],
    ['a succeeded PaymentIntent, expanded', event('payment_intent.succeeded', { id: 'pi_2', amount_received: 700, currency: 'eur', metadata: meta, payment_method: { id: 'pm_1' } }), { kind: 'paid', topUpId: 42, paymentRef: 'pi_2', amount: 700n, currency: 'eur', paymentMethodRef: 'pm_1' }],
    ['a decline that needs 3-D Secure', event('payment_intent.payment_failed', { id: 'pi_3', status: 'requires_action', metadata: meta, last_payment_error: { code: 'authentication_required', message: 'needs authentication' } }), { kind: 'failed', topUpId: 42, paymentRef: 'pi_3', reason: 'needs authentication', needsAuthentication: true }],
    ['a refund: the running total', event('charge.refunded', { id: 'ch_1', payment_intent: 'pi_1', amount_captured: 2500, amount_refunded: 1500, currency: 'eur', metadata: {} }), { kind: 'refunded', topUpId: null, paymentRef: 'pi_1', captured: 2500n, refundedTotal: 1500n, currency: 'eur', chargeRef: 'ch_1' }],
    ['a dispute', event('charge.dispute.created', { id: 'dp_1', payment_intent: 'pi_1', amount: 2500, currency: 'eur', reason: 'fraudulent' }), { kind: 'disputed', topUpId: null, paymentRef: 'pi_1', disputeRef: 'dp_1', amount: 2500n, currency: 'eur', reason: 'fraudulent' }],
    ['an expired Checkout', event('checkout.session.expired', { metadata: meta }), { kind: 'expired', topUpId: 42 }],
    ['anything else', event('invoice.paid', {}), { kind: 'ignored', why: 'Kassa does not act on invoice.paid' }],
  ])('%s', (_name, input, fact) => {
    expect(readStripeEvent(input)).toEqual(fact);
  });

  it.each([[{ kassa_top_up_id: '7' }, 7], [{ kassa_top_up_id: '07' }, null], [{ kassa_top_up_id: '1e3' }, null], [{}, null], [null, null]])('reads the top-up id of %j as %s', (metadata, id) => {
    expect(topUpIdOf(metadata as Stripe.Metadata | null)).toBe(id);
  });
});
