// Top-ups (SPEC 8): money a customer sends, pending until it really arrives. A bank transfer is
// asked for with a creditor reference and the provider's bank details; each arrival of its
// money (an operator's confirmation today, a statement line next) is one receipt, credited in
// one ledger transaction through creditAccount: customer credited, the method's clearing
// account debited. A partial payment credits what came and leaves the rest expected; an
// over-payment credits all of it. The same receipt reported twice credits once.
import { and, eq } from 'drizzle-orm';
import { readProviderSetting } from '../audit/provider-setting.js';
import { type Moved, creditAccount, creditRefusal } from '../accounts/credit-account.js';
import { type AccountRow, lockAccount } from '../accounts/lock.js';
import type { Kassa } from '../context.js';
import type { Db } from '../db/client.js';
import { type LedgerAccount, type TopUpMethod, topUpReceipts, topUps } from '../db/schema.js';
import type { Minor } from '../money/money.js';
import { requestDocument } from '../ledger/document-requests.js';
import { type Result, abort, fail, ok } from '../shared/result.js';
import { BANK_ACCOUNT_SETTING, type BankAccount, printedIban } from './bank-account.js';
import { topUpRefusal } from './limits.js';
import { creditorReference, formatCreditorReference } from './creditor-reference.js';

export type TopUp = typeof topUps.$inferSelect;

export const BANK_TRANSFER_VALID_DAYS = 30;
/** Who starts an automatic top-up, in its `created_by` (./auto-top-up.ts). */
export const AUTO_TOP_UP_ACTOR = 'auto_top_up';
const DAY_MS = 86_400_000;

export const CLEARING: Record<TopUpMethod, Exclude<LedgerAccount, 'customer'>> = {
  bank_transfer: 'clearing_bank_transfer',
  card: 'clearing_card',
  paypal: 'clearing_paypal',
};

export async function readBankAccount(db: Db): Promise<BankAccount | null> {
  return (await readProviderSetting<BankAccount>(db, BANK_ACCOUNT_SETTING)) ?? null;
}

/** The reference of a top-up: its id, nine digits at least, behind RF and the check digits. */
export function topUpReference(topUpId: number): string {
  return creditorReference(String(topUpId).padStart(9, '0'));
}

/** Asks for a bank transfer, in the caller's transaction; answers it with the account to pay to. */
export async function requestBankTransfer(tx: Db, accountId: number, amount: Minor, createdBy: string, at: Date): Promise<Result<{ topUp: TopUp; bank: BankAccount }>> {
  const account = await lockAccount(tx, accountId);
  if (!account) return fail('not_found', `no account ${accountId}`);
  const refused = await topUpRefusal(tx, account, amount);
  if (refused) return { ok: false, failure: refused };
  const bank = await readBankAccount(tx);
  if (!bank) {
    return fail('payment_method_unavailable', 'bank transfers are not set up: an operator must first set the bank account (PUT /v1/settings/bank-account)', { field: '/method' });
  }
  const [created] = await tx
    .insert(topUps)
    .values({ accountId, method: 'bank_transfer', status: 'pending', currency: account.currency, amountRequested: amount, createdBy, createdAt: at, updatedAt: at, expiresAt: new Date(at.getTime() + BANK_TRANSFER_VALID_DAYS * DAY_MS) })
    .returning({ id: topUps.id });
  const [topUp] = await tx.update(topUps).set({ reference: topUpReference(created!.id) }).where(eq(topUps.id, created!.id)).returning();
  // The customer pays against a pro-forma invoice: the amount, the bank account and the reference.
  await requestDocument(tx, { accountId, kind: 'pro_forma', topUpId: topUp!.id }, at);
  return ok({ topUp: topUp!, bank });
}

export interface Receipt {
  amount: Minor;
  /** The bank's reference of the payment (or the provider's id): the same one twice credits once. */
  externalRef: string;
  /**
   * The money is known to be there: a card or PayPal provider confirmed it, or an operator
   * assigned a statement line to the top-up. It is credited whatever Kassa thought of the
   * top-up (a Checkout paid with a second card after the first was declined, a transfer that
   * arrived after its top-up expired). Otherwise the top-up must be pending.
   */
  whateverStatus?: boolean;
  /** The provider's id of the payment, kept on the top-up for refunds and disputes. */
  paymentRef?: string;
}

export type Confirmed = { topUp: TopUp; credited: (Moved & { amount: Minor }) | null };

/**
 * Locks a top-up for a money decision, in the caller's transaction: its account first, as every
 * money decision locks it, then the top-up. `accountId`, when the caller knows it, saves a read.
 */
export async function lockTopUp(tx: Db, topUpId: number, accountId?: number): Promise<{ account: AccountRow; topUp: TopUp }> {
  const [found] = accountId === undefined ? await tx.select({ accountId: topUps.accountId }).from(topUps).where(eq(topUps.id, topUpId)) : [{ accountId }];
  if (!found) return abort('not_found', `no top-up ${topUpId}`);
  const account = await lockAccount(tx, found.accountId);
  const [topUp] = await tx.select().from(topUps).where(eq(topUps.id, topUpId)).for('update');
  if (!account || !topUp) return abort('not_found', `no top-up ${topUpId}`);
  return { account, topUp };
}

/** What crediting `amount` of a top-up makes of it, and how the credit is told: its ledger description and its event. */
export function topUpCredit(topUp: TopUp, amount: Minor) {
  const received = topUp.amountReceived + amount;
  const status: 'succeeded' | 'pending' = received >= topUp.amountRequested ? 'succeeded' : 'pending';
  const payload = { top_up_id: topUp.id, method: topUp.method, received: received.toString(), requested: topUp.amountRequested.toString(), automatic: topUp.createdBy === AUTO_TOP_UP_ACTOR };
  return {
    received,
    status,
    description: `Top-up ${topUp.reference ?? topUp.id} by ${topUp.method.replace('_', ' ')}`,
    event: { topic: status === 'succeeded' ? ('top_up.succeeded' as const) : ('top_up.received' as const), payload },
  };
}

/** Credits one arrival of a pending top-up's money, in the caller's transaction. */
export async function receiveTopUp(tx: Db, kassa: Kassa, topUpId: number, receipt: Receipt, at: Date, accountId?: number): Promise<Confirmed> {
  const { account, topUp } = await lockTopUp(tx, topUpId, accountId);
  const [seen] = await tx.select({ id: topUpReceipts.id }).from(topUpReceipts).where(and(eq(topUpReceipts.accountId, account.id), eq(topUpReceipts.topUpId, topUpId), eq(topUpReceipts.externalRef, receipt.externalRef)));
  if (seen) return { topUp, credited: null };
  if (topUp.status !== 'pending' && !receipt.whateverStatus) return abort('invalid_state', `top-up ${topUpId} is ${topUp.status}: only a pending one receives money`);
  const refused = creditRefusal(account, receipt.amount);
  if (refused) return abort(refused.code, refused.detail, { field: '/amount' });

  const credit = topUpCredit(topUp, receipt.amount);
  const { received, status } = credit;
  const moved = await creditAccount(tx, kassa, account, { amount: receipt.amount, kind: 'top_up', description: credit.description, source: CLEARING[topUp.method], event: credit.event }, at);
  await tx.insert(topUpReceipts).values({ accountId: account.id, topUpId, transactionId: moved.transactionId, amount: receipt.amount, externalRef: receipt.externalRef, receivedAt: at });
  const paymentRef = receipt.paymentRef ?? topUp.paymentRef;
  const [updated] = await tx.update(topUps).set({ amountReceived: received, status, paymentRef, updatedAt: at }).where(eq(topUps.id, topUpId)).returning();
  return { topUp: updated!, credited: { ...moved, amount: receipt.amount } };
}

/** An operator's refusal of a pending top-up nothing has arrived for. */
export async function rejectTopUp(tx: Db, topUpId: number, at: Date): Promise<TopUp> {
  const [topUp] = await tx.select().from(topUps).where(eq(topUps.id, topUpId)).for('update');
  if (!topUp) return abort('not_found', `no top-up ${topUpId}`);
  if (topUp.status !== 'pending') return abort('invalid_state', `top-up ${topUpId} is ${topUp.status}`);
  if (topUp.amountReceived > 0n) return abort('invalid_state', `top-up ${topUpId} has received ${topUp.amountReceived} already: it cannot be rejected`);
  const [updated] = await tx.update(topUps).set({ status: 'failed', updatedAt: at }).where(eq(topUps.id, topUpId)).returning();
  return updated!;
}

/** What the customer still has to send: nothing once as much as asked for arrived (or more). */
export function stillToPay(topUp: Pick<TopUp, 'amountRequested' | 'amountReceived'>): Minor {
  return topUp.amountReceived >= topUp.amountRequested ? 0n : topUp.amountRequested - topUp.amountReceived;
}

/** A top-up on the wire; a bank transfer's instructions name the provider's account `bank`. Pure. */
export function topUpJson(topUp: TopUp, bank: BankAccount | null) {
  return {
    id: topUp.id,
    account_id: topUp.accountId,
    method: topUp.method,
    status: topUp.status,
    currency: topUp.currency,
    amount: topUp.amountRequested.toString(),
    received: topUp.amountReceived.toString(),
    refunded: topUp.amountRefunded.toString(),
    expires_at: topUp.expiresAt?.toISOString() ?? null,
    created_at: topUp.createdAt.toISOString(),
    updated_at: topUp.updatedAt.toISOString(),
    bank_transfer:
      topUp.method === 'bank_transfer' && bank && topUp.reference
        ? { reference: formatCreditorReference(topUp.reference), beneficiary: bank.beneficiary, iban: printedIban(bank.iban), bic: bank.bic, amount: stillToPay(topUp).toString(), pay_by: topUp.expiresAt?.toISOString() ?? null }
        : null,
    card: topUp.method === 'card' ? { checkout_url: topUp.status === 'pending' ? topUp.redirectUrl : null, save_card: topUp.saveCard } : null,
    paypal: topUp.method === 'paypal' ? { approve_url: topUp.status === 'pending' ? topUp.redirectUrl : null, order_id: topUp.providerRef } : null,
  };
}
