// What a Stripe event says about a top-up, read off the event alone (pure). Kassa puts the
// top-up's id in the metadata of every Checkout Session and PaymentIntent it creates; charges
// and disputes name their PaymentIntent, which leads back to the top-up.
import type Stripe from 'stripe';

export type PaymentFact =
  /** The money is there: credit `amount` once for this payment. */
  | { kind: 'paid'; topUpId: number | null; paymentRef: string; amount: bigint; currency: string; paymentMethodRef: string | null }
  /** The attempt failed; the top-up fails unless money already arrived. */
  | { kind: 'failed'; topUpId: number | null; paymentRef: string; reason: string; needsAuthentication: boolean }
  /** The Checkout Session ran out without payment. */
  | { kind: 'expired'; topUpId: number | null }
  /** Refunded so far, in all (Stripe reports the running total): debit what is not yet debited. */
  | { kind: 'refunded'; topUpId: number | null; paymentRef: string; captured: bigint; refundedTotal: bigint; currency: string; chargeRef: string }
  /** A dispute withdrew `amount` from the provider. */
  | { kind: 'disputed'; topUpId: number | null; paymentRef: string; disputeRef: string; amount: bigint; currency: string; reason: string }
  | { kind: 'ignored'; why: string };

const idOf = (value: string | { id: string } | null | undefined): string | null => (value == null ? null : typeof value === 'string' ? value : value.id);

/** The Kassa top-up a Stripe object's metadata names, if any. */
export function topUpIdOf(metadata: Stripe.Metadata | null | undefined): number | null {
  const raw = metadata?.kassa_top_up_id;
  return raw && /^[1-9][0-9]{0,15}$/.test(raw) ? Number(raw) : null;
}

export function readStripeEvent(event: Stripe.Event): PaymentFact {
  switch (event.type) {
    case 'checkout.session.completed':
    case 'checkout.session.async_payment_succeeded': {
      const session = event.data.object;
      if (session.mode !== 'payment') return { kind: 'ignored', why: `a ${session.mode} session` };
      // A bank debit in Checkout completes unpaid; its async_payment_succeeded brings the money.
      if (session.payment_status !== 'paid') return { kind: 'ignored', why: `completed ${session.payment_status}` };
      const paymentRef = idOf(session.payment_intent);
      if (!paymentRef || session.amount_total == null) return { kind: 'ignored', why: 'no payment intent' };
      return { kind: 'paid', topUpId: topUpIdOf(session.metadata), paymentRef, amount: BigInt(session.amount_total), currency: session.currency ?? '', paymentMethodRef: null };
    }
    case 'checkout.session.async_payment_failed': {
      const session = event.data.object;
      const paymentRef = idOf(session.payment_intent);
      return paymentRef ? { kind: 'failed', topUpId: topUpIdOf(session.metadata), paymentRef, reason: 'the payment did not go through', needsAuthentication: false } : { kind: 'ignored', why: 'no payment intent' };
    }
    case 'checkout.session.expired':
      return { kind: 'expired', topUpId: topUpIdOf(event.data.object.metadata) };
    case 'payment_intent.succeeded': {
      const intent = event.data.object;
      return { kind: 'paid', topUpId: topUpIdOf(intent.metadata), paymentRef: intent.id, amount: BigInt(intent.amount_received), currency: intent.currency, paymentMethodRef: idOf(intent.payment_method) };
    }
    case 'payment_intent.payment_failed': {
      const intent = event.data.object;
      const error = intent.last_payment_error;
      const needsAuthentication = error?.code === 'authentication_required' || intent.status === 'requires_action';
      return { kind: 'failed', topUpId: topUpIdOf(intent.metadata), paymentRef: intent.id, reason: error?.message ?? 'the payment was declined', needsAuthentication };
    }
    case 'charge.refunded': {
      const charge = event.data.object;
      const paymentRef = idOf(charge.payment_intent);
      if (!paymentRef) return { kind: 'ignored', why: 'a charge without a payment intent' };
      return { kind: 'refunded', topUpId: topUpIdOf(charge.metadata), paymentRef, captured: BigInt(charge.amount_captured), refundedTotal: BigInt(charge.amount_refunded), currency: charge.currency, chargeRef: charge.id };
    }
    case 'charge.dispute.created': {
      const dispute = event.data.object;
      const paymentRef = idOf(dispute.payment_intent);
      if (!paymentRef) return { kind: 'ignored', why: 'a dispute without a payment intent' };
      return { kind: 'disputed', topUpId: null, paymentRef, disputeRef: dispute.id, amount: BigInt(dispute.amount), currency: dispute.currency, reason: dispute.reason };
    }
    default:
      return { kind: 'ignored', why: `Kassa does not act on ${event.type}` };
  }
}
