// Stripe's webhook (SPEC 8). The raw body is verified against STRIPE_WEBHOOK_SECRET (a wrong
// or missing signature, or a timestamp over five minutes old, is refused and nothing is
// written). Each event id is recorded in the transaction that acts on it, so a delivery seen
// twice changes nothing; and what an event does depends only on what it says, never on the
// order events arrive in: a payment is credited once by its PaymentIntent whichever of
// checkout.session.completed and payment_intent.succeeded comes first; a refund or dispute that
// arrives before either first credits the payment it proves; refunds are debited up to the
// running total Stripe reports, so an older refund event arriving late debits nothing.
import { and, eq } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import type Stripe from 'stripe';
import { lockAccount } from '../../accounts/lock.js';
import { inTransaction } from '../../accounts/transaction.js';
import type { Kassa } from '../../context.js';
import type { Db } from '../../db/client.js';
import { paymentEvents, topUpReceipts, topUps } from '../../db/schema.js';
import { writeOutbox } from '../../outbox/write.js';
import { type Result, fail, ok } from '../../shared/result.js';
import { giveBack, refundedByRefunds } from '../give-back.js';
import { type SavedCard, cardOf, saveCard } from '../payment-methods.js';
import { AUTO_TOP_UP_ACTOR, type TopUp, receiveTopUp } from '../top-ups.js';
import type { StripeAccess } from './client.js';
import { type PaymentFact, readStripeEvent, topUpIdOf } from './events.js';

export interface WebhookOutcome {
  event_id: string;
  type: string;
  duplicate: boolean;
  /** What Kassa did: credited, failed, refunded, ignored (and why)... */
  outcome: string;
}

/** Verifies one delivery and acts on it once. */
export async function receiveStripeWebhook(kassa: Kassa, access: StripeAccess, rawBody: Buffer, signature: string | undefined, log: FastifyBaseLogger): Promise<Result<WebhookOutcome>> {
  let event: Stripe.Event;
  try {
    event = access.stripe.webhooks.constructEvent(rawBody, signature ?? '', access.settings.webhookSecret);
  } catch (error) {
    return fail('invalid_signature', `the Stripe-Signature header does not verify: ${(error as Error).message}`, { field: '/headers/stripe-signature' });
  }
  const outcome = await actOnStripeEvent(kassa, access.stripe, event);
  log.info({ stripe_event: event.id, type: event.type, duplicate: outcome.duplicate, outcome: outcome.outcome }, 'stripe webhook');
  return ok(outcome);
}

/** What an event needs that Stripe has to be asked for, fetched before the transaction. */
interface Prepared {
  fact: PaymentFact;
  topUp: TopUp | undefined;
  /** The card to keep, when the customer asked for it and the payment is new. */
  card: SavedCard | null;
  /** A refund or dispute whose payment Kassa has not credited yet: what that payment brought. */
  paidFirst: bigint | null;
}

export async function actOnStripeEvent(kassa: Kassa, stripe: Stripe, event: Stripe.Event): Promise<WebhookOutcome> {
  const base = { event_id: event.id, type: event.type };
  if (await seen(kassa.db, event.id)) return { ...base, duplicate: true, outcome: 'already received' };
  const prepared = await prepare(kassa.db, stripe, readStripeEvent(event));
  const at = kassa.clock.now();
  const acted = await inTransaction(kassa.db, async (tx) => {
    const recorded = await tx.insert(paymentEvents).values({ provider: 'stripe', eventId: event.id, type: event.type, topUpId: prepared.topUp?.id ?? null, receivedAt: at }).onConflictDoNothing().returning({ id: paymentEvents.eventId });
    if (recorded.length === 0) return { ...base, duplicate: true, outcome: 'already received' };
    return { ...base, duplicate: false, outcome: await act(tx, kassa, prepared, at) };
  });
  if (acted.ok) {
    if (prepared.topUp) kassa.entitlements.invalidate(prepared.topUp.accountId);
    return acted.value;
  }
  // Money Kassa may not take (a closed account): the event is kept, for an operator to refund.
  await kassa.db.insert(paymentEvents).values({ provider: 'stripe', eventId: event.id, type: event.type, topUpId: prepared.topUp?.id ?? null, receivedAt: at }).onConflictDoNothing();
  return { ...base, duplicate: false, outcome: `not applied: ${acted.failure.detail}` };
}

async function seen(db: Db, eventId: string): Promise<boolean> {
  const [row] = await db.select({ id: paymentEvents.eventId }).from(paymentEvents).where(and(eq(paymentEvents.provider, 'stripe'), eq(paymentEvents.eventId, eventId)));
  return Boolean(row);
}

async function prepare(db: Db, stripe: Stripe, fact: PaymentFact): Promise<Prepared> {
  const none = { fact, topUp: undefined, card: null, paidFirst: null };
  if (fact.kind === 'ignored') return none;
  const topUp = await findTopUp(db, stripe, fact);
  if (!topUp) return none;
  const paymentRef = 'paymentRef' in fact ? fact.paymentRef : null;
  const credited = paymentRef ? await hasReceipt(db, topUp, paymentRef) : false;
  let card: SavedCard | null = null;
  if (fact.kind === 'paid' && topUp.saveCard && !credited) {
    const method = fact.paymentMethodRef
      ? await stripe.paymentMethods.retrieve(fact.paymentMethodRef)
      : ((await stripe.paymentIntents.retrieve(fact.paymentRef, { expand: ['payment_method'] })).payment_method as Stripe.PaymentMethod | null);
    card = method && typeof method === 'object' ? cardOf(method) : null;
  }
  let paidFirst: bigint | null = null;
  if (fact.kind === 'refunded' && !credited) paidFirst = fact.captured;
  if (fact.kind === 'disputed' && !credited) paidFirst = BigInt((await retrieveIntent(stripe, fact.paymentRef))?.amount_received ?? 0);
  return { fact, topUp, card, paidFirst };
}

/** The top-up an event is about: by the metadata Kassa set, else by its PaymentIntent. */
async function findTopUp(db: Db, stripe: Stripe, fact: Exclude<PaymentFact, { kind: 'ignored' }>): Promise<TopUp | undefined> {
  let topUpId = fact.topUpId;
  if (topUpId === null && 'paymentRef' in fact) {
    const [byPayment] = await db.select({ id: topUps.id }).from(topUps).where(eq(topUps.paymentRef, fact.paymentRef)).limit(1);
    topUpId = byPayment?.id ?? topUpIdOf((await retrieveIntent(stripe, fact.paymentRef))?.metadata);
  }
  if (topUpId === null) return undefined;
  const [topUp] = await db.select().from(topUps).where(eq(topUps.id, topUpId));
  return topUp?.method === 'card' ? topUp : undefined;
}

/** A PaymentIntent, or null when Stripe has none by that id (another integration's test data). */
async function retrieveIntent(stripe: Stripe, id: string): Promise<Stripe.PaymentIntent | null> {
  try {
    return await stripe.paymentIntents.retrieve(id);
  } catch (error) {
    if ((error as { code?: string }).code === 'resource_missing') return null;
    throw error; // Stripe unreachable: the delivery fails and Stripe sends it again later
  }
}

async function hasReceipt(db: Db, topUp: TopUp, paymentRef: string): Promise<boolean> {
  const [row] = await db.select({ id: topUpReceipts.id }).from(topUpReceipts).where(and(eq(topUpReceipts.accountId, topUp.accountId), eq(topUpReceipts.topUpId, topUp.id), eq(topUpReceipts.externalRef, paymentRef)));
  return Boolean(row);
}

async function act(tx: Db, kassa: Kassa, { fact, topUp, card, paidFirst }: Prepared, at: Date): Promise<string> {
  if (fact.kind === 'ignored') return `ignored: ${fact.why}`;
  if (!topUp) return 'ignored: not a Kassa card top-up';
  if ('currency' in fact && fact.currency.toUpperCase() !== topUp.currency) return `ignored: paid in ${fact.currency.toUpperCase()}, the top-up is in ${topUp.currency}`;
  const paid = async (amount: bigint, paymentRef: string) => (await receiveTopUp(tx, kassa, topUp.id, { amount, externalRef: paymentRef, paymentRef, whateverStatus: true }, at)).credited;

  switch (fact.kind) {
    case 'paid': {
      const credited = await paid(fact.amount, fact.paymentRef);
      if (card) await saveCard(tx, topUp.accountId, card, at);
      return credited ? `credited ${credited.amount}` : 'already credited';
    }
    case 'failed':
    case 'expired': {
      // An automatic top-up's decline comes back on its own charge call: the job settles it.
      if (topUp.createdBy === AUTO_TOP_UP_ACTOR) return 'ignored: an automatic top-up, settled by its charge';
      const status = fact.kind === 'failed' ? 'failed' : 'expired';
      const [ended] = await tx
        .update(topUps)
        .set({ status, updatedAt: at })
        .where(and(eq(topUps.id, topUp.id), eq(topUps.status, 'pending'), eq(topUps.amountReceived, 0n)))
        .returning();
      if (!ended) return `ignored: the top-up is ${topUp.status}`;
      const reason = fact.kind === 'failed' ? fact.reason : 'the checkout expired unpaid';
      await writeOutbox(tx, topUp.accountId, `top_up.${status}`, { account_id: topUp.accountId, top_up_id: topUp.id, method: 'card', amount: topUp.amountRequested, reason }, at);
      return status;
    }
    case 'refunded': {
      // The account first: a refund an operator is making through Kassa commits its debit before this reads the total.
      await lockAccount(tx, topUp.accountId);
      if (paidFirst !== null) await paid(paidFirst, fact.paymentRef);
      const owed = fact.refundedTotal - (await refundedByRefunds(tx, topUp.accountId, topUp.id));
      if (owed <= 0n) return 'already refunded';
      const back = await giveBack(tx, topUp.id, { kind: 'refund', amount: owed, externalRef: `${fact.chargeRef}/refunded/${fact.refundedTotal}`, createdBy: 'stripe' }, at);
      return back.debited ? `refunded ${back.debited.amount}` : 'already refunded';
    }
    case 'disputed': {
      if (paidFirst !== null) await paid(paidFirst, fact.paymentRef);
      const back = await giveBack(tx, topUp.id, { kind: 'dispute', amount: fact.amount, externalRef: fact.disputeRef, createdBy: 'stripe', reason: fact.reason }, at);
      return back.debited ? `disputed ${back.debited.amount}` : 'already debited';
    }
  }
}
