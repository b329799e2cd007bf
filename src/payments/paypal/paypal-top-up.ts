// A PayPal top-up (SPEC 8): a pending top-up and a PayPal order (intent CAPTURE) for it; the
// buyer approves on PayPal's page, then the order is captured, on the buyer's return or on
// PayPal's CHECKOUT.ORDER.APPROVED webhook, whichever comes first. PayPal captures an order
// once: a second attempt is told ORDER_ALREADY_CAPTURED and reads the capture off the order;
// the money is credited once, by the capture's id.
import type { CheckoutPaymentIntent, Order } from '@paypal/paypal-server-sdk';
import { and, eq } from 'drizzle-orm';
import { lockAccount } from '../../accounts/lock.js';
import { inTransaction } from '../../accounts/transaction.js';
import type { Kassa } from '../../context.js';
import type { Db } from '../../db/client.js';
import { topUps } from '../../db/schema.js';
import { type Minor, formatMinor } from '../../money/money.js';
import { writeOutbox } from '../../outbox/write.js';
import { type Result, fail, ok } from '../../shared/result.js';
import { decimalToMinor } from '../bank-statement.js';
import { topUpRefusal } from '../limits.js';
import { type TopUp, receiveTopUp } from '../top-ups.js';
import { type PayPalAccess, paypalIssue, paypalProblem } from './client.js';

export interface PayPalTopUpRequest {
  amount: Minor;
  returnUrl: (topUpId: number) => string;
  cancelUrl: (topUpId: number) => string;
}

export async function requestPayPalTopUp(tx: Db, paypal: PayPalAccess, accountId: number, request: PayPalTopUpRequest, createdBy: string, at: Date): Promise<Result<TopUp>> {
  const account = await lockAccount(tx, accountId);
  if (!account) return fail('not_found', `no account ${accountId}`);
  const refused = await topUpRefusal(tx, account, request.amount);
  if (refused) return { ok: false, failure: refused };
  const [topUp] = await tx
    .insert(topUps)
    .values({ accountId, method: 'paypal', status: 'pending', currency: account.currency, amountRequested: request.amount, createdBy, createdAt: at, updatedAt: at })
    .returning();
  let order: Order;
  try {
    const created = await paypal.orders.createOrder({
      body: {
        intent: 'CAPTURE' as CheckoutPaymentIntent.Capture,
        purchaseUnits: [{ referenceId: `top_up_${topUp!.id}`, customId: String(topUp!.id), invoiceId: `kassa-top-up-${topUp!.id}`, description: `Top-up of ${account.name}`.slice(0, 127), amount: { currencyCode: account.currency, value: formatMinor(request.amount, account.currency) } }],
        paymentSource: { paypal: { experienceContext: { returnUrl: request.returnUrl(topUp!.id), cancelUrl: request.cancelUrl(topUp!.id) } } },
      },
      paypalRequestId: `kassa-top-up-${topUp!.id}-order`,
      prefer: 'return=representation',
    });
    order = created.result;
  } catch (error) {
    return { ok: false, failure: paypalProblem(error, 'create the order') };
  }
  const approve = order.links?.find((link) => link.rel === 'payer-action' || link.rel === 'approve')?.href ?? null;
  const [updated] = await tx.update(topUps).set({ providerRef: order.id ?? null, redirectUrl: approve }).where(eq(topUps.id, topUp!.id)).returning();
  return ok(updated!);
}

/** The capture of an order, if it has one. */
export function captureOf(order: Order): { id: string; status: string; value: string; currency: string } | undefined {
  const capture = order.purchaseUnits?.[0]?.payments?.captures?.[0];
  if (!capture?.id || !capture.amount) return undefined;
  return { id: capture.id, status: capture.status ?? '', value: capture.amount.value, currency: capture.amount.currencyCode };
}

/** Captures a top-up's approved order and credits what PayPal took, once. */
export async function capturePayPalTopUp(kassa: Kassa, paypal: PayPalAccess, topUpId: number, at: Date): Promise<Result<TopUp>> {
  const [topUp] = await kassa.db.select().from(topUps).where(and(eq(topUps.id, topUpId), eq(topUps.method, 'paypal')));
  if (!topUp?.providerRef) return fail('not_found', `no PayPal top-up ${topUpId}`);
  if (topUp.paymentRef) return ok(topUp); // captured and credited already
  let order: Order;
  try {
    order = (await paypal.orders.captureOrder({ id: topUp.providerRef, prefer: 'return=representation' })).result;
  } catch (error) {
    const issue = paypalIssue(error);
    if (issue === 'ORDER_NOT_APPROVED') return fail('invalid_state', `the buyer has not approved PayPal order ${topUp.providerRef} yet`);
    if (issue !== 'ORDER_ALREADY_CAPTURED') return { ok: false, failure: paypalProblem(error, 'capture the order') };
    try {
      order = (await paypal.orders.getOrder({ id: topUp.providerRef })).result;
    } catch (again) {
      return { ok: false, failure: paypalProblem(again, 'read the order') };
    }
  }
  const capture = captureOf(order);
  if (!capture) return fail('payment_provider_error', `PayPal order ${topUp.providerRef} has no capture`);
  return settleCapture(kassa, topUpId, capture, at);
}

/** Credits a capture PayPal completed (by its id: once), or fails a declined one. */
export async function settleCapture(kassa: Kassa, topUpId: number, capture: { id: string; status: string; value: string; currency: string }, at: Date): Promise<Result<TopUp>> {
  return inTransaction(kassa.db, async (tx) => {
    const [topUp] = await tx.select().from(topUps).where(eq(topUps.id, topUpId));
    if (capture.currency !== topUp!.currency) return topUp!;
    if (capture.status === 'COMPLETED') {
      const amount = decimalToMinor(capture.value, capture.currency) ?? 0n;
      if (amount <= 0n) return topUp!;
      const received = await receiveTopUp(tx, kassa, topUpId, { amount, externalRef: capture.id, paymentRef: capture.id, whateverStatus: true }, at);
      if (received.credited) kassa.entitlements.invalidate(topUp!.accountId);
      return received.topUp;
    }
    if (capture.status === 'DECLINED' || capture.status === 'FAILED') {
      const [failed] = await tx.update(topUps).set({ status: 'failed', updatedAt: at }).where(and(eq(topUps.id, topUpId), eq(topUps.status, 'pending'), eq(topUps.amountReceived, 0n))).returning();
      if (failed) await writeOutbox(tx, failed.accountId, 'top_up.failed', { account_id: failed.accountId, top_up_id: topUpId, method: 'paypal', amount: failed.amountRequested, reason: 'PayPal declined the payment' }, at);
      return failed ?? topUp!;
    }
    return topUp!; // PENDING: PayPal's PAYMENT.CAPTURE.COMPLETED brings it later
  });
}
