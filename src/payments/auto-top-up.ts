// Automatic top-up (SPEC 8): a threshold and an amount (or a target to top up to), charged
// off-session to the default saved card when `available` falls below the threshold. Checked by
// a scheduled job (every minute, and at each simulated midnight after the billing run):
//
// - once per crossing: a charge spends `armed`; funds back at the threshold re-arm it (the
//   charge's own credit, or the next pass of the job);
// - never twice at once: the charge's top-up is recorded as in flight before Stripe is asked,
//   and Stripe is asked under a key derived from it, so a crash or a second worker finds the
//   same PaymentIntent, never a second charge;
// - within the customer's monthly cap (a calendar month, UTC);
// - a decline or a card that needs authentication fails the attempt and tells the customer; it
//   is tried again a day later, and three failures in a row pause it until a card is saved again.
import { and, eq, isNotNull, isNull, lte, or, sql } from 'drizzle-orm';
import type Stripe from 'stripe';
import { type AccountRow, availableFunds, lockAccount } from '../accounts/lock.js';
import { inTransaction } from '../accounts/transaction.js';
import type { Kassa } from '../context.js';
import type { Db } from '../db/client.js';
import { accounts, autoTopUps, paymentCustomers, topUps } from '../db/schema.js';
import type { Minor } from '../money/money.js';
import { writeOutbox } from '../outbox/write.js';
import { abort } from '../shared/result.js';
import { defaultPaymentMethod } from './payment-methods.js';
import { readTopUpLimits, topUpLimitRefusal, withinLimits } from './limits.js';
import { STRIPE_MAX_AMOUNT, stripeAmount, stripeFor } from './stripe/client.js';
import { AUTO_TOP_UP_ACTOR, type TopUp, receiveTopUp } from './top-ups.js';

export type AutoTopUp = typeof autoTopUps.$inferSelect;

export const FAILURES_BEFORE_PAUSE = 3;
const ACCOUNTS_PER_PASS = 100;
const RETRY_AFTER_MS = 86_400_000;

/** What one charge asks for: the fixed amount, or what brings `available` up to the target. Pure. */
export function chargeFor(settings: Pick<AutoTopUp, 'amount' | 'target'>, available: Minor): Minor {
  if (settings.amount !== null) return settings.amount;
  return settings.target! > available ? settings.target! - available : 0n;
}

/** The part of `amount` the monthly cap still allows. Pure. */
export function withinCap(amount: Minor, spent: Minor, cap: Minor): Minor {
  const left = cap > spent ? cap - spent : 0n;
  return amount < left ? amount : left;
}

/** The calendar month `spent` counts in. Pure. */
export const monthOf = (at: Date): string => at.toISOString().slice(0, 7);

/** The first instant of the calendar month after `at`'s (UTC). Pure. */
export const startOfNextMonth = (at: Date): Date => new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1));

export interface AutoTopUpSettings {
  enabled: boolean;
  threshold: Minor;
  amount: Minor | null;
  target: Minor | null;
  monthlyCap: Minor;
}

/** Sets an account's automatic top-up, in the caller's transaction; enabling needs a saved card. */
export async function setAutoTopUp(tx: Db, accountId: number, settings: AutoTopUpSettings, at: Date): Promise<AutoTopUp> {
  const account = await lockAccount(tx, accountId);
  if (!account) return abort('not_found', `no account ${accountId}`);
  if (account.status === 'closed') return abort('invalid_state', 'the account is closed');
  if ((settings.amount === null) === (settings.target === null)) return abort('validation_failed', 'give either amount (a fixed top-up) or top_up_to (a target for available), not both', { field: '/amount' });
  if (settings.target !== null && settings.target <= settings.threshold) return abort('validation_failed', 'top_up_to must be above the threshold', { field: '/top_up_to' });
  if (settings.amount !== null && settings.monthlyCap < settings.amount) return abort('validation_failed', `the monthly cap must allow at least one top-up of ${settings.amount}`, { field: '/monthly_cap' });
  if (settings.amount !== null && settings.amount > STRIPE_MAX_AMOUNT) return abort('amount_out_of_range', `a card payment is at most ${STRIPE_MAX_AMOUNT} minor units`, { field: '/amount' });
  const outside = settings.amount === null ? undefined : topUpLimitRefusal(await readTopUpLimits(tx), account.currency, settings.amount);
  if (outside) return abort(outside.code, outside.detail, { field: '/amount', extra: outside.extra });
  if (settings.enabled && !(await defaultPaymentMethod(tx, accountId))) {
    return abort('payment_method_unavailable', 'automatic top-up charges a saved card: save one first (a card top-up with save_card)', { field: '/enabled' });
  }
  const values = { ...settings, updatedAt: at };
  const [row] = await tx
    .insert(autoTopUps)
    .values({ accountId, ...values, month: monthOf(at) })
    .onConflictDoUpdate({ target: autoTopUps.accountId, set: values })
    .returning();
  return row!;
}

export async function readAutoTopUp(db: Db, accountId: number): Promise<AutoTopUp | undefined> {
  const [row] = await db.select().from(autoTopUps).where(eq(autoTopUps.accountId, accountId));
  return row;
}

/** The scheduled job: re-arms what recovered, then charges what is due. Answers the charges settled. */
export async function runAutoTopUps(kassa: Kassa, at: Date): Promise<number> {
  const available = sql`${accounts.balance} + case when ${accounts.creditEnabled} then ${accounts.creditLimit} else 0 end`;
  await kassa.db.execute(sql`
    update ${autoTopUps} a set armed = true, updated_at = ${at}
    from ${accounts}
    where ${accounts.id} = a.account_id and not a.armed and a.in_flight_top_up_id is null and ${available} >= a.threshold`);
  const due = await kassa.db
    .select({ accountId: autoTopUps.accountId })
    .from(autoTopUps)
    .innerJoin(accounts, eq(accounts.id, autoTopUps.accountId))
    .where(
      and(
        eq(autoTopUps.enabled, true),
        isNull(autoTopUps.pausedReason),
        // An attempt left in flight (a crash, Stripe unreachable) is taken up again, under its key.
        or(
          isNotNull(autoTopUps.inFlightTopUpId),
          and(eq(autoTopUps.armed, true), sql`${available} < ${autoTopUps.threshold}`, or(isNull(autoTopUps.retryAt), lte(autoTopUps.retryAt, at))),
        ),
      ),
    )
    .limit(ACCOUNTS_PER_PASS);
  if (due.length === 0) return 0;
  const stripe = await stripeFor(kassa);
  if (!stripe.ok) return 0;
  let settled = 0;
  for (const { accountId } of due) if (await attempt(kassa, stripe.value.stripe, accountId, at)) settled += 1;
  return settled;
}

interface Claim {
  topUp: TopUp;
  customerRef: string;
  paymentMethodRef: string;
}

/** One account's charge: claim it, ask Stripe, settle what Stripe answered. */
async function attempt(kassa: Kassa, stripe: Stripe, accountId: number, at: Date): Promise<boolean> {
  const claimed = await inTransaction(kassa.db, (tx) => claim(tx, accountId, at));
  if (!claimed.ok || !claimed.value) return false;
  const { topUp, customerRef, paymentMethodRef } = claimed.value;
  let intent: Stripe.PaymentIntent;
  try {
    intent = await stripe.paymentIntents.create(
      {
        amount: stripeAmount(topUp.amountRequested),
        currency: topUp.currency.toLowerCase(),
        customer: customerRef,
        payment_method: paymentMethodRef,
        off_session: true,
        confirm: true,
        description: `Automatic top-up ${topUp.id}`,
        metadata: { kassa_top_up_id: String(topUp.id), kassa_account_id: String(accountId), kassa_automatic: 'true' },
      },
      { idempotencyKey: `kassa-top-up-${topUp.id}-charge` },
    );
  } catch (error) {
    const declined = error as { type?: string; code?: string; message?: string; payment_intent?: Stripe.PaymentIntent };
    // Not the card's answer (Stripe unreachable, a bug): left in flight for the next pass.
    if (declined.type !== 'StripeCardError') return false;
    const needsAuthentication = declined.code === 'authentication_required' || declined.payment_intent?.status === 'requires_action';
    const reason = needsAuthentication ? 'the bank asks for authentication (3-D Secure), which an automatic charge cannot give: pay once by card yourself' : (declined.message ?? 'the card was declined');
    await inTransaction(kassa.db, (tx) => settleFailure(tx, topUp, reason, at));
    return true;
  }
  if (intent.status !== 'succeeded') {
    // Processing: Stripe's webhook settles the top-up; the next pass sees how it ended.
    return false;
  }
  await inTransaction(kassa.db, (tx) => settleSuccess(tx, kassa, topUp, intent, at));
  kassa.entitlements.invalidate(accountId);
  return true;
}

/** Creates the charge's top-up and marks it in flight; or finds the one already in flight. */
async function claim(tx: Db, accountId: number, at: Date): Promise<Claim | null> {
  const account = await lockAccount(tx, accountId);
  const [settings] = await tx.select().from(autoTopUps).where(eq(autoTopUps.accountId, accountId)).for('update');
  if (!account || !settings || !settings.enabled || settings.pausedReason !== null) return null;
  const [customer] = await tx.select().from(paymentCustomers).where(and(eq(paymentCustomers.accountId, accountId), eq(paymentCustomers.provider, 'stripe')));
  const card = await defaultPaymentMethod(tx, accountId);
  if (!customer || !card) {
    await pause(tx, account, settings, 'no saved card to charge: save one again', at);
    return null;
  }
  if (settings.inFlightTopUpId !== null) {
    const [inFlight] = await tx.select().from(topUps).where(eq(topUps.id, settings.inFlightTopUpId));
    // Settled meanwhile by Stripe's webhook: count it as this attempt's outcome.
    if (inFlight && inFlight.status === 'succeeded') {
      await tx.update(autoTopUps).set({ inFlightTopUpId: null, failures: 0, retryAt: null, spent: sql`${autoTopUps.spent} + ${inFlight.amountReceived}`, updatedAt: at }).where(eq(autoTopUps.accountId, accountId));
      return null;
    }
    if (inFlight && inFlight.status === 'pending') return { topUp: inFlight, customerRef: customer.customerRef, paymentMethodRef: card.providerRef };
    await tx.update(autoTopUps).set({ inFlightTopUpId: null, updatedAt: at }).where(eq(autoTopUps.accountId, accountId));
    return null;
  }
  const available = availableFunds(account);
  if (!settings.armed || available >= settings.threshold || (settings.retryAt && settings.retryAt > at) || account.status === 'closed' || account.status === 'blocked') return null;
  const month = monthOf(at);
  const spent = settings.month === month ? settings.spent : 0n;
  const wanted = withinLimits(await readTopUpLimits(tx), account.currency, chargeFor(settings, available));
  const amount = withinCap(wanted < STRIPE_MAX_AMOUNT ? wanted : STRIPE_MAX_AMOUNT, spent, settings.monthlyCap);
  if (amount <= 0n) {
    // The cap is reached: nothing more this month; the customer hears of it once, and the
    // next month's first pass charges if funds are still low.
    await tx.update(autoTopUps).set({ month, spent, retryAt: startOfNextMonth(at), updatedAt: at }).where(eq(autoTopUps.accountId, accountId));
    await writeOutbox(tx, accountId, 'auto_top_up.capped', { account_id: accountId, monthly_cap: settings.monthlyCap, spent, month }, at);
    return null;
  }
  const [topUp] = await tx
    .insert(topUps)
    .values({ accountId, method: 'card', status: 'pending', currency: account.currency, amountRequested: amount, createdBy: AUTO_TOP_UP_ACTOR, createdAt: at, updatedAt: at })
    .returning();
  await tx.update(autoTopUps).set({ armed: false, inFlightTopUpId: topUp!.id, month, spent, updatedAt: at }).where(eq(autoTopUps.accountId, accountId));
  return { topUp: topUp!, customerRef: customer.customerRef, paymentMethodRef: card.providerRef };
}

async function settleSuccess(tx: Db, kassa: Kassa, topUp: TopUp, intent: Stripe.PaymentIntent, at: Date): Promise<void> {
  const received = await receiveTopUp(tx, kassa, topUp.id, { amount: BigInt(intent.amount_received), externalRef: intent.id, paymentRef: intent.id, whateverStatus: true }, at);
  const [settings] = await tx.select().from(autoTopUps).where(eq(autoTopUps.accountId, topUp.accountId)).for('update');
  if (settings?.inFlightTopUpId !== topUp.id) return; // settled by another pass
  // Lifted back to the threshold by this very charge: the next fall is a new crossing.
  const after = received.credited?.account;
  const armed = after !== undefined && availableFunds(after) >= settings.threshold;
  await tx.update(autoTopUps).set({ inFlightTopUpId: null, failures: 0, retryAt: null, armed, spent: sql`${autoTopUps.spent} + ${received.topUp.amountReceived}`, updatedAt: at }).where(eq(autoTopUps.accountId, topUp.accountId));
  await writeOutbox(tx, topUp.accountId, 'auto_top_up.succeeded', { account_id: topUp.accountId, top_up_id: topUp.id, amount: received.topUp.amountReceived, balance: received.credited?.account.balance ?? null }, at);
}

async function settleFailure(tx: Db, topUp: TopUp, reason: string, at: Date): Promise<void> {
  const account = await lockAccount(tx, topUp.accountId);
  const [settings] = await tx.select().from(autoTopUps).where(eq(autoTopUps.accountId, topUp.accountId)).for('update');
  if (settings?.inFlightTopUpId !== topUp.id) return;
  await tx.update(topUps).set({ status: 'failed', updatedAt: at }).where(and(eq(topUps.id, topUp.id), eq(topUps.status, 'pending')));
  const failures = settings.failures + 1;
  // Still under the threshold: tried again a day later, within the same crossing.
  await tx.update(autoTopUps).set({ inFlightTopUpId: null, failures, armed: true, retryAt: new Date(at.getTime() + RETRY_AFTER_MS), updatedAt: at }).where(eq(autoTopUps.accountId, topUp.accountId));
  await writeOutbox(tx, topUp.accountId, 'auto_top_up.failed', { account_id: topUp.accountId, top_up_id: topUp.id, amount: topUp.amountRequested, reason, failures }, at);
  if (failures >= FAILURES_BEFORE_PAUSE) await pause(tx, account!, settings, `${failures} automatic top-ups in a row failed (last: ${reason}); save a card again to resume`, at);
}

async function pause(tx: Db, account: AccountRow, settings: AutoTopUp, reason: string, at: Date): Promise<void> {
  await tx.update(autoTopUps).set({ pausedReason: reason, updatedAt: at }).where(eq(autoTopUps.accountId, settings.accountId));
  await writeOutbox(tx, account.id, 'auto_top_up.paused', { account_id: account.id, reason }, at);
}

export function autoTopUpJson(row: AutoTopUp | undefined, at: Date) {
  if (!row) return { enabled: false, threshold: null, amount: null, top_up_to: null, monthly_cap: null, paused: false, paused_reason: null, failures_in_a_row: 0, spent_this_month: '0' };
  return {
    enabled: row.enabled,
    threshold: row.threshold.toString(),
    amount: row.amount?.toString() ?? null,
    top_up_to: row.target?.toString() ?? null,
    monthly_cap: row.monthlyCap.toString(),
    paused: row.pausedReason !== null,
    paused_reason: row.pausedReason,
    failures_in_a_row: row.failures,
    spent_this_month: (row.month === monthOf(at) ? row.spent : 0n).toString(),
  };
}
