// Stripe's webhook (SPEC 8). The raw body is verified against STRIPE_WEBHOOK_SECRET (a wrong
// or missing signature, or a timestamp over five minutes old, is refused and nothing is
// written). A verified event is kept by its id and Stripe answered at once, as Stripe asks of
// an endpoint; the event is acted on just after, in the background (and by the scheduler, for
// what a crash left), in one transaction that also marks it processed, so an event is acted on
// once however often it is delivered. What an event does depends only on what it says, never
// on the order events arrive in: a payment is credited once by its PaymentIntent whichever of
// checkout.session.completed and payment_intent.succeeded comes first; a refund or dispute that
// arrives before either first credits the payment it proves; refunds are debited up to the
// running total Stripe reports, so an older refund event arriving late debits nothing.
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import type Stripe from 'stripe';
import { lockAccount } from '../../accounts/lock.js';
import { inTransaction } from '../../accounts/transaction.js';
import type { Kassa } from '../../context.js';
import { type Db, query } from '../../db/client.js';
import { paymentEvents, topUpReceipts, topUps } from '../../db/schema.js';
import { writeOutbox } from '../../outbox/write.js';
import { type GroupedWrite, grouped } from '../../shared/grouped.js';
import { type Result, fail, ok } from '../../shared/result.js';
import { giveBack, refundedByRefunds } from '../give-back.js';
import { type SavedCard, cardOf, saveCard } from '../payment-methods.js';
import { AUTO_TOP_UP_ACTOR, type TopUp, receiveTopUp } from '../top-ups.js';
import { type StripeAccess, stripeFor } from './client.js';
import { creditTogether, paidEvent } from './credit-together.js';
import { type PaymentFact, readStripeEvent, topUpIdOf } from './events.js';

export interface WebhookOutcome {
  event_id: string;
  type: string;
  duplicate: boolean;
  /** What Kassa did or will do: queued (acted on just after), credited, refunded, ignored (and why)... */
  outcome: string;
}

/** Verifies one delivery and keeps its event once; acting on it follows in the background. */
export async function receiveStripeWebhook(kassa: Kassa, access: StripeAccess, rawBody: Buffer, signature: string | undefined, log: FastifyBaseLogger): Promise<Result<WebhookOutcome>> {
  let event: Stripe.Event;
  try {
    event = access.stripe.webhooks.constructEvent(rawBody, signature ?? '', access.settings.webhookSecret);
  } catch (error) {
    return fail('invalid_signature', `the Stripe-Signature header does not verify: ${(error as Error).message}`, { field: '/headers/stripe-signature' });
  }
  if (typeof event.id !== 'string' || typeof event.type !== 'string') return fail('validation_failed', 'a Stripe event has an id and a type', { field: '/body' });
  const kept = await inboxOf(kassa)({ eventId: event.id, type: event.type, rawBody });
  if (kept instanceof Error) throw kept;
  const duplicate = !kept;
  if (!duplicate) kassa.background.run('stripe events', () => actOnStripeEvents(kassa, log), log);
  return ok({ event_id: event.id, type: event.type, duplicate, outcome: duplicate ? 'already received' : 'queued' });
}

interface Arrival {
  eventId: string;
  type: string;
  /** As Stripe sent it: verified, and JSON (constructEvent parsed it). */
  rawBody: Buffer;
}

const inboxes = new WeakMap<Kassa, GroupedWrite<Arrival, boolean | Error>>();

/** Keeps arriving events, those of a burst together (group commit): answers whether each is new. */
function inboxOf(kassa: Kassa): GroupedWrite<Arrival, boolean | Error> {
  let keep = inboxes.get(kassa);
  if (!keep) {
    keep = grouped(async (arrivals: Arrival[]) => {
      try {
        return await keepEvents(kassa, arrivals);
      } catch (error) {
        if (arrivals.length === 1) return [error as Error];
        // One delivery the database refuses must not fail the others written with it.
        return Promise.all(arrivals.map((arrival) => keepEvents(kassa, [arrival]).then(([fresh]) => fresh!, (e: unknown) => e as Error)));
      }
    });
    inboxes.set(kassa, keep);
  }
  return keep;
}

async function keepEvents(kassa: Kassa, arrivals: Arrival[]): Promise<boolean[]> {
  // The bodies go in as they came, parsed once more by the database only.
  const rows = `[${arrivals.map((a) => `{"event_id":${JSON.stringify(a.eventId)},"type":${JSON.stringify(a.type)},"payload":${a.rawBody.toString('utf8')}}`).join(',')}]`;
  const kept = await query<{ event_id: string }>(
    kassa.db,
    sql`insert into payment_events (provider, event_id, type, payload, received_at)
        select 'stripe', e.event_id, e.type, e.payload, ${kassa.clock.now()}
        from jsonb_to_recordset(${rows}::jsonb) as e(event_id text, type text, payload jsonb)
        on conflict do nothing
        returning event_id`,
  );
  const fresh = new Set(kept.map((row) => row.event_id));
  // The same event twice in one burst: the first is new, the second a duplicate.
  return arrivals.map((arrival) => fresh.delete(arrival.eventId));
}

const draining = new WeakMap<Kassa, { again: boolean }>();
const EVENTS_PER_BATCH = 200;
const GATHER_MS_PER_EVENT = 2;
const GATHER_MAX_MS = 50;
const GATHER_BUDGET_MS = 200;

/**
 * Acts on every Stripe event not yet acted on, oldest first; one drain at a time per Kassa (a
 * delivery arriving meanwhile makes the running one go round again). An event whose action
 * fails (Stripe unreachable while it is prepared) stays for the next drain. On PostgreSQL a
 * few events go at once; PGlite has one connection. Answers how many were acted on.
 */
export async function actOnStripeEvents(kassa: Kassa, log?: FastifyBaseLogger): Promise<number> {
  const running = draining.get(kassa);
  if (running) {
    running.again = true;
    return 0;
  }
  const state = { again: true };
  draining.set(kassa, state);
  let acted = 0;
  try {
    const access = await stripeFor(kassa);
    if (!access.ok) return 0;
    const failed = new Set<string>();
    let gatheredMs = 0;
    while (state.again) {
      state.again = false;
      for (;;) {
        const batch = (await kassa.db
          .select({ eventId: paymentEvents.eventId, payload: paymentEvents.payload })
          .from(paymentEvents)
          .where(and(eq(paymentEvents.provider, 'stripe'), isNull(paymentEvents.processedAt)))
          .orderBy(asc(paymentEvents.receivedAt), asc(paymentEvents.eventId))
          .limit(EVENTS_PER_BATCH)).filter((row) => !failed.has(row.eventId));
        if (batch.length === 0) break;
        if (gatheredMs < GATHER_BUDGET_MS && batch.length < EVENTS_PER_BATCH && state.again) {
          // Events are arriving: let them gather a moment, the longer the more arrived (at
          // most 200 ms in all for one batch), so a burst is credited in full batches. On
          // PGlite, which runs every statement on this one thread, that answers three to four
          // times the deliveries and credits them in a quarter of the time; on PostgreSQL it
          // changes little either way.
          const pause = Math.min(GATHER_MAX_MS, GATHER_MS_PER_EVENT * batch.length, GATHER_BUDGET_MS - gatheredMs);
          state.again = false;
          gatheredMs += pause;
          await new Promise((resolve) => setTimeout(resolve, pause));
          continue;
        }
        gatheredMs = 0;
        const oneByOne = await creditWhatCanBeTogether(kassa, batch, log);
        acted += batch.length - oneByOne.length;
        const lanes = kassa.backend === 'postgres' ? 4 : 1;
        let next = 0;
        await Promise.all(Array.from({ length: lanes }, async () => {
          while (next < oneByOne.length) {
            const row = oneByOne[next++]!;
            try {
              const outcome = await actOnStripeEvent(kassa, access.value.stripe, row.payload as Stripe.Event);
              log?.info({ stripe_event: row.eventId, type: outcome.type, outcome: outcome.outcome }, 'stripe event');
              acted += 1;
            } catch (error) {
              failed.add(row.eventId);
              log?.error({ err: error, stripe_event: row.eventId }, 'stripe event not acted on; tried again later');
            }
          }
        }));
      }
    }
    return acted;
  } finally {
    draining.delete(kassa);
  }
}

type KeptEvent = { eventId: string; payload: unknown };

/**
 * The batch's plain card payments credited in one transaction (./credit-together.ts); answers
 * the events left to act on one at a time. Should the batch fail, all of them are left so.
 */
async function creditWhatCanBeTogether(kassa: Kassa, batch: KeptEvent[], log: FastifyBaseLogger | undefined): Promise<KeptEvent[]> {
  const paid = batch.map((row) => paidEvent(row.eventId, row.payload as Stripe.Event)).filter((event) => event !== null);
  if (paid.length < 2) return batch;
  try {
    const together = await creditTogether(kassa, paid);
    for (const accountId of together.creditedAccountIds) kassa.entitlements.invalidate(accountId);
    for (const [eventId, outcome] of together.outcomes) log?.info({ stripe_event: eventId, outcome }, 'stripe event');
    return batch.filter((row) => !together.outcomes.has(row.eventId));
  } catch (error) {
    log?.error({ err: error }, 'stripe payments not credited together; acted on one by one');
    return batch;
  }
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

/** Acts on one kept event, once: the event's row is locked and marked in the same transaction. */
export async function actOnStripeEvent(kassa: Kassa, stripe: Stripe, event: Stripe.Event): Promise<WebhookOutcome> {
  const base = { event_id: event.id, type: event.type };
  const prepared = await prepare(kassa.db, stripe, readStripeEvent(event));
  const at = kassa.clock.now();
  const mark = (tx: Db, outcome: string) =>
    tx.update(paymentEvents).set({ processedAt: at, outcome, topUpId: prepared.topUp?.id ?? null }).where(and(eq(paymentEvents.provider, 'stripe'), eq(paymentEvents.eventId, event.id)));
  const acted = await inTransaction(kassa.db, async (tx) => {
    const [row] = await tx.select({ processedAt: paymentEvents.processedAt }).from(paymentEvents).where(and(eq(paymentEvents.provider, 'stripe'), eq(paymentEvents.eventId, event.id))).for('update');
    if (row?.processedAt) return { ...base, duplicate: true, outcome: 'already acted on' };
    const outcome = await act(tx, kassa, prepared, at);
    await mark(tx, outcome);
    return { ...base, duplicate: false, outcome };
  });
  if (acted.ok) {
    if (prepared.topUp) kassa.entitlements.invalidate(prepared.topUp.accountId);
    return acted.value;
  }
  // Money Kassa may not take (a closed account): the event is marked, for an operator to refund.
  const outcome = `not applied: ${acted.failure.detail}`;
  await mark(kassa.db, outcome);
  return { ...base, duplicate: false, outcome };
}

async function prepare(db: Db, stripe: Stripe, fact: PaymentFact): Promise<Prepared> {
  const none = { fact, topUp: undefined, card: null, paidFirst: null };
  if (fact.kind === 'ignored') return none;
  const topUp = await findTopUp(db, stripe, fact);
  if (!topUp) return none;
  // Whether the payment is credited already matters only to what needs Stripe asked first.
  const asksStripe = (fact.kind === 'paid' && topUp.saveCard) || fact.kind === 'refunded' || fact.kind === 'disputed';
  const credited = asksStripe && 'paymentRef' in fact ? await hasReceipt(db, topUp, fact.paymentRef) : false;
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
  const paid = async (amount: bigint, paymentRef: string) => (await receiveTopUp(tx, kassa, topUp.id, { amount, externalRef: paymentRef, paymentRef, whateverStatus: true }, at, topUp.accountId)).credited;

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
