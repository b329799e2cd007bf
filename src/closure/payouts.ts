// Payouts (SPEC 8, closing an account): what the refunds of a closing could not return waits in
// the ledger account `payouts_due` until an operator has sent it by bank transfer. Recording
// that transfer moves the amount from `payouts_due` to the bank clearing account in one ledger
// transaction; the customer's balance, zero since the closing, does not change. What is due is
// the sum of the account's `payouts_due` postings, never a counter.
import { type SQL, sql } from 'drizzle-orm';
import { lockAccount } from '../accounts/lock.js';
import { type Db, query } from '../db/client.js';
import { postLedgerTransaction } from '../ledger/post.js';
import type { Minor } from '../money/money.js';
import { writeOutbox } from '../outbox/write.js';
import { type Result, fail, ok } from '../shared/result.js';

export interface PayoutDue {
  id: number;
  name: string;
  currency: string;
  due: Minor;
}

const dueOf = (where: SQL) => sql`
  select a.id, a.name, a.currency, sum(p.amount)::text as due
  from ledger_postings p join accounts a on a.id = p.account_id
  where p.ledger_account = 'payouts_due' and ${where}
  group by a.id, a.name, a.currency
  having sum(p.amount) <> 0
  order by a.id`;

type DueRow = { id: number | string; name: string; currency: string; due: string };
const dueView = (row: DueRow): PayoutDue => ({ id: Number(row.id), name: row.name, currency: row.currency, due: BigInt(row.due) });

/** Accounts with money to pay out, oldest account first, a page at a time (`limit + 1` rows). */
export async function listPayoutsDue(db: Db, window: { limit: number; cursor?: string }): Promise<PayoutDue[]> {
  const rows = await query<DueRow>(db, sql`${dueOf(sql`p.account_id > ${Number(window.cursor ?? 0)}`)} limit ${window.limit + 1}`);
  return rows.map(dueView);
}

export async function payoutDue(db: Db, accountId: number): Promise<Minor> {
  const [row] = await query<DueRow>(db, dueOf(sql`p.account_id = ${accountId}`));
  return row ? BigInt(row.due) : 0n;
}

export interface PayoutMade {
  accountId: number;
  paid: Minor;
  stillDue: Minor;
  transactionId: number;
}

/** Records a bank transfer an operator made to a closed account's customer, in the caller's transaction. */
export async function recordPayout(tx: Db, accountId: number, payout: { amount?: Minor; bankReference: string; createdBy: string }, at: Date): Promise<Result<PayoutMade>> {
  const account = await lockAccount(tx, accountId);
  if (!account) return fail('not_found', `no account ${accountId}`);
  const due = await payoutDue(tx, accountId);
  if (due <= 0n) return fail('invalid_state', `nothing is due to account ${accountId}`);
  const paid = payout.amount ?? due;
  if (paid > due) return fail('amount_out_of_range', `${paid} is more than the ${due} due to account ${accountId}`, { field: '/amount' });
  const posted = await postLedgerTransaction(tx, {
    accountId,
    kind: 'payout',
    description: `Paid out by bank transfer ${payout.bankReference}`,
    postings: [
      { ledgerAccount: 'payouts_due', amount: -paid },
      { ledgerAccount: 'clearing_bank_transfer', amount: paid },
    ],
    at,
  });
  const made = { accountId, paid, stillDue: due - paid, transactionId: posted.transactionId };
  await writeOutbox(tx, accountId, 'account.payout_paid', { account_id: accountId, currency: account.currency, amount: paid, still_due: made.stillDue, bank_reference: payout.bankReference, transaction_id: posted.transactionId, paid_by: payout.createdBy }, at);
  return ok(made);
}
