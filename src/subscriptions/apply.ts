// Writes a decision's money movements: one ledger transaction each, the purchase total the
// credit limit follows, and the low-balance check, inside the caller's transaction.
import { evaluateLowBalance } from '../accounts/low-balance.js';
import { recordPurchase } from '../accounts/purchases.js';
import type { Db } from '../db/client.js';
import { chargePostings, postLedgerTransaction, refundPostings } from '../ledger/post.js';
import type { Movement } from './decisions.js';

export async function applyMovements(tx: Db, accountId: number, subscriptionId: number, movements: readonly Movement[], at: Date): Promise<void> {
  for (const m of movements) {
    // A zero-priced period is still posted: its posting is what marks the period paid.
    if (m.amount === 0n && m.periodStart === undefined) continue;
    const charge = m.amount >= 0n;
    await postLedgerTransaction(tx, {
      accountId,
      kind: charge ? 'subscription_charge' : 'subscription_refund',
      description: m.description,
      postings: charge ? chargePostings(m.amount, { subscriptionId, billedPeriodStart: m.periodStart }) : refundPostings(-m.amount, subscriptionId),
      at,
    });
    await recordPurchase(tx, accountId, m.amount, at);
  }
  if (movements.length > 0) await evaluateLowBalance(tx, accountId, at);
}
