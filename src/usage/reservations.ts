// Reservations (SPEC 7): before a large send the product asks Kassa to hold the price of it.
// The quantity is priced as rating would price it now (free units first, then the tiers over
// the month so far, after what other open reservations of the meter already count on), and the
// amount is held out of the account's available funds, or refused with what is missing. Usage
// events naming the reservation are charged as any usage and settle it: the hold shrinks in
// proportion to the quantity settled. Closing it, or its expiry, releases what is left. So "top
// up and start the campaign at once" (seed 004) is safe: a campaign never starts unfunded.
import { and, eq, sql } from 'drizzle-orm';
import { type AccountRow, lockAccount } from '../accounts/lock.js';
import { fundsFor, liveGrantsOf } from '../grants/grants.js';
import { type Db, query } from '../db/client.js';
import { type ReservationStatus, accounts, usageReservations } from '../db/schema.js';
import { type MeterStanding, meterAnswer } from '../entitlements/meters.js';
import { Exact, type Minor } from '../money/money.js';
import { writeOutbox } from '../outbox/write.js';
import { type Result, fail, ok } from '../shared/result.js';
import { meterPricesOf } from './meter-prices.js';
import { budgetStandings } from '../budgets/budgets.js';

export const DEFAULT_RESERVATION_SECONDS = 24 * 3600;
export type Reservation = typeof usageReservations.$inferSelect;

/** What is still held after `settled` of the reserved `quantity` was used: the unused share, rounded up. Pure. */
export function heldAfter(amount: Minor, quantity: Exact, settled: Exact): Minor {
  if (quantity.isZero()) return 0n;
  const unused = Exact.max(new Exact(0), quantity.minus(settled));
  return BigInt(new Exact(amount.toString()).times(unused).div(quantity).ceil().toFixed(0));
}

/** What `quantity` more costs on top of `pending` already reserved, priced as rating would. Pure. */
export function reservationCost(standing: MeterStanding, pending: Exact, quantity: Exact, check: { month: string; currency: string }): Minor {
  const costOf = (q: Exact) => BigInt(meterAnswer(standing, { ...check, available: 0n, quantity: q }).details.cost!);
  return costOf(pending.plus(quantity)) - costOf(pending);
}

export interface ReservationRequest {
  meter: string;
  quantity: Exact;
  expiresInSeconds: number;
}

/** Prices and holds a reservation, the account locked; refused with what is missing when the funds fall short. */
export async function reserve(tx: Db, accountId: number, request: ReservationRequest, at: Date): Promise<Result<Reservation>> {
  const account = await lockAccount(tx, accountId);
  if (!account) return fail('not_found', `no account ${accountId}`);
  if (account.status !== 'active') return fail('invalid_state', `account ${accountId} is ${account.status}`);
  const price = (await meterPricesOf(tx, [accountId])).get(accountId)?.get(request.meter);
  if (!price) return fail('unknown_meter', `no plan of account ${accountId} prices the meter ${request.meter}`, { field: '/meter' });

  const month = at.toISOString().slice(0, 7);
  const [usage] = await query<{ quantity: string | null; included_used: string | null; free_once_used: string | null; free_once: string | null; pending: string; pending_held: string }>(
    tx,
    sql`select t.quantity::text, t.included_used::text, t.free_once_used::text,
               (select used::text from usage_free_once where account_id = ${accountId} and meter = ${request.meter}) as free_once,
               (select coalesce(sum(quantity - settled), 0)::text from usage_reservations where account_id = ${accountId} and meter = ${request.meter} and status = 'open') as pending,
               (select coalesce(sum(held), 0)::text from usage_reservations where account_id = ${accountId} and meter = ${request.meter} and status = 'open') as pending_held
        from (select 1) one left join usage_month_totals t on t.account_id = ${accountId} and t.meter = ${request.meter} and t.month = ${month}`,
  );
  const standing: MeterStanding = {
    price,
    month,
    quantity: new Exact(usage?.quantity ?? 0),
    includedUsed: new Exact(usage?.included_used ?? 0),
    freeOnceUsedInMonth: new Exact(usage?.free_once_used ?? 0),
    freeOnceUsed: new Exact(usage?.free_once ?? 0),
  };
  const amount = reservationCost(standing, new Exact(usage?.pending ?? 0), request.quantity, { month, currency: account.currency });
  const held = amount > 0n ? amount : 0n;
  // Only the credit grants that may pay this meter count.
  const available = fundsFor(account, await liveGrantsOf(tx, account, at), request.meter);
  if (held > available) {
    return fail('insufficient_funds', `holding ${held} for ${request.quantity.toString()} ${request.meter} needs ${held - available} more than the ${available} available`, {
      extra: { amount: held.toString(), available: available.toString(), missing: (held - available).toString(), currency: account.currency },
    });
  }
  // A stop budget on the meter or the account: what it has left, less what open reservations hold, must cover it.
  for (const budget of await budgetStandings(tx, [accountId], at)) {
    if (budget.action !== 'stop' || (budget.service !== null && budget.service !== request.meter)) continue;
    const left = budget.amount - budget.spent - (budget.service === null ? account.reserved : BigInt(usage?.pending_held ?? '0'));
    if (budget.spent >= budget.amount || held > left) {
      const scope = budget.service === null ? 'the account' : budget.service;
      return fail('budget_reached', `the ${budget.period === 'day' ? 'daily' : 'monthly'} budget of ${budget.amount} for ${scope} has ${left > 0n ? left : 0n} left: holding ${held} would pass it`, {
        extra: { budget_id: budget.id, amount: held.toString(), left: (left > 0n ? left : 0n).toString(), currency: account.currency },
      });
    }
  }
  const [made] = await tx
    .insert(usageReservations)
    .values({ accountId, meter: request.meter, quantity: request.quantity.toString(), amount: held, held, settled: '0', status: 'open', expiresAt: new Date(at.getTime() + request.expiresInSeconds * 1000), createdAt: at })
    .returning();
  await tx.update(accounts).set({ reserved: sql`${accounts.reserved} + ${held}` }).where(eq(accounts.id, accountId));
  await writeOutbox(tx, accountId, 'usage.reserved', reservationPayload(made!, account), at);
  return ok(made!);
}

/** Releases what an open reservation still holds; a reservation no longer open is answered as it is. */
export async function closeReservation(tx: Db, reservationId: number, at: Date): Promise<Result<Reservation>> {
  const [found] = await tx.select({ accountId: usageReservations.accountId }).from(usageReservations).where(eq(usageReservations.id, reservationId));
  if (!found) return fail('not_found', `no reservation ${reservationId}`);
  // As every money decision: the account first, then the reservation.
  const account = (await lockAccount(tx, found.accountId))!;
  const [reservation] = await tx.select().from(usageReservations).where(eq(usageReservations.id, reservationId)).for('update');
  if (reservation!.status !== 'open') return ok(reservation!);
  return ok(await release(tx, account, reservation!, 'closed', at));
}

/** Releases every open reservation whose time is up (a scheduled job); answers the accounts whose holds it released, once per reservation. */
export async function expireReservations(db: Db, at: Date): Promise<number[]> {
  const due = await db.select({ id: usageReservations.id, accountId: usageReservations.accountId }).from(usageReservations).where(and(eq(usageReservations.status, 'open'), sql`${usageReservations.expiresAt} <= ${at}`)).orderBy(usageReservations.accountId, usageReservations.id);
  const expired: number[] = [];
  for (const { id, accountId } of due) {
    const done = await db.transaction(async (txAny) => {
      const tx = txAny as unknown as Db;
      const account = (await lockAccount(tx, accountId))!;
      const [reservation] = await tx.select().from(usageReservations).where(eq(usageReservations.id, id)).for('update');
      if (reservation!.status !== 'open') return false;
      await release(tx, account, reservation!, 'expired', at);
      return true;
    });
    if (done) expired.push(accountId);
  }
  return expired;
}

async function release(tx: Db, account: AccountRow, reservation: Reservation, status: Exclude<ReservationStatus, 'open'>, at: Date): Promise<Reservation> {
  const [done] = await tx.update(usageReservations).set({ status, held: 0n, closedAt: at }).where(eq(usageReservations.id, reservation.id)).returning();
  await tx.update(accounts).set({ reserved: sql`${accounts.reserved} - ${reservation.held}` }).where(eq(accounts.id, account.id));
  await writeOutbox(tx, account.id, 'usage.reservation_released', { ...reservationPayload(done!, account), released: reservation.held }, at);
  return done!;
}

export function reservationPayload(reservation: Reservation, account: Pick<AccountRow, 'currency'>): Record<string, unknown> {
  return {
    reservation_id: reservation.id,
    account_id: reservation.accountId,
    meter: reservation.meter,
    quantity: new Exact(reservation.quantity).toString(),
    settled: new Exact(reservation.settled).toString(),
    amount: reservation.amount,
    held: reservation.held,
    currency: account.currency,
    status: reservation.status,
    expires_at: reservation.expiresAt.toISOString(),
  };
}

/** What rated usage settles of the reservation it names: the quantities of its events. */
export interface ReservationUse {
  reservationId: number;
  accountId: number;
  meter: string;
  quantity: Exact;
}

/**
 * When usage is charged, the accounts locked: usage naming open reservations of its account and
 * meter settles them, each hold shrinking to the unused share. Answers what each account had
 * released. Usage naming a reservation that is not open (or another account's, or another
 * meter's) is charged as any usage and settles nothing.
 */
export async function settleReservations(tx: Db, used: readonly ReservationUse[]): Promise<Map<number, Minor>> {
  const released = new Map<number, Minor>();
  if (used.length === 0) return released;
  const ids = `{${[...new Set(used.map((u) => u.reservationId))].join(',')}}`;
  // Only the locked accounts' own reservations: another account's is never locked from here.
  const owners = `{${[...new Set(used.map((u) => u.accountId))].join(',')}}`;
  const open = await tx
    .select()
    .from(usageReservations)
    .where(and(sql`${usageReservations.id} = any(${ids}::bigint[])`, sql`${usageReservations.accountId} = any(${owners}::bigint[])`, eq(usageReservations.status, 'open')))
    .orderBy(usageReservations.id)
    .for('update');
  const byId = new Map(open.map((r) => [r.id, r]));
  const settled: { id: number; settled: string; held: string }[] = [];
  for (const use of used) {
    const reservation = byId.get(use.reservationId);
    if (!reservation || reservation.accountId !== use.accountId || reservation.meter !== use.meter) continue;
    const quantity = new Exact(reservation.quantity);
    const now = Exact.min(quantity, new Exact(reservation.settled).plus(use.quantity));
    const held = heldAfter(reservation.amount, quantity, now);
    settled.push({ id: reservation.id, settled: now.toString(), held: held.toString() });
    released.set(reservation.accountId, (released.get(reservation.accountId) ?? 0n) + reservation.held - held);
  }
  if (settled.length === 0) return released;
  await query(
    tx,
    sql`update usage_reservations r set settled = s.settled, held = s.held
        from jsonb_to_recordset(${JSON.stringify(settled)}::jsonb) as s(id bigint, settled numeric, held bigint) where r.id = s.id`,
  );
  const perAccount = [...released].map(([account, amount]) => ({ a: account, m: amount.toString() }));
  await query(tx, sql`update accounts a set reserved = a.reserved - r.m from jsonb_to_recordset(${JSON.stringify(perAccount)}::jsonb) as r(a bigint, m bigint) where a.id = r.a`);
  return released;
}
