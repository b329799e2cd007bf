// A card top-up (SPEC 8): a pending top-up and a Stripe Checkout Session for it. The customer
// pays on Stripe's page; the balance grows when Stripe's webhook says the money is there
// (./stripe/webhook.ts), never on the customer's return. The account's Stripe customer is made
// on its first card payment; every Stripe call carries an idempotency key derived from Kassa's
// own ids, so a retry after a crash finds the same customer and the same session.
//
// The Stripe calls run inside the request's transaction: a refusal from Stripe rolls the
// top-up back, and the account's row lock (held for one round trip to Stripe) keeps two
// first payments from making two customers.
import { and, eq } from 'drizzle-orm';
import type Stripe from 'stripe';
import { type AccountRow, lockAccount } from '../accounts/lock.js';
import type { Db } from '../db/client.js';
import { paymentCustomers, topUps } from '../db/schema.js';
import type { Minor } from '../money/money.js';
import { type Result, abort, fail, ok } from '../shared/result.js';
import { STRIPE_MAX_AMOUNT, type StripeAccess, stripeAmount, stripeFailure, stripeProblem } from './stripe/client.js';
import { type TopUp, lockTopUp } from './top-ups.js';
import { topUpRefusal } from './limits.js';

export interface CardTopUpRequest {
  amount: Minor;
  /** Keep the card for later payments (automatic top-up): setup_future_usage off_session. */
  saveCard: boolean;
  /** Where Stripe sends the customer after paying, and after giving up. */
  successUrl: (topUpId: number) => string;
  cancelUrl: (topUpId: number) => string;
}


export async function requestCardTopUp(tx: Db, stripe: Stripe, accountId: number, request: CardTopUpRequest, createdBy: string, at: Date): Promise<Result<TopUp>> {
  const account = await lockAccount(tx, accountId);
  if (!account) return fail('not_found', `no account ${accountId}`);
  const refused = await topUpRefusal(tx, account, request.amount);
  if (refused) return { ok: false, failure: refused };
  if (request.amount > STRIPE_MAX_AMOUNT) return fail('amount_out_of_range', `a card payment is at most ${STRIPE_MAX_AMOUNT} minor units`, { field: '/amount' });

  const [topUp] = await tx
    .insert(topUps)
    .values({ accountId, method: 'card', status: 'pending', currency: account.currency, amountRequested: request.amount, saveCard: request.saveCard, createdBy, createdAt: at, updatedAt: at })
    .returning();
  const customer = await stripeCustomer(tx, stripe, account, at);
  if (!customer.ok) return customer;
  const metadata = { kassa_top_up_id: String(topUp!.id), kassa_account_id: String(accountId) };
  let session: Stripe.Checkout.Session;
  try {
    session = await stripe.checkout.sessions.create(
      {
        mode: 'payment',
        customer: customer.value,
        client_reference_id: String(topUp!.id),
        line_items: [{ quantity: 1, price_data: { currency: account.currency.toLowerCase(), unit_amount: stripeAmount(request.amount), product_data: { name: `Top-up of ${account.name}` } } }],
        metadata,
        payment_intent_data: { metadata, ...(request.saveCard ? { setup_future_usage: 'off_session' as const } : {}) },
        success_url: request.successUrl(topUp!.id),
        cancel_url: request.cancelUrl(topUp!.id),
      },
      { idempotencyKey: `kassa-top-up-${topUp!.id}-checkout` },
    );
  } catch (error) {
    return stripeFailure(error, 'open a checkout');
  }
  const [updated] = await tx.update(topUps).set({ providerRef: session.id, redirectUrl: session.url }).where(eq(topUps.id, topUp!.id)).returning();
  return ok(updated!);
}

/** The account's Stripe customer, made on first use. */
export async function stripeCustomer(tx: Db, stripe: Stripe, account: AccountRow, at: Date): Promise<Result<string>> {
  const [known] = await tx.select().from(paymentCustomers).where(and(eq(paymentCustomers.accountId, account.id), eq(paymentCustomers.provider, 'stripe')));
  if (known) return ok(known.customerRef);
  try {
    const customer = await stripe.customers.create(
      { name: account.name, ...(account.billingEmails[0] ? { email: account.billingEmails[0] } : {}), metadata: { kassa_account_id: String(account.id) } },
      { idempotencyKey: `kassa-account-${account.id}-customer` },
    );
    await tx.insert(paymentCustomers).values({ accountId: account.id, provider: 'stripe', customerRef: customer.id, createdAt: at });
    return ok(customer.id);
  } catch (error) {
    return stripeFailure(error, 'create the customer');
  }
}

/**
 * An operator's cancellation of a pending top-up nothing arrived for, in the caller's
 * transaction. A card's Checkout is expired at Stripe first, so the customer cannot pay it
 * after; one Stripe says is already paid is refused (its money is on the way).
 */
export async function cancelTopUp(tx: Db, stripe: () => Promise<Result<StripeAccess>>, topUpId: number, at: Date): Promise<TopUp> {
  const { topUp } = await lockTopUp(tx, topUpId);
  if (topUp.status !== 'pending' || topUp.amountReceived > 0n) return abort('invalid_state', `top-up ${topUpId} is ${topUp.status} and received ${topUp.amountReceived}: only a pending one nothing arrived for is cancelled`);
  if (topUp.method === 'card' && topUp.providerRef) {
    const access = await stripe();
    if (!access.ok) return abort(access.failure.code, access.failure.detail);
    try {
      await access.value.stripe.checkout.sessions.expire(topUp.providerRef, {}, { idempotencyKey: `kassa-top-up-${topUpId}-expire` });
    } catch (error) {
      const session = await access.value.stripe.checkout.sessions.retrieve(topUp.providerRef).catch(() => null);
      if (session?.status !== 'expired') {
        if (session?.status === 'complete') return abort('invalid_state', `top-up ${topUpId} was paid at Stripe: its money is on the way`);
        const problem = stripeProblem(error, 'expire the checkout');
        return abort(problem.code, problem.detail);
      }
    }
  }
  const [updated] = await tx.update(topUps).set({ status: 'cancelled', updatedAt: at }).where(eq(topUps.id, topUpId)).returning();
  return updated!;
}
