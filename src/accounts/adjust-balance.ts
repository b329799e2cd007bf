// An operator's balance adjustment: one ledger transaction between the customer and the
// 'adjustments' account. A credit takes the path every incoming payment takes
// (credit-account.ts).
import type { Kassa } from '../context.js';
import type { Db } from '../db/client.js';
import type { Minor } from '../money/money.js';
import { type Failure, type Result, fail, ok } from '../shared/result.js';
import { type IncomingMoney, type Moved, creditAccount, creditRefusal, postMovement, settle } from './credit-account.js';
import { type AccountRow, availableFunds, lockAccount } from './lock.js';

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
export function adjustmentRefusal(account: Pick<AccountRow, 'status' | 'balance' | 'creditEnabled' | 'creditLimit' | 'reserved' | 'currency'>, adjustment: Adjustment): Failure | undefined {
  if (adjustment.direction === 'credit') return creditRefusal(account, adjustment.amount);
  if (account.status === 'closed') return { code: 'invalid_state', detail: 'the account is closed' };
  // A debit corrects paid money: the credit grants are not its to take (a grant is voided instead).
  const available = availableFunds({ ...account, granted: 0n });
  if (adjustment.amount > available) {
    return {
      code: 'insufficient_funds',
      detail: `a debit of ${adjustment.amount} exceeds the ${available} available`,
      field: '/amount',
      extra: { available: available.toString(), currency: account.currency },
    };
  }
  return undefined;
}

/** Runs inside the idempotency transaction; a failure rolls it back. */
export async function adjustBalance(tx: Db, kassa: Kassa, accountId: number, adjustment: Adjustment, at: Date): Promise<Result<AdjustmentResult>> {
  const account = await lockAccount(tx, accountId);
  if (!account) return fail('not_found', `no account ${accountId}`);
  const refusal = adjustmentRefusal(account, adjustment);
  if (refusal) return { ok: false, failure: refusal };

  const event = { topic: 'balance.adjusted' as const, payload: { direction: adjustment.direction, reason: adjustment.reason } };
  const moved =
    adjustment.direction === 'credit'
      ? await creditAccount(tx, kassa, account, { amount: adjustment.amount, kind: 'adjustment', description: adjustment.reason, source: 'adjustments', event }, at)
      : await debitByOperator(tx, account, adjustment, event, at);
  return ok({
    transaction_id: moved.transactionId,
    account_id: accountId,
    direction: adjustment.direction,
    amount: adjustment.amount.toString(),
    reason: adjustment.reason,
    currency: account.currency,
    balance: moved.account.balance.toString(),
    available: availableFunds(moved.account).toString(),
    resumed_subscription_ids: moved.resumedSubscriptionIds,
    created_at: at.toISOString(),
  });
}

/** An operator's debit: the ledger posting to 'adjustments', its event, the low-balance state. */
async function debitByOperator(tx: Db, account: AccountRow, adjustment: Adjustment, event: IncomingMoney['event'], at: Date): Promise<Moved> {
  const posted = await postMovement(tx, account, { toCustomer: -adjustment.amount, kind: 'adjustment', description: adjustment.reason, counterpart: 'adjustments', event }, at);
  return { ...(await settle(tx, account.id, posted.transactionId, at)), resumedSubscriptionIds: [] };
}
