// An operator's balance adjustment: for now the only way money comes in (SPEC 8's top-ups
// will join it). One ledger transaction between the customer and the 'adjustments' account.
import { eq } from 'drizzle-orm';
import type { Kassa } from '../context.js';
import type { Db } from '../db/client.js';
import { accounts } from '../db/schema.js';
import { postLedgerTransaction, type PostingInput } from '../ledger/post.js';
import { MAX_MINOR, type Minor } from '../money/money.js';
import { writeOutbox } from '../outbox/write.js';
import { type Failure, type Result, fail, ok } from '../shared/result.js';
import { resumeSuspended } from '../subscriptions/resume.js';
import { type AccountRow, availableFunds, lockAccount } from './lock.js';
import { evaluateLowBalance } from './low-balance.js';
import { upgradeAccount, upgradesOnFirstCredit } from './upgrade.js';

export type Direction = 'credit' | 'debit';

export interface Adjustment {
  direction: Direction;
  amount: Minor;
  reason: string;
}

/** What the API answers (and the idempotency record replays). */
export interface AdjustmentResult {
  transaction_id: number;
  account_id: number;
  direction: Direction;
  amount: string;
  reason: string;
  currency: string;
  balance: string;
  available: string;
  resumed_subscription_ids: number[];
  created_at: string;
}

/** Why this adjustment may not be posted on this account, checked in this order; undefined when it may. */
export function adjustmentRefusal(account: Pick<AccountRow, 'status' | 'balance' | 'creditEnabled' | 'creditLimit' | 'currency'>, adjustment: Adjustment): Failure | undefined {
  if (account.status === 'closed') return { code: 'invalid_state', detail: 'the account is closed' };
  const available = availableFunds(account);
  if (adjustment.direction === 'debit' && adjustment.amount > available) {
    return {
      code: 'insufficient_funds',
      detail: `a debit of ${adjustment.amount} exceeds the ${available} available`,
      field: '/amount',
      extra: { available: available.toString(), currency: account.currency },
    };
  }
  if (adjustment.direction === 'credit' && account.balance + adjustment.amount > MAX_MINOR) {
    return { code: 'amount_out_of_range', detail: 'the balance would exceed the largest amount Kassa holds', field: '/amount' };
  }
  return undefined;
}

export function adjustmentPostings({ direction, amount }: Adjustment): PostingInput[] {
  const toCustomer = direction === 'credit' ? amount : -amount;
  return [
    { ledgerAccount: 'customer', amount: toCustomer },
    { ledgerAccount: 'adjustments', amount: -toCustomer },
  ];
}

/** Runs inside the idempotency transaction; a failure rolls it back. */
export async function adjustBalance(tx: Db, kassa: Kassa, accountId: number, adjustment: Adjustment, at: Date): Promise<Result<AdjustmentResult>> {
  const account = await lockAccount(tx, accountId);
  if (!account) return fail('not_found', `no account ${accountId}`);
  const refusal = adjustmentRefusal(account, adjustment);
  if (refusal) return { ok: false, failure: refusal };

  const posted = await postLedgerTransaction(tx, {
    accountId,
    kind: 'adjustment',
    description: adjustment.reason,
    postings: adjustmentPostings(adjustment),
    at,
  });
  // A trial's first credit may make it a billing account (provider setting); the route
  // invalidates the account's entitlements after the commit, lifting the trial limits.
  if (adjustment.direction === 'credit' && account.type === 'trial' && (await upgradesOnFirstCredit(tx))) {
    await upgradeAccount(tx, { kind: 'system' }, accountId, 'first_credit', null, at);
  }
  const resumed = adjustment.direction === 'credit' && kassa.billing.autoResume ? await resumeSuspended(tx, kassa, accountId, at) : [];
  await evaluateLowBalance(tx, accountId, at);
  await writeOutbox(
    tx,
    accountId,
    'balance.adjusted',
    { account_id: accountId, transaction_id: posted.transactionId, direction: adjustment.direction, amount: adjustment.amount, reason: adjustment.reason, currency: account.currency, balance: posted.balance },
    at,
  );
  // Resuming charges the account, so the figures are read after it.
  const [after] = await tx.select().from(accounts).where(eq(accounts.id, accountId));
  return ok({
    transaction_id: posted.transactionId,
    account_id: accountId,
    direction: adjustment.direction,
    amount: adjustment.amount.toString(),
    reason: adjustment.reason,
    currency: account.currency,
    balance: after!.balance.toString(),
    available: availableFunds(after!).toString(),
    resumed_subscription_ids: resumed,
    created_at: at.toISOString(),
  });
}

