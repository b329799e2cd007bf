// The only way money moves: one ledger transaction whose postings sum to zero, written with
// the cached customer balance in the same database transaction. Nothing here is ever
// updated or deleted; a correction is a new, reversing transaction.
import { eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { type LedgerAccount, type LedgerKind, accounts, ledgerPostings, ledgerTransactions } from '../db/schema.js';
import type { Minor } from '../money/money.js';

export interface PostingInput {
  ledgerAccount: LedgerAccount;
  amount: Minor;
  subscriptionId?: number;
  /** Marks the posting that pays this subscription period (at most once, by constraint). */
  billedPeriodStart?: Date;
  /** The credit grant whose sub-account a `grant` posting moves. */
  grantId?: number;
  /** The plan or meter code the posting of a charge or refund belongs to (revenue per service). */
  service?: string;
}

export interface LedgerTransactionInput {
  accountId: number;
  kind: LedgerKind;
  description: string;
  postings: PostingInput[];
  at: Date;
  reversesId?: number;
}

export interface Posted {
  transactionId: number;
  /** The customer's balance after this transaction. */
  balance: Minor;
  /** What the account's credit grants hold together after it. */
  granted: Minor;
  customerAmount: Minor;
}

/** Sum of the customer-side postings: what the transaction does to the account's balance. */
export function customerEffect(postings: readonly PostingInput[]): Minor {
  return postings.reduce((sum, p) => (p.ledgerAccount === 'customer' ? sum + p.amount : sum), 0n);
}

/** Sum of the credit-grant postings: what the transaction does to the account's grants together. */
export function grantEffect(postings: readonly PostingInput[]): Minor {
  return postings.reduce((sum, p) => (p.ledgerAccount === 'grant' ? sum + p.amount : sum), 0n);
}

/** Money onto the customer's balance (negative: off it) against one other ledger account. */
export function customerPostings(toCustomer: Minor, counterpart: Exclude<LedgerAccount, 'customer'>): PostingInput[] {
  return [
    { ledgerAccount: 'customer', amount: toCustomer },
    { ledgerAccount: counterpart, amount: -toCustomer },
  ];
}

export function assertBalanced(postings: readonly PostingInput[]): void {
  const total = postings.reduce((sum, p) => sum + p.amount, 0n);
  if (postings.length < 2 || total !== 0n) throw new Error(`unbalanced ledger transaction: ${postings.length} postings summing to ${total}`);
}

/** Caller holds the account row lock (lockAccount) so the balance it checked is the balance. */
export async function postLedgerTransaction(tx: Db, input: LedgerTransactionInput): Promise<Posted> {
  assertBalanced(input.postings);
  const customerAmount = customerEffect(input.postings);
  const grantAmount = grantEffect(input.postings);
  const [transaction] = await tx
    .insert(ledgerTransactions)
    .values({
      accountId: input.accountId,
      kind: input.kind,
      description: input.description,
      customerAmount,
      reversesId: input.reversesId ?? null,
      createdAt: input.at,
    })
    .returning({ id: ledgerTransactions.id });
  const transactionId = transaction!.id;
  await tx.insert(ledgerPostings).values(
    input.postings.map((p, i) => ({
      transactionId,
      line: i + 1,
      accountId: input.accountId,
      ledgerAccount: p.ledgerAccount,
      amount: p.amount,
      subscriptionId: p.subscriptionId ?? null,
      billedPeriodStart: p.billedPeriodStart ?? null,
      grantId: p.grantId ?? null,
      service: p.service ?? null,
    })),
  );
  const [account] = await tx
    .update(accounts)
    .set({ balance: sql`${accounts.balance} + ${customerAmount}`, granted: sql`${accounts.granted} + ${grantAmount}` })
    .where(eq(accounts.id, input.accountId))
    .returning({ balance: accounts.balance, granted: accounts.granted });
  return { transactionId, balance: account!.balance, granted: account!.granted, customerAmount };
}

/** A charge to the customer: customer -amount, revenue +amount. */
export function chargePostings(amount: Minor, extra: Omit<PostingInput, 'ledgerAccount' | 'amount'> = {}): PostingInput[] {
  return [
    { ledgerAccount: 'customer', amount: -amount, ...extra },
    { ledgerAccount: 'revenue', amount, subscriptionId: extra.subscriptionId },
  ];
}
