// An operator's refund of a top-up (SPEC 8): full or part, never more than it received and has
// not given back. A card top-up is refunded through Stripe, a PayPal one through PayPal, and
// debited here at once under the refund's id; the webhook that follows (charge.refunded with
// Stripe's running total, PAYMENT.CAPTURE.REFUNDED with the refund's id) finds it debited. A bank transfer is paid back by the operator's own bank: they give its reference.
// The account is locked before Stripe is asked, so a webhook for the same charge waits for this
// refund's debit and then sees it.
import { createHash } from 'node:crypto';
import type Stripe from 'stripe';
import type { Db } from '../db/client.js';
import { type Minor, formatMinor } from '../money/money.js';
import { type Result, abort, fail, ok } from '../shared/result.js';
import { type GivenBack, giveBack, refundable } from './give-back.js';
import { lockTopUp } from './top-ups.js';
import { stripeAmount, stripeFailure } from './stripe/client.js';
import { type PayPalAccess, paypalProblem } from './paypal/client.js';

export interface RefundRequest {
  /** Absent: everything still refundable. */
  amount: Minor | undefined;
  reason: string;
  /** A bank transfer's: the reference of the operator's transfer back. */
  bankReference: string | undefined;
  /** The caller's Idempotency-Key: a retry asks Stripe for the same refund. */
  requestKey: string;
  createdBy: string;
}

export interface Providers {
  stripe: () => Promise<Result<Stripe>>;
  paypal: () => Promise<Result<PayPalAccess>>;
}

export async function refundTopUp(tx: Db, providers: Providers, topUpId: number, request: RefundRequest, at: Date): Promise<Result<GivenBack>> {
  // Locked before a provider is asked: a webhook for the same payment waits for this debit.
  const { topUp } = await lockTopUp(tx, topUpId);
  const left = refundable(topUp);
  if (left <= 0n) return fail('invalid_state', `top-up ${topUpId} has nothing left to refund (received ${topUp.amountReceived}, given back ${topUp.amountRefunded})`);
  const amount = request.amount ?? left;
  if (amount > left) return fail('amount_out_of_range', `top-up ${topUpId} has ${left} left to refund`, { field: '/amount', extra: { refundable: left.toString() } });

  const requestId = `kassa-top-up-${topUpId}-refund-${createHash('sha256').update(request.requestKey).digest('hex').slice(0, 32)}`;
  let externalRef: string;
  if (topUp.method === 'card') {
    const client = await providers.stripe();
    if (!client.ok) return client;
    if (!topUp.paymentRef) return abort('invalid_state', `top-up ${topUpId} has no Stripe payment to refund`);
    try {
      const refund = await client.value.refunds.create(
        { payment_intent: topUp.paymentRef, amount: stripeAmount(amount), reason: 'requested_by_customer', metadata: { kassa_top_up_id: String(topUpId), kassa_reason: request.reason.slice(0, 500) } },
        { idempotencyKey: requestId },
      );
      externalRef = refund.id;
    } catch (error) {
      return stripeFailure(error, 'refund the payment');
    }
  } else if (topUp.method === 'paypal') {
    const client = await providers.paypal();
    if (!client.ok) return client;
    if (!topUp.paymentRef) return abort('invalid_state', `top-up ${topUpId} has no PayPal capture to refund`);
    try {
      const refund = await client.value.payments.refundCapturedPayment({
        captureId: topUp.paymentRef,
        body: { amount: { currencyCode: topUp.currency, value: formatMinor(amount, topUp.currency) }, noteToPayer: request.reason.slice(0, 255), invoiceId: `kassa-top-up-${topUpId}` },
        paypalRequestId: requestId,
        prefer: 'return=representation',
      });
      externalRef = refund.result.id ?? requestId;
    } catch (error) {
      return { ok: false, failure: paypalProblem(error, 'refund the capture') };
    }
  } else if (topUp.method === 'bank_transfer') {
    if (!request.bankReference) return fail('validation_failed', 'a bank transfer is refunded by your own transfer back: give its bank_reference', { field: '/bank_reference' });
    externalRef = `bank:${request.bankReference}`;
  } else {
    return fail('payment_method_unavailable', `${String(topUp.method)} top-ups cannot be refunded`);
  }
  return ok(await giveBack(tx, topUpId, { kind: 'refund', amount, externalRef, createdBy: request.createdBy, reason: request.reason }, at));
}
