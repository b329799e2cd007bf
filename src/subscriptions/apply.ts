// Writes a decision's money movements: one ledger transaction each with its event
// (`subscription.charged` or `subscription.refunded`), the purchase total the credit limit
// follows, the document it needs (an invoice, a credit note), and the low-balance check, inside
// the caller's transaction. A charge draws the
// account's credit grants that may pay the plan first (src/grants/drawdown.ts), then the paid
// balance; a refund gives back first what those grants paid.
import { evaluateLowBalance } from '../accounts/low-balance.js';
import { recordPurchase } from '../accounts/purchases.js';
import type { Db } from '../db/client.js';
import { addToDaily } from '../ledger/daily.js';
import { type ChargeCause, discountDetail, requestDocument } from '../ledger/document-requests.js';
import { postLedgerTransaction } from '../ledger/post.js';
import { chargeFromGrants, refundToGrants } from '../grants/drawdown.js';
import { drawnBySubscription, liveGrants } from '../grants/grants.js';
import { writeOutbox } from '../outbox/write.js';
import { evaluateBudgets } from '../budgets/budgets.js';
import type { Movement } from './decisions.js';

/** Whose money moves, and why: said in each movement's event. */
export interface MovementOwner {
  accountId: number;
  subscriptionId: number;
  currency: string;
  reason: ChargeCause;
  /** The plan's code: credit grants scoped to it pay its charges, and its revenue is reported under it. */
  service: string;
  /** A plan change: the code of the plan it leaves, whose movements (`oldPlan`) are that plan's. */
  leaving?: string;
}

export async function applyMovements(tx: Db, owner: MovementOwner, movements: readonly Movement[], at: Date): Promise<void> {
  const { accountId, subscriptionId } = owner;
  let grants = movements.length === 0 ? [] : ((await liveGrants(tx, [accountId], at, { includeEmpty: true })).get(accountId) ?? []);
  for (const m of movements) {
    // A zero-priced period is still posted: its posting is what marks the period paid.
    if (m.amount === 0n && m.periodStart === undefined) continue;
    const charge = m.amount >= 0n;
    const service = m.oldPlan && owner.leaving ? owner.leaving : owner.service;
    const moved = charge
      ? chargeFromGrants(grants, service, m.amount, { subscriptionId, billedPeriodStart: m.periodStart })
      : refundToGrants(grants, await drawnBySubscription(tx, accountId, grants.map((g) => g.id), subscriptionId), -m.amount, { subscriptionId, service });
    grants = moved.after;
    const posted = await postLedgerTransaction(tx, {
      accountId,
      kind: charge ? 'subscription_charge' : 'subscription_refund',
      description: m.description,
      postings: moved.postings,
      at,
    });
    await recordPurchase(tx, accountId, m.amount, at);
    if (m.amount === 0n) continue; // marks a free period paid; no money moved
    // A charge outside the billing run has its own invoice at once; a refund its credit note.
    await requestDocument(tx, {
      accountId,
      kind: charge ? 'invoice' : 'credit_note',
      transactionId: posted.transactionId,
      detail: { service, subscription_id: subscriptionId, cause: owner.reason, ...(owner.leaving && service !== owner.leaving ? { leaving: owner.leaving } : {}), ...(m.periodStart ? { period_start: m.periodStart.toISOString() } : {}), ...discountDetail(m.discount) },
    }, at);
    const kind = !charge ? 'refund' : owner.reason === 'configuration_change' ? 'seats' : 'plan';
    // A discounted charge is told at its price before the volume discount, and the discount as its own row.
    const discount = m.discount ?? 0n;
    // Under the plan's code: the history per service, and what a budget on the plan has spent.
    await addToDaily(tx, [{ accountId, channel: service, kind, quantity: '1', amount: m.amount + discount }, ...(discount > 0n ? [{ accountId, channel: service, kind: 'discount' as const, quantity: '0', amount: -discount }] : [])], at);
    await writeOutbox(tx, accountId, charge ? 'subscription.charged' : 'subscription.refunded', {
      subscription_id: subscriptionId,
      reason: owner.reason,
      transaction_id: posted.transactionId,
      amount: charge ? m.amount : -m.amount,
      // What the plan items' volume discounts took off the charge (its price before them: amount + discount).
      ...(m.discount ? { discount: m.discount } : {}),
      currency: owner.currency,
      period_start: m.periodStart?.toISOString() ?? null,
      description: m.description,
      balance: posted.balance,
      // Which credit grants paid (or took back) how much of it; the paid balance the rest.
      grants: moved.postings.filter((p) => p.ledgerAccount === 'grant').map((p) => ({ grant_id: p.grantId, amount: p.amount < 0n ? -p.amount : p.amount })),
      granted: posted.granted,
    }, at);
  }
  if (movements.length > 0) {
    await evaluateLowBalance(tx, accountId, at);
    await evaluateBudgets(tx, [accountId], at);
  }
}
