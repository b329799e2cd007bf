// Money coming into an account (SPEC 4 and 8): an operator's credit today, a settled top-up
// next. Every way in goes through creditAccount, so each has the same consequences in the same
// transaction: the ledger posting, the caller's event, the receipt asked for (src/documents), a
// trial's upgrade on its first credit (provider setting), the resume of suspended subscriptions,
// and the low-balance state.
import { eq } from 'drizzle-orm';
import type { Kassa } from '../context.js';
import type { Db } from '../db/client.js';
import { type LedgerAccount, type LedgerKind, accounts } from '../db/schema.js';
import { requestDocument } from '../ledger/document-requests.js';
import { type Posted, customerPostings, postLedgerTransaction } from '../ledger/post.js';
import { MAX_MINOR, type Minor } from '../money/money.js';
import { type OutboxTopic, writeOutbox } from '../outbox/write.js';
import type { Failure } from '../shared/result.js';
import type { AccountRow } from './lock.js';
import { evaluateLowBalance } from './low-balance.js';
import { upgradeAccount, upgradesOnFirstCredit } from './upgrade.js';

export interface IncomingMoney {
  amount: Minor;
  kind: LedgerKind;
  description: string;
  /** Where the money comes from in the ledger: 'adjustments' for an operator's credit. */
  source: Exclude<LedgerAccount, 'customer'>;
  /** The event that tells of it; account_id, transaction_id, amount, currency and balance are added. */
  event: { topic: OutboxTopic; payload: Record<string, unknown> };
}

export interface Moved {
  transactionId: number;
  /** The account after everything the movement set off (resumed subscriptions spend from it). */
  account: AccountRow;
  resumedSubscriptionIds: number[];
}

/** Why this account may not receive `amount`; undefined when it may. */
export function creditRefusal(account: Pick<AccountRow, 'status' | 'balance'>, amount: Minor): Failure | undefined {
  if (account.status === 'closed') return { code: 'invalid_state', detail: 'the account is closed' };
  if (account.balance + amount > MAX_MINOR) return { code: 'amount_out_of_range', detail: 'the balance would exceed the largest amount Kassa holds', field: '/amount' };
  return undefined;
}

/**
 * Inside the caller's transaction, with the account locked (lockAccount) and creditRefusal
 * checked. The caller invalidates the account's entitlements after the commit: an upgrade
 * lifts the trial limits and a resume changes what the account runs.
 */
export async function creditAccount(tx: Db, kassa: Kassa, account: AccountRow, money: IncomingMoney, at: Date): Promise<Moved> {
  const accountId = account.id;
  const posted = await postMovement(tx, account, { toCustomer: money.amount, kind: money.kind, description: money.description, counterpart: money.source, event: money.event }, at);
  await requestDocument(tx, { accountId, kind: 'receipt', transactionId: posted.transactionId }, at);
  if (account.type === 'trial' && (await upgradesOnFirstCredit(tx))) {
    await upgradeAccount(tx, { kind: 'system' }, accountId, 'first_credit', null, at);
  }
  const resumedSubscriptionIds = kassa.billing.autoResume ? await kassa.afterCredit(tx, kassa, accountId, at) : [];
  return { ...(await settle(tx, accountId, posted.transactionId, at)), resumedSubscriptionIds };
}

export interface Movement {
  /** Onto the customer's balance; negative takes it off. */
  toCustomer: Minor;
  kind: LedgerKind;
  description: string;
  counterpart: Exclude<LedgerAccount, 'customer'>;
  /** account_id, transaction_id, amount (moved, unsigned), currency and balance are added. */
  event: { topic: OutboxTopic; payload: Record<string, unknown> };
}

/** One ledger transaction and the event that tells of it, in the caller's transaction. */
export async function postMovement(tx: Db, account: AccountRow, movement: Movement, at: Date): Promise<Posted> {
  const posted = await postLedgerTransaction(tx, {
    accountId: account.id,
    kind: movement.kind,
    description: movement.description,
    postings: customerPostings(movement.toCustomer, movement.counterpart),
    at,
  });
  await writeOutbox(tx, account.id, movement.event.topic, movementPayload(account, posted, movement.toCustomer, movement.event.payload), at);
  return posted;
}

/** A money event's payload: the movement (amount unsigned) and the balance after it, then the caller's own fields. */
export function movementPayload(account: Pick<AccountRow, 'id' | 'currency'>, posted: Pick<Posted, 'transactionId' | 'balance'>, toCustomer: Minor, payload: Record<string, unknown>): Record<string, unknown> {
  const amount = toCustomer < 0n ? -toCustomer : toCustomer;
  return { account_id: account.id, transaction_id: posted.transactionId, amount, currency: account.currency, balance: posted.balance, ...payload };
}

/** After money moved: the low-balance state, then the account as it now stands. */
export async function settle(tx: Db, accountId: number, transactionId: number, at: Date): Promise<Omit<Moved, 'resumedSubscriptionIds'>> {
  await evaluateLowBalance(tx, accountId, at);
  const [after] = await tx.select().from(accounts).where(eq(accounts.id, accountId));
  return { transactionId, account: after! };
}
