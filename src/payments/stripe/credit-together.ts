// Card payments credited together (SPEC 8, ADR 0009): a drain's `payment_intent.succeeded` and
// `checkout.session.completed` events are credited in one transaction and a handful of
// set-based statements, the billing run's way, instead of some twenty statements each. Only
// the plain case goes this way: a card top-up Kassa made (its id in the metadata), paid in its
// currency, not saving the card, to an account whose credit sets nothing else off (no
// suspended subscription to resume, no trial to upgrade, no low-balance threshold in days of
// spend). Everything else, and a second payment of an account in the same batch, is acted on
// one event at a time as before, so both ways give the same ledger, events and outcomes.
import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type Stripe from 'stripe';
import type { Kassa } from '../../context.js';
import { creditRefusal, movementPayload } from '../../accounts/credit-account.js';
import { type AccountRow, availableFunds } from '../../accounts/lock.js';
import { type LowBalanceDecision, lowBalanceDecision, lowBalanceWarning } from '../../accounts/low-balance.js';
import { upgradesOnFirstCredit } from '../../accounts/upgrade.js';
import { type Db, query } from '../../db/client.js';
import { accounts, paymentEvents, subscriptions, topUpReceipts, topUps } from '../../db/schema.js';
import { type OutboxEvent, writeOutboxEvents } from '../../outbox/write.js';
import { CLEARING, type TopUp, topUpCredit } from '../top-ups.js';
import { readStripeEvent } from './events.js';

/** A kept event that says a card payment of a named top-up succeeded. */
export interface PaidEvent {
  eventId: string;
  topUpId: number;
  paymentRef: string;
  amount: bigint;
  currency: string;
}

/** The event as a card payment of a named top-up, or null when it is something else. */
export function paidEvent(eventId: string, event: Stripe.Event): PaidEvent | null {
  const fact = readStripeEvent(event);
  return fact.kind === 'paid' && fact.topUpId !== null ? { eventId, topUpId: fact.topUpId, paymentRef: fact.paymentRef, amount: fact.amount, currency: fact.currency } : null;
}

export interface BatchCredit {
  eventId: string;
  /** The account as locked, before the credit. */
  account: AccountRow;
  topUp: TopUp;
  amount: bigint;
  paymentRef: string;
  balanceAfter: bigint;
  lowBalance: LowBalanceDecision;
}

export interface CreditPlan {
  credits: BatchCredit[];
  /** Events whose payment is credited already: marked, nothing moves. */
  alreadyCredited: { eventId: string; topUpId: number }[];
  /** Events left to the one-at-a-time path, which knows every other case. */
  oneByOne: string[];
}

export interface PlanInput {
  events: readonly PaidEvent[];
  topUps: ReadonlyMap<number, TopUp>;
  accounts: ReadonlyMap<number, AccountRow>;
  /** `${topUpId}/${externalRef}` of the receipts the top-ups have. */
  receipts: ReadonlySet<string>;
  /** Accounts with a suspended subscription a credit would try to resume. */
  resumable: ReadonlySet<number>;
  /** Whether a trial account's first credit upgrades it (provider setting). */
  trialUpgrades: boolean;
}

/** Which events are credited together, which are credited already, which go one by one (pure). */
export function planCredits(input: PlanInput): CreditPlan {
  const plan: CreditPlan = { credits: [], alreadyCredited: [], oneByOne: [] };
  const creditedNow = new Set<string>();
  const accountsTaken = new Set<number>();
  for (const event of input.events) {
    const topUp = input.topUps.get(event.topUpId);
    if (!topUp || topUp.method !== 'card' || event.currency.toUpperCase() !== topUp.currency) {
      plan.oneByOne.push(event.eventId);
      continue;
    }
    const receipt = `${topUp.id}/${event.paymentRef}`;
    if (input.receipts.has(receipt) || creditedNow.has(receipt)) {
      plan.alreadyCredited.push({ eventId: event.eventId, topUpId: topUp.id });
      continue;
    }
    const account = input.accounts.get(topUp.accountId);
    const setsOffMore =
      !account ||
      topUp.saveCard ||
      accountsTaken.has(account.id) ||
      input.resumable.has(account.id) ||
      (account.type === 'trial' && input.trialUpgrades) ||
      account.lowBalanceThresholdDays !== null ||
      creditRefusal(account, event.amount) !== undefined;
    if (setsOffMore) {
      plan.oneByOne.push(event.eventId);
      continue;
    }
    const balanceAfter = account.balance + event.amount;
    const lowBalance = lowBalanceDecision({ available: availableFunds({ ...account, balance: balanceAfter }), threshold: account.lowBalanceThreshold, warned: account.lowBalanceWarned });
    plan.credits.push({ eventId: event.eventId, account, topUp, amount: event.amount, paymentRef: event.paymentRef, balanceAfter, lowBalance });
    creditedNow.add(receipt);
    accountsTaken.add(account.id);
  }
  return plan;
}

export interface TogetherOutcome {
  /** What each event acted on here came to, as the one-at-a-time path words it. */
  outcomes: Map<string, string>;
  oneByOne: string[];
  creditedAccountIds: number[];
}

/** Credits what it can of `events` in one transaction; the caller acts on `oneByOne` after. */
export async function creditTogether(kassa: Kassa, events: readonly PaidEvent[]): Promise<TogetherOutcome> {
  const at = kassa.clock.now();
  return kassa.db.transaction(async (txAny) => {
    const tx = txAny as unknown as Db;
    // Another drain (another process) may hold some of them: it acts on those.
    const claimed = new Set(
      (
        await tx
          .select({ eventId: paymentEvents.eventId })
          .from(paymentEvents)
          .where(and(eq(paymentEvents.provider, 'stripe'), inArray(paymentEvents.eventId, events.map((e) => e.eventId)), isNull(paymentEvents.processedAt)))
          .for('update', { skipLocked: true })
      ).map((row) => row.eventId),
    );
    const mine = events.filter((e) => claimed.has(e.eventId));
    if (mine.length === 0) return { outcomes: new Map(), oneByOne: [], creditedAccountIds: [] };

    const topUpIds = [...new Set(mine.map((e) => e.topUpId))];
    const owners = await tx.select({ accountId: topUps.accountId }).from(topUps).where(inArray(topUps.id, topUpIds));
    const accountIds = [...new Set(owners.map((o) => o.accountId))];
    // As every money decision: the accounts first (in id order, so two batches never deadlock), then the top-ups.
    const lockedAccounts = accountIds.length === 0 ? [] : await tx.select().from(accounts).where(inArray(accounts.id, accountIds)).orderBy(asc(accounts.id)).for('update');
    const lockedTopUps = await tx.select().from(topUps).where(inArray(topUps.id, topUpIds)).orderBy(asc(topUps.id)).for('update');
    const receipts = await tx.select({ topUpId: topUpReceipts.topUpId, externalRef: topUpReceipts.externalRef }).from(topUpReceipts).where(inArray(topUpReceipts.topUpId, topUpIds));
    const resumable =
      kassa.billing.autoResume && accountIds.length > 0
        ? await tx.selectDistinct({ accountId: subscriptions.accountId }).from(subscriptions).where(and(inArray(subscriptions.accountId, accountIds), eq(subscriptions.status, 'suspended')))
        : [];
    const plan = planCredits({
      events: mine,
      topUps: new Map(lockedTopUps.map((t) => [t.id, t])),
      accounts: new Map(lockedAccounts.map((a) => [a.id, a])),
      receipts: new Set(receipts.map((r) => `${r.topUpId}/${r.externalRef}`)),
      resumable: new Set(resumable.map((r) => r.accountId)),
      trialUpgrades: lockedAccounts.some((a) => a.type === 'trial') && (await upgradesOnFirstCredit(tx)),
    });

    const transactionOf = await writeCredits(tx, plan.credits, at);
    await writeOutboxEvents(tx, plan.credits.flatMap((credit) => creditEvents(credit, transactionOf.get(credit.account.id)!)), at);
    const lowBalanceChanged = plan.credits.filter((c) => c.lowBalance !== 'unchanged');
    if (lowBalanceChanged.length > 0) {
      const warned = lowBalanceChanged.filter((c) => c.lowBalance === 'warn').map((c) => c.account.id);
      await tx
        .update(accounts)
        .set({ lowBalanceWarned: warned.length > 0 ? inArray(accounts.id, warned) : sql`false` })
        .where(inArray(accounts.id, lowBalanceChanged.map((c) => c.account.id)));
    }

    const outcomes = new Map<string, string>();
    const marks: { event_id: string; outcome: string; top_up_id: number }[] = [];
    for (const credit of plan.credits) marks.push({ event_id: credit.eventId, outcome: `credited ${credit.amount}`, top_up_id: credit.topUp.id });
    for (const seen of plan.alreadyCredited) marks.push({ event_id: seen.eventId, outcome: 'already credited', top_up_id: seen.topUpId });
    for (const mark of marks) outcomes.set(mark.event_id, mark.outcome);
    if (marks.length > 0) {
      await query(
        tx,
        sql`update payment_events p set processed_at = ${at}, outcome = m.outcome, top_up_id = m.top_up_id
            from jsonb_to_recordset(${JSON.stringify(marks)}::jsonb) as m(event_id text, outcome text, top_up_id bigint)
            where p.provider = 'stripe' and p.event_id = m.event_id`,
      );
    }
    return { outcomes, oneByOne: plan.oneByOne, creditedAccountIds: plan.credits.map((c) => c.account.id) };
  });
}

/**
 * One statement for every credit of the batch: a ledger transaction per account (customer
 * credited, card clearing debited), the balances, the receipts and the top-ups. Answers each
 * account's ledger transaction (one credit per account per batch, by planCredits).
 */
async function writeCredits(tx: Db, credits: readonly BatchCredit[], at: Date): Promise<Map<number, number>> {
  if (credits.length === 0) return new Map();
  const rows = credits.map((c) => {
    const { received, status, description } = topUpCredit(c.topUp, c.amount);
    return { account_id: c.account.id, top_up_id: c.topUp.id, amount: c.amount.toString(), payment_ref: c.paymentRef, description, received: received.toString(), status };
  });
  const written = await query<{ id: number | string; account_id: number | string }>(
    tx,
    sql`with input as (
          select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
            as i(account_id bigint, top_up_id bigint, amount bigint, payment_ref text, description text, received bigint, status text)
        ),
        txs as (
          insert into ledger_transactions (account_id, kind, description, customer_amount, created_at)
          select account_id, 'top_up', description, amount, ${at} from input
          returning id, account_id
        ),
        postings as (
          insert into ledger_postings (transaction_id, line, account_id, ledger_account, amount)
          select x.id, 1, x.account_id, 'customer', i.amount from txs x join input i on i.account_id = x.account_id
          union all
          select x.id, 2, x.account_id, ${CLEARING.card}, -i.amount from txs x join input i on i.account_id = x.account_id
        ),
        balances as (
          update accounts a set balance = a.balance + i.amount from input i where a.id = i.account_id
        ),
        receipts as (
          insert into top_up_receipts (account_id, top_up_id, transaction_id, amount, external_ref, received_at)
          select i.account_id, i.top_up_id, x.id, i.amount, i.payment_ref, ${at} from txs x join input i on i.account_id = x.account_id
        ),
        settled as (
          update top_ups t set amount_received = i.received, status = i.status, payment_ref = i.payment_ref, updated_at = ${at}
          from input i where t.id = i.top_up_id
        )
        select id, account_id from txs`,
  );
  return new Map(written.map((row) => [Number(row.account_id), Number(row.id)]));
}

/** The events a credit writes, with the payloads the one-at-a-time path gives them. */
function creditEvents(credit: BatchCredit, transactionId: number): OutboxEvent[] {
  const { account, topUp } = credit;
  const { event } = topUpCredit(topUp, credit.amount);
  const posted = { transactionId, balance: credit.balanceAfter };
  const events: OutboxEvent[] = [{ accountId: account.id, topic: event.topic, payload: movementPayload(account, posted, credit.amount, event.payload) }];
  if (credit.lowBalance === 'warn') events.push({ accountId: account.id, topic: 'balance.low', payload: lowBalanceWarning({ ...account, balance: credit.balanceAfter }, account.lowBalanceThreshold) });
  return events;
}
