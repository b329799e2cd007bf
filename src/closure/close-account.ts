// Closing an account (SPEC 1 and 8, issue 7 item 10), at its owner's request. In order:
//
// 1. In one transaction: every subscription still running is disabled (an in-arrears day in
//    use is charged, as on any disable) and then cancelled; pending top-ups are cancelled (a
//    card's Checkout expired at Stripe); automatic top-up is switched off. An account that
//    owes money (a negative balance on credit) is refused: it repays by topping up first.
// 2. What the balance still holds is given back: card and PayPal top-ups are refunded through
//    their provider, newest first, each up to what it paid and has not given back.
// 3. What no refund could return is moved to `payouts_due` in the ledger, an amount for an
//    operator to pay out by bank transfer (event `account.payout_due`), and the account becomes
//    `closed`: read only for its members; the ledger and the audit log keep everything.
import { and, desc, eq, gt, inArray, notInArray, sql } from 'drizzle-orm';
import { postMovement, settle } from '../accounts/credit-account.js';
import { lockAccount } from '../accounts/lock.js';
import { inTransaction } from '../accounts/transaction.js';
import type { Kassa } from '../context.js';
import type { Db } from '../db/client.js';
import { accounts, autoTopUps, subscriptions, topUps } from '../db/schema.js';
import type { Minor } from '../money/money.js';
import { writeOutbox } from '../outbox/write.js';
import { cancelTopUp } from '../payments/card-top-up.js';
import { paypalFor } from '../payments/paypal/client.js';
import { refundTopUp } from '../payments/refund.js';
import { stripeFor } from '../payments/stripe/client.js';
import { type Result, abort, ok } from '../shared/result.js';
import { disableSubscription } from '../subscriptions/disable.js';

export interface Closed {
  account: typeof accounts.$inferSelect;
  cancelledSubscriptionIds: number[];
  refunds: { top_up_id: number; amount: string }[];
  /** What is left for an operator to pay out by bank transfer. */
  payoutDue: Minor;
}

export async function closeAccount(kassa: Kassa, accountId: number, reason: string, closedBy: string, at: Date): Promise<Result<Closed>> {
  const ended = await inTransaction(kassa.db, (tx) => endEverything(tx, kassa, accountId, at));
  if (!ended.ok) return ended;

  const refunds: Closed['refunds'] = [];
  const stripe = async () => {
    const access = await stripeFor(kassa);
    return access.ok ? ok(access.value.stripe) : access;
  };
  for (;;) {
    const [account] = await kassa.db.select({ balance: accounts.balance }).from(accounts).where(eq(accounts.id, accountId));
    const left = account!.balance;
    if (left <= 0n) break;
    const [newest] = await kassa.db
      .select()
      .from(topUps)
      .where(and(eq(topUps.accountId, accountId), inArray(topUps.method, ['card', 'paypal']), gt(sql`${topUps.amountReceived} - ${topUps.amountRefunded}`, 0n), notInArray(topUps.id, refunds.map((r) => r.top_up_id).concat([0]))))
      .orderBy(desc(topUps.id))
      .limit(1);
    if (!newest) break;
    const amount = newest.amountReceived - newest.amountRefunded < left ? newest.amountReceived - newest.amountRefunded : left;
    const refunded = await inTransaction(kassa.db, (tx) =>
      refundTopUp(tx, { stripe, paypal: () => paypalFor(kassa) }, newest.id, { amount, reason: `account closed: ${reason}`, bankReference: undefined, requestKey: `close-account-${accountId}-${newest.id}`, createdBy: closedBy }, at),
    );
    const given = refunded.ok && refunded.value.ok ? refunded.value.value.debited?.amount ?? 0n : 0n;
    // A refund the provider refused stays with the payout: the operator pays it by bank.
    refunds.push({ top_up_id: newest.id, amount: given.toString() });
  }

  const closed = await inTransaction(kassa.db, async (tx) => {
    const account = await lockAccount(tx, accountId);
    let payoutDue = 0n;
    if (account!.balance > 0n) {
      payoutDue = account!.balance;
      const posted = await postMovement(tx, account!, { toCustomer: -payoutDue, kind: 'payout', description: 'Balance to pay out on closing the account', counterpart: 'payouts_due', event: { topic: 'account.payout_due', payload: { reason } } }, at);
      await settle(tx, accountId, posted.transactionId, at);
    }
    const [after] = await tx.update(accounts).set({ status: 'closed' }).where(eq(accounts.id, accountId)).returning();
    await writeOutbox(tx, accountId, 'account.closed', { account_id: accountId, reason, payout_due: payoutDue, refunds }, at);
    return { account: after!, payoutDue };
  });
  if (!closed.ok) return closed;
  kassa.entitlements.invalidate(accountId);
  return ok({ account: closed.value.account, cancelledSubscriptionIds: ended.value, refunds: refunds.filter((r) => r.amount !== '0'), payoutDue: closed.value.payoutDue });
}

/** Step 1, in the caller's transaction: answers the subscriptions it cancelled. */
async function endEverything(tx: Db, kassa: Kassa, accountId: number, at: Date): Promise<number[]> {
  const account = await lockAccount(tx, accountId);
  if (!account) return abort('not_found', `no account ${accountId}`);
  if (account.status === 'closed') return abort('invalid_state', 'the account is closed already');
  if (account.status === 'blocked') return abort('account_blocked', 'a blocked account is closed by the provider, not by its owner');
  const running = await tx.select({ id: subscriptions.id, status: subscriptions.status }).from(subscriptions).where(and(eq(subscriptions.accountId, accountId), notInArray(subscriptions.status, ['cancelled'])));
  for (const subscription of running) {
    if (subscription.status !== 'disabled') {
      const disabled = await disableSubscription(tx, kassa, { subscriptionId: subscription.id, preview: false }, at);
      if (!disabled.ok) return abort(disabled.failure.code, disabled.failure.detail);
    }
    await tx.update(subscriptions).set({ status: 'cancelled', statusChangedAt: at }).where(eq(subscriptions.id, subscription.id));
  }
  const [after] = await tx.select({ balance: accounts.balance }).from(accounts).where(eq(accounts.id, accountId));
  if (after!.balance < 0n) return abort('invalid_state', `the account owes ${-after!.balance} (minor units of ${account.currency}): it is closed once that is repaid by a top-up`);
  const pending = await tx.select({ id: topUps.id }).from(topUps).where(and(eq(topUps.accountId, accountId), eq(topUps.status, 'pending'), eq(topUps.amountReceived, 0n)));
  for (const topUp of pending) await cancelTopUp(tx, () => stripeFor(kassa), topUp.id, at);
  await tx.update(autoTopUps).set({ enabled: false, updatedAt: at }).where(eq(autoTopUps.accountId, accountId));
  return running.map((s) => s.id);
}

