// Money leaving a top-up again (SPEC 8): a refund through the provider or a dispute's
// withdrawal. Each is debited once, in one ledger transaction: customer debited, the method's
// clearing account credited. Never more than the top-up received and has not given back; a
// dispute may take the balance below zero, since the money has really gone.
import { and, eq, sql } from 'drizzle-orm';
import { postMovement, settle } from '../accounts/credit-account.js';
import type { Db } from '../db/client.js';
import { type GivenBackKind, topUpRefunds, topUps } from '../db/schema.js';
import type { Minor } from '../money/money.js';
import { CLEARING, type TopUp, lockTopUp } from './top-ups.js';

export interface GiveBack {
  kind: GivenBackKind;
  /** Capped at what the top-up still holds. */
  amount: Minor;
  /** The provider's id of the refund or dispute: the same one twice debits once. */
  externalRef: string;
  createdBy: string;
  reason?: string;
}

export type GivenBack = { topUp: TopUp; debited: { transactionId: number; amount: Minor } | null };

/** What a top-up received and has not given back. Pure. */
export function refundable(topUp: Pick<TopUp, 'amountReceived' | 'amountRefunded'>): Minor {
  return topUp.amountReceived - topUp.amountRefunded;
}

/** Debits a refund or dispute of a top-up once, in the caller's transaction. */
export async function giveBack(tx: Db, topUpId: number, back: GiveBack, at: Date): Promise<GivenBack> {
  const { account, topUp } = await lockTopUp(tx, topUpId);
  const [seen] = await tx.select({ id: topUpRefunds.id }).from(topUpRefunds).where(and(eq(topUpRefunds.accountId, account.id), eq(topUpRefunds.topUpId, topUpId), eq(topUpRefunds.externalRef, back.externalRef)));
  const amount = back.amount < refundable(topUp) ? back.amount : refundable(topUp);
  if (seen || amount <= 0n) return { topUp: topUp, debited: null };

  const dispute = back.kind === 'dispute';
  const posted = await postMovement(
    tx,
    account,
    {
      toCustomer: -amount,
      kind: dispute ? 'chargeback' : 'top_up_refund',
      description: `${dispute ? 'Dispute of' : 'Refund of'} top-up ${topUpId} by ${topUp.method.replace('_', ' ')}`,
      counterpart: CLEARING[topUp.method],
      event: { topic: dispute ? 'top_up.disputed' : 'top_up.refunded', payload: { top_up_id: topUpId, method: topUp.method, refunded: (topUp.amountRefunded + amount).toString(), reason: back.reason ?? null } },
    },
    at,
  );
  await tx.insert(topUpRefunds).values({ accountId: account.id, topUpId, transactionId: posted.transactionId, kind: back.kind, amount, externalRef: back.externalRef, createdBy: back.createdBy, createdAt: at });
  const [updated] = await tx.update(topUps).set({ amountRefunded: sql`${topUps.amountRefunded} + ${amount}`, updatedAt: at }).where(eq(topUps.id, topUpId)).returning();
  await settle(tx, account.id, posted.transactionId, at);
  return { topUp: updated!, debited: { transactionId: posted.transactionId, amount } };
}

/** What refunds (not disputes) of a top-up have debited so far. */
export async function refundedByRefunds(tx: Db, accountId: number, topUpId: number): Promise<Minor> {
  const [row] = await tx
    .select({ total: sql<string>`coalesce(sum(${topUpRefunds.amount}), 0)` })
    .from(topUpRefunds)
    .where(and(eq(topUpRefunds.accountId, accountId), eq(topUpRefunds.topUpId, topUpId), eq(topUpRefunds.kind, 'refund')));
  return BigInt(row?.total ?? 0);
}
