// An operator's refund of a top-up (SPEC 8): full or part, never more than it received and has
// not given back. A card top-up is refunded through Stripe, and debited here at once under the
// refund's id; the charge.refunded webhook that follows finds Stripe's running total already
// debited. A bank transfer is paid back by the operator's own bank: they give its reference.
// The account is locked before Stripe is asked, so a webhook for the same charge waits for this
// refund's debit and then sees it.
import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type Stripe from 'stripe';
import { lockAccount } from '../accounts/lock.js';
import type { Db } from '../db/client.js';
import { topUps } from '../db/schema.js';
import type { Minor } from '../money/money.js';
import { type Result, abort, fail, ok } from '../shared/result.js';
import { type GivenBack, giveBack, refundable } from './give-back.js';
import { stripeFailure } from './stripe/client.js';

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

export async function refundTopUp(tx: Db, stripe: () => Result<Stripe>, topUpId: number, request: RefundRequest, at: Date): Promise<Result<GivenBack>> {
  const [found] = await tx.select({ accountId: topUps.accountId }).from(topUps).where(eq(topUps.id, topUpId));
  if (!found) return fail('not_found', `no top-up ${topUpId}`);
  await lockAccount(tx, found.accountId);
  const [topUp] = await tx.select().from(topUps).where(eq(topUps.id, topUpId)).for('update');
  const left = refundable(topUp!);
  if (left <= 0n) return fail('invalid_state', `top-up ${topUpId} has nothing left to refund (received ${topUp!.amountReceived}, given back ${topUp!.amountRefunded})`);
  const amount = request.amount ?? left;
  if (amount > left) return fail('amount_out_of_range', `top-up ${topUpId} has ${left} left to refund`, { field: '/amount', extra: { refundable: left.toString() } });

  let externalRef: string;
  if (topUp!.method === 'card') {
    const client = stripe();
    if (!client.ok) return client;
    if (!topUp!.paymentRef) return abort('invalid_state', `top-up ${topUpId} has no Stripe payment to refund`);
    try {
      const refund = await client.value.refunds.create(
        { payment_intent: topUp!.paymentRef, amount: Number(amount), reason: 'requested_by_customer', metadata: { kassa_top_up_id: String(topUpId), kassa_reason: request.reason.slice(0, 500) } },
        { idempotencyKey: `kassa-top-up-${topUpId}-refund-${createHash('sha256').update(request.requestKey).digest('hex').slice(0, 32)}` },
      );
      externalRef = refund.id;
    } catch (error) {
      return stripeFailure(error, 'refund the payment');
    }
  } else if (topUp!.method === 'bank_transfer') {
    if (!request.bankReference) return fail('validation_failed', 'a bank transfer is refunded by your own transfer back: give its bank_reference', { field: '/bank_reference' });
    externalRef = `bank:${request.bankReference}`;
  } else {
    return fail('payment_method_unavailable', `${topUp!.method} refunds are not available yet`);
  }
  return ok(await giveBack(tx, topUpId, { kind: 'refund', amount, externalRef, createdBy: request.createdBy, reason: request.reason }, at));
}
