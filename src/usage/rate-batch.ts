// Rating (SPEC 7): turns kept usage batches into charges, continuously, in two kinds of
// transaction (ADR 0011). Taking: a few unrated batches at a time are marked taken and their
// events added up per account, meter, UTC day (a gauge: per hour, its highest sample) and
// reservation into `usage_unrated`, in one statement (`for update skip locked`, so raters in
// several processes share the batches). Charging: a group of accounts at a time, locked in id
// order, has its unrated rows deleted and priced against its month so far (./rate.ts) in the
// transaction that writes one ledger transaction per account, the balances, the month totals,
// the billing history's daily rollup, the reservations the usage settles (./reservations.ts)
// and the outbox events. A row is charged in the transaction that deletes it, so a crash
// anywhere loses nothing and charges nothing twice; and no transaction holds the database for
// long, so the batches still arriving are kept meanwhile.
// Usage already happened, so it is charged even into debt; the meter's entitlement then turns
// off (src/entitlements) and the account is told, once, that its funds ran out.
import { asc, sql } from 'drizzle-orm';
import type { Kassa } from '../context.js';
import { type AccountRow, availableFunds } from '../accounts/lock.js';
import { movementPayload } from '../accounts/credit-account.js';
import { evaluateLowBalance, lowBalanceDecision, lowBalanceWarning } from '../accounts/low-balance.js';
import type { MeterPrice } from '../catalog/plan-definition.js';
import { type Db, query, toDate } from '../db/client.js';
import { type DailyAmount, addToDaily } from '../ledger/daily.js';
import { type PendingInvoiceLine, addToPendingInvoice } from '../ledger/document-requests.js';
import { accounts } from '../db/schema.js';
import { Exact, type Minor, mixedTotal } from '../money/money.js';
import { type OutboxEvent, writeOutboxEvents } from '../outbox/write.js';
import { type Draw, drawCharges } from '../grants/drawdown.js';
import { liveGrants } from '../grants/grants.js';
import { evaluateBudgets } from '../budgets/budgets.js';
import { ingestIdle } from './ingest.js';
import { meterPricesOf } from './meter-prices.js';
import { countCharged } from '../operations/metrics.js';
import { type ReservationUse, settleReservations } from './reservations.js';
import { type MonthState, type Rated, type UsageDay, monthKey, rateUsage } from './rate.js';

/** Batches a step takes at most: up to this many HTTP batches are charged as one, per account. */
export const BATCHES_PER_STEP = 500;

/**
 * How a rater paces itself on each backend (ADR 0011). It shares the machine, and on PGlite
 * the one database session, with the ingest: while batches keep arriving it works only
 * `duty` of the time, resting after each transaction as long as its share says, and keeps
 * each transaction short. A batch kept meanwhile then waits for at most one of them.
 */
export interface RatingPace {
  /**
   * Batches one taking transaction adds up. Added up in one statement, an account's events
   * of many batches become one row rather than one row rewritten per batch.
   */
  batchesPerTake: number;
  /** Accounts one charging transaction charges. */
  accountsPerCharge: number;
  /** The share of time a rater works while batches keep arriving (1: it never rests). */
  duty: number;
  /**
   * While batches keep arriving, how long a rater waits at most before each transaction for
   * the batches being kept to be done (0: it does not wait). On PGlite a batch arriving while
   * a rating transaction holds the one session waits for it; a rater that lets the batches
   * in flight go first makes a batch wait for at most the one rating transaction it meets.
   */
  ingestFirstMs: number;
}

export const RATING_PACE: Record<Kassa['backend'], RatingPace> = {
  // Each transaction on its own connection: a take of 50 batches (about 150 ms) runs beside
  // the ingest's, and resting half the time keeps two cores free enough for it.
  postgres: { batchesPerTake: 50, accountsPerCharge: 200, duty: 0.5, ingestFirstMs: 0 },
  // One session serves every request in turn: a batch waits for whatever rating statement
  // holds it, so each is kept to about ten milliseconds (5 batches, 50 accounts), and starts
  // only once the batches being kept are done (at most 100 ms later, so rating keeps going).
  pglite: { batchesPerTake: 5, accountsPerCharge: 50, duty: 1 / 3, ingestFirstMs: 100 },
};

/**
 * Under load, how long a rater lets kept batches gather before its next step. Each step writes
 * one ledger transaction per account it charges, so rating a few seconds' batches at once
 * instead of each batch as it comes writes a fraction of the rows. The gathering ends early
 * once no batch came for a tick: a lone batch, or the last of a burst, is rated at once.
 */
const GATHER_MS = 5000;
const GATHER_TICK_MS = 200;

export interface RatingStep {
  batches: number;
  events: number;
  accounts: number;
  charged: Minor;
}

const rating = new WeakMap<Kassa, { again: boolean }>();

/**
 * Rates what is unrated, step after step, until nothing is left; answers the events rated. One
 * rater at a time per Kassa: a batch kept meanwhile makes the running one go round again.
 */
export async function rateUsageBatches(kassa: Kassa): Promise<number> {
  const running = rating.get(kassa);
  if (running) {
    running.again = true;
    return 0;
  }
  const state = { again: true };
  rating.set(kassa, state);
  let events = 0;
  try {
    while (state.again) {
      state.again = false;
      // A rater rests while batches keep arriving, unless its last step was full: then it is
      // behind, and catches up at full speed.
      for (let step = await rateStep(kassa, BATCHES_PER_STEP, state); step; step = await rateStep(kassa, BATCHES_PER_STEP, step.batches < BATCHES_PER_STEP ? state : undefined)) {
        events += step.events;
        // Batches arrived while this one rated: let them gather.
        if (step.batches < BATCHES_PER_STEP && state.again) await gather(state);
      }
    }
    return events;
  } finally {
    rating.delete(kassa);
  }
}

/** Waits while batches keep coming, up to GATHER_MS; each one kept meanwhile sets `again`. */
async function gather(state: { again: boolean }): Promise<void> {
  for (let waited = 0; waited < GATHER_MS && state.again; waited += GATHER_TICK_MS) {
    state.again = false;
    await new Promise((resolve) => setTimeout(resolve, GATHER_TICK_MS));
  }
  state.again = false;
}

/**
 * One step: takes the unrated batches no other rater holds (at most `batches`), then charges
 * every account with unrated usage, group by group, refreshing their entitlements after each.
 * Null when there was nothing to take or charge.
 */
export async function rateStep(kassa: Kassa, batches = BATCHES_PER_STEP, load?: { again: boolean }): Promise<RatingStep | null> {
  const pace = RATING_PACE[kassa.backend];
  // Each transaction, then a rest in proportion while batches keep arriving.
  const paced = async <T>(work: () => Promise<T>): Promise<T> => {
    if (load?.again && pace.ingestFirstMs > 0) await ingestIdle(kassa, pace.ingestFirstMs);
    const began = performance.now();
    const result = await work();
    if (load?.again && pace.duty < 1) await new Promise((resolve) => setTimeout(resolve, ((performance.now() - began) * (1 - pace.duty)) / pace.duty));
    return result;
  };
  const step: RatingStep = { batches: 0, events: 0, accounts: 0, charged: 0n };
  // Only what was kept when the step began: batches kept meanwhile wait for the next one.
  const [newest] = await query<{ id: number | string | null }>(kassa.db, sql`select max(id) as id from usage_batches`);
  const upTo = Number(newest?.id ?? 0);
  while (step.batches < batches) {
    const taken = await paced(() => takeBatches(kassa.db, kassa.clock.now(), Math.min(pace.batchesPerTake, batches - step.batches), upTo));
    if (taken.batches === 0) break;
    step.batches += taken.batches;
    step.events += taken.events;
  }
  const unrated = await unratedAccounts(kassa.db);
  for (let from = 0; from < unrated.length; from += pace.accountsPerCharge) {
    const group = await paced(() => chargeAccounts(kassa, unrated.slice(from, from + pace.accountsPerCharge)));
    step.accounts += group.accountIds.length;
    step.charged += mixedTotal(group.chargedByCurrency);
  }
  return step.batches === 0 && step.accounts === 0 ? null : step;
}

/** Marks the next unrated batches up to id `upTo` (at most `batches`) taken and adds their events up into `usage_unrated`, in one statement. */
export async function takeBatches(db: Db, at: Date, batches: number, upTo = Number.MAX_SAFE_INTEGER): Promise<{ batches: number; events: number }> {
  const [taken] = await query<{ batches: number | string; events: number | string }>(
    db,
    sql`with taken as (
          update usage_batches set rated_at = ${at}
          where id in (select id from usage_batches where rated_at is null and id <= ${upTo} order by id limit ${batches} for update skip locked)
          returning id, events
        ),
        added as (
          insert into usage_unrated (account_id, meter, day, hour, reservation_id, quantity, settles)
          select e.account_id, e.meter, (e.occurred_at at time zone 'UTC')::date,
                 case when s.meter_aggregation = 'hourly_max' then date_trunc('hour', e.occurred_at at time zone 'UTC') at time zone 'UTC' end,
                 e.reservation_id,
                 case when s.meter_aggregation = 'hourly_max' then max(e.quantity) else sum(e.quantity) end,
                 sum(e.quantity)
          from usage_events e join services s on s.code = e.meter
          where e.batch_id in (select id from taken)
          group by 1, 2, 3, 4, 5, s.meter_aggregation
          on conflict (account_id, meter, day, hour, reservation_id) do update
            set quantity = case when excluded.hour is null then usage_unrated.quantity + excluded.quantity else greatest(usage_unrated.quantity, excluded.quantity) end,
                settles = usage_unrated.settles + excluded.settles
        )
        select count(*) as batches, coalesce(sum(events), 0) as events from taken`,
  );
  return { batches: Number(taken!.batches), events: Number(taken!.events) };
}

/** The accounts with usage taken and not yet charged, in id order. */
export async function unratedAccounts(db: Db): Promise<number[]> {
  const rows = await query<{ account_id: number | string }>(db, sql`select distinct account_id from usage_unrated order by 1`);
  return rows.map((r) => Number(r.account_id));
}

export interface ChargedGroup {
  /** The accounts whose balance or usage changed, for the entitlement cache. */
  accountIds: number[];
  /** What was charged, per currency. */
  chargedByCurrency: Map<string, Minor>;
}

type Unrated = { account_id: number | string; meter: string; day: string; hour: Date | string | null; reservation_id: number | string | null; quantity: string; settles: string };
type Row = { account_id: number | string; meter: string; day: string; quantity: string };

/** Charges the unrated usage of these accounts in one transaction, and refreshes their entitlements. */
export async function chargeAccounts(kassa: Kassa, accountIds: readonly number[]): Promise<ChargedGroup> {
  const at = kassa.clock.now();
  const ids = `{${accountIds.join(',')}}`;
  const group = await kassa.db.transaction(async (txAny): Promise<ChargedGroup> => {
    const tx = txAny as unknown as Db;
    // As every money decision: the accounts first, in id order, so two raters never deadlock.
    const locked = await tx.select().from(accounts).where(sql`${accounts.id} = any(${ids}::bigint[])`).orderBy(asc(accounts.id)).for('update');
    // Deleted once the accounts are locked: what another rater charged meanwhile is gone.
    const unrated = await query<Unrated>(
      tx,
      sql`delete from usage_unrated where account_id = any(${ids}::bigint[])
          returning account_id, meter, day::text as day, hour, reservation_id, quantity::text as quantity, settles::text as settles`,
    );
    if (unrated.length === 0) return { accountIds: [], chargedByCurrency: new Map() };
    const { summed, hourly } = addUp(unrated);
    const peaks = await newPeaks(tx, hourly);
    const usage = usageByAccount([...summed, ...peaks.added]);
    const soFar = await usageSoFar(tx, locked.map((a) => a.id), [...usage.values()].flat());
    const rated: AccountRated[] = locked.map((account) => ({
      account,
      rated: rateUsage(
        { currency: account.currency, prices: soFar.prices.get(account.id) ?? new Map(), months: soFar.months.get(account.id) ?? new Map(), freeOnceUsed: soFar.freeOnce.get(account.id) ?? new Map() },
        usage.get(account.id) ?? [],
      ),
    }));

    await saveUsageState(tx, rated, peaks.rows);
    const released = await settleReservations(tx, reservationUses(unrated));
    const charged = rated.filter((r) => r.rated.total !== 0n);
    const paid = await payUsageCharges(tx, charged, at);
    const transactionOf = await writeUsageCharges(tx, charged, paid, at);
    await addToPendingInvoice(tx, charged.flatMap(({ account, rated }) => invoiceLinesOf(account.id, rated, transactionOf.get(account.id)!)), at);
    // The history counts usage on the day it is charged, as the ledger does.
    await addToDaily(tx, rated.flatMap(({ account, rated }) => rated.lines.flatMap((l) => historyOf(account.id, l))), at);
    await tellAccounts(tx, charged, paid, transactionOf, released, at);
    await evaluateBudgets(tx, charged.map((c) => c.account.id), at);
    const chargedByCurrency = new Map<string, Minor>();
    for (const { account, rated: r } of charged) chargedByCurrency.set(account.currency, (chargedByCurrency.get(account.currency) ?? 0n) + r.total);
    return { accountIds: locked.map((a) => a.id), chargedByCurrency };
  });
  countCharged('usage', group.chargedByCurrency);
  if (group.accountIds.length > 0) await kassa.entitlements.refresh(kassa.db, group.accountIds);
  return group;
}

/**
 * Unrated rows as rating reads them: a meter's quantities as they are (usageByAccount adds up
 * each day), a gauge's hours at their highest sample (rows of one hour differ by reservation).
 */
function addUp(unrated: readonly Unrated[]): { summed: Row[]; hourly: (Row & { hour: Date | string })[] } {
  const hourly = new Map<string, Row & { hour: Date | string }>();
  for (const row of unrated) {
    if (row.hour === null) continue;
    const hour = toDate(row.hour).toISOString();
    const key = `${row.account_id}/${row.meter}/${hour}`;
    const was = hourly.get(key);
    if (!was || new Exact(row.quantity).gt(was.quantity)) hourly.set(key, { account_id: row.account_id, meter: row.meter, day: row.day, hour, quantity: row.quantity });
  }
  return { summed: unrated.filter((row) => row.hour === null), hourly: [...hourly.values()] };
}

/** What the rows settle of the reservations they name, per reservation, account and meter. */
function reservationUses(unrated: readonly Unrated[]): ReservationUse[] {
  const uses = new Map<string, ReservationUse>();
  for (const row of unrated) {
    if (row.reservation_id === null) continue;
    const key = `${row.reservation_id}/${row.account_id}/${row.meter}`;
    const was = uses.get(key);
    uses.set(key, { reservationId: Number(row.reservation_id), accountId: Number(row.account_id), meter: row.meter, quantity: (was?.quantity ?? new Exact(0)).plus(row.settles) });
  }
  return [...uses.values()].sort((a, b) => a.reservationId - b.reservationId);
}

interface AccountRated {
  account: AccountRow;
  rated: Rated;
}

/** A gauge is charged per hour at its highest sample: only what a new peak adds to the hour. */
async function newPeaks(tx: Db, hourly: (Row & { hour: Date | string })[]): Promise<{ added: Row[]; rows: { a: number; m: string; h: string; p: string }[] }> {
  if (hourly.length === 0) return { added: [], rows: [] };
  const keys = hourly.map((r) => ({ a: Number(r.account_id), m: r.meter, h: toDate(r.hour).toISOString() }));
  const before = await query<{ account_id: number | string; meter: string; hour: Date | string; peak: string }>(
    tx,
    sql`select p.account_id, p.meter, p.hour, p.peak::text as peak
        from jsonb_to_recordset(${JSON.stringify(keys)}::jsonb) as k(a bigint, m text, h timestamptz)
        join usage_hour_peaks p on p.account_id = k.a and p.meter = k.m and p.hour = k.h`,
  );
  const peakOf = new Map(before.map((p) => [`${Number(p.account_id)}/${p.meter}/${toDate(p.hour).toISOString()}`, new Exact(p.peak)]));
  const added: Row[] = [];
  const rows: { a: number; m: string; h: string; p: string }[] = [];
  for (const row of hourly) {
    const hour = toDate(row.hour).toISOString();
    const was = peakOf.get(`${Number(row.account_id)}/${row.meter}/${hour}`) ?? new Exact(0);
    const peak = new Exact(row.quantity);
    if (peak.lte(was)) continue;
    added.push({ account_id: row.account_id, meter: row.meter, day: row.day, quantity: peak.minus(was).toString() });
    rows.push({ a: Number(row.account_id), m: row.meter, h: hour, p: peak.toString() });
  }
  return { added, rows };
}

/** Per account: the meters its plans price, its months so far, its once-free units used. */
interface SoFar {
  prices: Map<number, Map<string, MeterPrice>>;
  months: Map<number, Map<string, MonthState>>;
  freeOnce: Map<number, Map<string, Exact>>;
}

/** Each account's meter prices and its months so far. */
async function usageSoFar(tx: Db, accountIds: readonly number[], usage: UsageDay[]): Promise<SoFar> {
  const ids = `{${accountIds.join(',')}}`;
  const months = `{${[...new Set(usage.map((u) => u.day.slice(0, 7)))].join(',')}}`;
  // One after another: the statements share the transaction's one connection.
  const prices = await meterPricesOf(tx, accountIds);
  const totals = await query<{ account_id: number | string; meter: string; month: string; quantity: string; included_used: string; free_once_used: string; charged: string }>(
    tx,
    sql`select account_id, meter, month, quantity::text, included_used::text, free_once_used::text, charged::text from usage_month_totals
        where account_id = any(${ids}::bigint[]) and month = any(${months}::text[])`,
  );
  const freeOnce = await query<{ account_id: number | string; meter: string; used: string }>(tx, sql`select account_id, meter, used::text from usage_free_once where account_id = any(${ids}::bigint[])`);
  const byAccount = new Map<number, Map<string, MonthState>>();
  for (const t of totals) {
    const of = byAccount.get(Number(t.account_id)) ?? new Map<string, MonthState>();
    of.set(monthKey(t.meter, t.month), { quantity: new Exact(t.quantity), includedUsed: new Exact(t.included_used), freeOnceUsed: new Exact(t.free_once_used), charged: BigInt(t.charged) });
    byAccount.set(Number(t.account_id), of);
  }
  const once = new Map<number, Map<string, Exact>>();
  for (const f of freeOnce) {
    const of = once.get(Number(f.account_id)) ?? new Map<string, Exact>();
    of.set(f.meter, new Exact(f.used));
    once.set(Number(f.account_id), of);
  }
  return { prices, months: byAccount, freeOnce: once };
}

/** Each account's new usage, one entry per meter and day (a gauge's hours added up). */
function usageByAccount(rows: readonly Row[]): Map<number, UsageDay[]> {
  const days = new Map<number, Map<string, UsageDay>>();
  for (const row of rows) {
    const of = days.get(Number(row.account_id)) ?? new Map<string, UsageDay>();
    const key = `${row.meter}/${row.day}`;
    const day = of.get(key);
    of.set(key, { meter: row.meter, day: row.day, quantity: new Exact(row.quantity).plus(day?.quantity ?? 0) });
    days.set(Number(row.account_id), of);
  }
  return new Map([...days].map(([accountId, of]) => [accountId, [...of.values()]]));
}

/** The month totals, once-free units and hourly peaks as they now stand (the accounts are locked). */
async function saveUsageState(tx: Db, rated: readonly AccountRated[], peaks: readonly { a: number; m: string; h: string; p: string }[]): Promise<void> {
  const months = rated.flatMap(({ account, rated }) =>
    [...rated.months].map(([key, m]) => ({ a: account.id, m: key.slice(0, key.lastIndexOf('/')), mo: key.slice(key.lastIndexOf('/') + 1), q: m.quantity.toString(), iu: m.includedUsed.toString(), fu: m.freeOnceUsed.toString(), c: m.charged.toString() })),
  );
  const once = rated.flatMap(({ account, rated }) => [...rated.freeOnceUsed].map(([meter, used]) => ({ a: account.id, m: meter, u: used.toString() })));
  if (months.length > 0) {
    await query(
      tx,
      sql`insert into usage_month_totals (account_id, meter, month, quantity, included_used, free_once_used, charged)
          select a, m, mo, q, iu, fu, c from jsonb_to_recordset(${JSON.stringify(months)}::jsonb) as r(a bigint, m text, mo text, q numeric, iu numeric, fu numeric, c bigint)
          on conflict (account_id, meter, month) do update
            set quantity = excluded.quantity, included_used = excluded.included_used, free_once_used = excluded.free_once_used, charged = excluded.charged`,
    );
  }
  if (once.length > 0) {
    await query(
      tx,
      sql`insert into usage_free_once (account_id, meter, used)
          select a, m, u from jsonb_to_recordset(${JSON.stringify(once)}::jsonb) as r(a bigint, m text, u numeric)
          on conflict (account_id, meter) do update set used = excluded.used`,
    );
  }
  if (peaks.length > 0) {
    await query(
      tx,
      sql`insert into usage_hour_peaks (account_id, meter, hour, peak)
          select a, m, h, p from jsonb_to_recordset(${JSON.stringify(peaks)}::jsonb) as r(a bigint, m text, h timestamptz, p numeric)
          on conflict (account_id, meter, hour) do update set peak = greatest(usage_hour_peaks.peak, excluded.peak)`,
    );
  }
}

/** A line's place in the billing history: its usage at the price before the discount, and the discount as its own row. */
function historyOf(accountId: number, line: Rated['lines'][number]): DailyAmount[] {
  const usage: DailyAmount = { accountId, channel: line.meter, kind: 'usage', quantity: line.quantity.toString(), amount: line.gross };
  return line.discount === 0n ? [usage] : [usage, { accountId, channel: line.meter, kind: 'discount', quantity: '0', amount: -line.discount }];
}

/** A line of a charge as its description and event tell it: "emails 1200 on 2026-12-02". */
const lineText = (line: Rated['lines'][number]) => `${line.meter} ${line.quantity.toString()} on ${line.day}`;

export function usageDescription(rated: Rated): string {
  const charged = rated.lines.filter((l) => l.amount !== 0n);
  const shown = charged.slice(0, 3).map(lineText).join(', ');
  return `Usage: ${shown}${charged.length > 3 ? ` and ${charged.length - 3} more` : ''}`;
}

/** A usage charge's lines on the month's invoice: per meter, the priced quantity, price and discount, and the days. */
function invoiceLinesOf(accountId: number, rated: Rated, transactionId: number): PendingInvoiceLine[] {
  const perMeter = new Map<string, PendingInvoiceLine>();
  for (const l of rated.lines) {
    if (!l.priced || l.gross === 0n) continue;
    const day = l.day;
    const line = perMeter.get(l.meter);
    perMeter.set(l.meter, line
      ? { ...line, quantity: new Exact(line.quantity).plus(l.quantity).toString(), price: line.price + l.gross, discount: line.discount + l.discount, periodStart: day < line.periodStart ? day : line.periodStart, periodEnd: day > line.periodEnd ? day : line.periodEnd }
      : { accountId, service: l.meter, kind: 'usage', quantity: l.quantity.toString(), price: l.gross, discount: l.discount, periodStart: day, periodEnd: day, transactionId });
  }
  return [...perMeter.values()];
}

/** What pays an account's usage charge: its credit grants that may pay each meter first, line by line, then the paid balance. */
interface ChargePaid {
  fromBalance: Minor;
  fromGrants: Minor;
  /** What each grant paid of each meter's charge (one posting each). */
  draws: (Draw & { service: string })[];
}

async function payUsageCharges(tx: Db, charged: readonly AccountRated[], at: Date): Promise<Map<number, ChargePaid>> {
  const grantsOf = await liveGrants(tx, charged.filter((c) => c.account.granted > 0n).map((c) => c.account.id), at);
  return new Map(
    charged.map(({ account, rated }) => {
      const charges = rated.lines.filter((l) => l.amount !== 0n).map((l) => ({ service: l.meter, amount: l.amount }));
      const { drawn } = drawCharges(grantsOf.get(account.id) ?? [], charges);
      const perGrant = new Map<string, Draw & { service: string }>();
      for (const [i, charge] of drawn.entries()) {
        for (const d of charge.draws) {
          const key = `${d.grantId}/${charges[i]!.service}`;
          perGrant.set(key, { grantId: d.grantId, service: charges[i]!.service, amount: (perGrant.get(key)?.amount ?? 0n) + d.amount });
        }
      }
      const draws = [...perGrant.values()];
      const fromGrants = draws.reduce((sum, d) => sum + d.amount, 0n);
      return [account.id, { fromBalance: rated.total - fromGrants, fromGrants, draws }];
    }),
  );
}

/**
 * One ledger transaction per charged account (the paid balance and each credit grant debited,
 * revenue credited per meter, each grant's draw per meter, so revenue and the credit that paid
 * it are reported per service) and the balances, in one statement.
 */
async function writeUsageCharges(tx: Db, charged: readonly AccountRated[], paid: ReadonlyMap<number, ChargePaid>, at: Date): Promise<Map<number, number>> {
  if (charged.length === 0) return new Map();
  const rows = charged.map(({ account, rated }) => {
    const p = paid.get(account.id)!;
    return { account_id: account.id, total: rated.total.toString(), customer: p.fromBalance.toString(), granted: p.fromGrants.toString(), description: usageDescription(rated) };
  });
  // Line 1 is the paid balance, then each meter's revenue, then each grant's draw per meter.
  const revenue: { account_id: number; line: number; service: string; amount: string }[] = [];
  const draws: { account_id: number; line: number; grant_id: number; service: string; amount: string }[] = [];
  for (const { account, rated } of charged) {
    const perMeter = new Map<string, Minor>();
    for (const l of rated.lines) if (l.amount !== 0n) perMeter.set(l.meter, (perMeter.get(l.meter) ?? 0n) + l.amount);
    let line = 1;
    for (const [service, amount] of perMeter) revenue.push({ account_id: account.id, line: ++line, service, amount: amount.toString() });
    for (const d of paid.get(account.id)!.draws) draws.push({ account_id: account.id, line: ++line, grant_id: d.grantId, service: d.service, amount: d.amount.toString() });
  }
  const written = await query<{ id: number | string; account_id: number | string }>(
    tx,
    sql`with input as (
          select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as i(account_id bigint, total bigint, customer bigint, granted bigint, description text)
        ),
        revenue as (
          select * from jsonb_to_recordset(${JSON.stringify(revenue)}::jsonb) as r(account_id bigint, line smallint, service text, amount bigint)
        ),
        draws as (
          select * from jsonb_to_recordset(${JSON.stringify(draws)}::jsonb) as d(account_id bigint, line smallint, grant_id bigint, service text, amount bigint)
        ),
        txs as (
          insert into ledger_transactions (account_id, kind, description, customer_amount, created_at)
          select account_id, 'usage_charge', description, -customer, ${at} from input
          returning id, account_id
        ),
        postings as (
          insert into ledger_postings (transaction_id, line, account_id, ledger_account, amount, grant_id, service)
          select x.id, 1, x.account_id, 'customer', -i.customer, null::bigint, null::text from txs x join input i on i.account_id = x.account_id
          union all
          select x.id, r.line, x.account_id, 'revenue', r.amount, null::bigint, r.service from txs x join revenue r on r.account_id = x.account_id
          union all
          select x.id, d.line, x.account_id, 'grant', -d.amount, d.grant_id, d.service from txs x join draws d on d.account_id = x.account_id
        ),
        balances as (
          update accounts a set balance = a.balance - i.customer, granted = a.granted - i.granted from input i where a.id = i.account_id
        )
        select id, account_id from txs`,
  );
  return new Map(written.map((row) => [Number(row.account_id), Number(row.id)]));
}

/** What each grant paid of a charge, its meters together, in the order drawn. */
function drawnPerGrant(draws: readonly Draw[]): { grant_id: number; amount: Minor }[] {
  const perGrant = new Map<number, Minor>();
  for (const d of draws) perGrant.set(d.grantId, (perGrant.get(d.grantId) ?? 0n) + d.amount);
  return [...perGrant].map(([grant_id, amount]) => ({ grant_id, amount }));
}

/**
 * The events of each charge: `usage.charged` with its lines; `usage.over_limit` when it took a
 * meter's month past its quota; `balance.low` when it took the account under its threshold;
 * `usage.funds_exhausted` when it took the available funds below zero, the moment its meters
 * stop being allowed.
 */
async function tellAccounts(tx: Db, charged: readonly AccountRated[], paid: ReadonlyMap<number, ChargePaid>, transactionOf: ReadonlyMap<number, number>, released: ReadonlyMap<number, Minor>, at: Date): Promise<void> {
  const events: OutboxEvent[] = [];
  const warned: number[] = [];
  const rearmed: number[] = [];
  const byDays: number[] = [];
  for (const { account, rated } of charged) {
    // A reservation the usage settled released its share of the hold: the funds it held are spent now.
    const { fromBalance, fromGrants, draws } = paid.get(account.id)!;
    const after = { ...account, balance: account.balance - fromBalance, granted: account.granted - fromGrants, reserved: account.reserved - (released.get(account.id) ?? 0n) };
    const lines = rated.lines.filter((l) => l.priced).map((l) => ({ meter: l.meter, day: l.day, quantity: l.quantity.toString(), free: l.free.toString(), gross: l.gross, discount: l.discount, amount: l.amount }));
    events.push({ accountId: account.id, topic: 'usage.charged', payload: movementPayload(account, { transactionId: transactionOf.get(account.id)!, balance: after.balance }, -rated.total, { charged: rated.total, lines, grants: drawnPerGrant(draws), granted: after.granted }) });
    for (const line of rated.lines) {
      if (!line.overQuota) continue;
      const payload = { account_id: account.id, metric: line.meter, limit: line.overQuota.quota, count: line.overQuota.used.toString(), month: line.day.slice(0, 7), billing_emails: account.billingEmails };
      events.push({ accountId: account.id, topic: 'usage.over_limit', payload });
    }
    if (availableFunds(account) >= 0n && availableFunds(after) < 0n) {
      events.push({ accountId: account.id, topic: 'usage.funds_exhausted', payload: lowBalanceWarning(after, account.lowBalanceThreshold) });
    }
    if (account.lowBalanceThresholdDays !== null) {
      byDays.push(account.id);
      continue;
    }
    const decision = lowBalanceDecision({ available: availableFunds(after), threshold: account.lowBalanceThreshold, warned: account.lowBalanceWarned });
    if (decision === 'warn') {
      warned.push(account.id);
      events.push({ accountId: account.id, topic: 'balance.low', payload: lowBalanceWarning(after, account.lowBalanceThreshold) });
    } else if (decision === 'reset') rearmed.push(account.id);
  }
  await writeOutboxEvents(tx, events, at);
  if (warned.length + rearmed.length > 0) {
    await query(tx, sql`update accounts set low_balance_warned = id = any(${`{${warned.join(',')}}`}::bigint[]) where id = any(${`{${[...warned, ...rearmed].join(',')}}`}::bigint[])`);
  }
  // A threshold in days of spend reads the account's subscriptions: the one-at-a-time check.
  for (const accountId of byDays) await evaluateLowBalance(tx, accountId, at);
}
