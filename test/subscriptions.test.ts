// SPEC section 3 as scenarios through the HTTP API on the simulated clock. Money is asserted
// exactly, with the arithmetic beside each number. 2026-11-02 is a Monday.
import { and, count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockAccount } from '../src/accounts/lock.js';
import type { PlanDefinition } from '../src/catalog/plan-definition.js';
import { SimulatedClock } from '../src/time/clock.js';
import type { Db } from '../src/db/client.js';
import { type Cadence, type Timing, accounts, ledgerPostings, ledgerTransactions, outbox, planVersions, plans, subscriptions } from '../src/db/schema.js';
import { postLedgerTransaction } from '../src/ledger/post.js';
import { resumeSuspended } from '../src/subscriptions/resume.js';
import { runBillingAt } from '../src/billing/run.js';
import { type Harness, startHarness } from './support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

// ---------- helpers: rows the catalog and accounts APIs will create once they land ----------

/**
 * Each test is its own world: fresh accounts and plans, and a clock of its own. Resetting the
 * clock (rather than starting a Kassa per test) keeps the file fast; no test reads another's rows.
 */
async function start(iso: string) {
  h.kassa.clock = new SimulatedClock(new Date(iso));
}

function at(iso: string) {
  (h.kassa.clock as SimulatedClock).set(new Date(iso));
}

const flat = (service: string, unit_price: string, extra: Partial<PlanDefinition['items'][number]> = {}) => ({
  service, unit_price, tier_mode: 'flat' as const, included: 0, min: 0, max: null, default: 0, decrease: 'refund' as const, ...extra,
});

let plansMade = 0;
async function plan(cadence: Cadence, timing: Timing, definition: Partial<PlanDefinition>): Promise<number> {
  const code = `plan_${++plansMade}`;
  const [row] = await h.kassa.db.insert(plans).values({ code, name: code, kind: 'preset', cadence, timing, createdAt: new Date('2026-01-01') }).returning();
  await h.kassa.db.insert(planVersions).values({
    planId: row!.id, version: 1, currency: 'EUR', effectiveFrom: new Date('2026-01-01'),
    definition: { items: [], quotas: {}, features: [], ...definition }, createdAt: new Date('2026-01-01'),
  });
  return row!.id;
}

/** An EUR account credited with `balance` minor units through a balanced ledger transaction. */
async function account(balance: bigint, extra: Partial<typeof accounts.$inferInsert> = {}): Promise<number> {
  const [row] = await h.kassa.db.insert(accounts).values({ name: 'Acme', currency: 'EUR', createdAt: h.kassa.clock.now(), ...extra }).returning();
  if (balance !== 0n) await credit(row!.id, balance);
  return row!.id;
}

async function credit(accountId: number, amount: bigint, then?: (tx: Db) => Promise<unknown>) {
  return h.kassa.db.transaction(async (txn) => {
    const tx = txn as unknown as Db;
    await lockAccount(tx, accountId);
    await postLedgerTransaction(tx, {
      accountId, kind: 'adjustment', description: 'test credit', at: h.kassa.clock.now(),
      postings: [{ ledgerAccount: 'customer', amount }, { ledgerAccount: 'adjustments', amount: -amount }],
    });
    return then?.(tx);
  });
}

async function balance(accountId: number): Promise<string> {
  const [row] = await h.kassa.db.select({ balance: accounts.balance }).from(accounts).where(eq(accounts.id, accountId));
  return row!.balance.toString();
}

/** Rows a refused or previewed call must leave untouched. */
async function rowCounts() {
  const n = async (table: typeof subscriptions | typeof ledgerTransactions | typeof outbox) => (await h.kassa.db.select({ n: count() }).from(table))[0]!.n;
  return { subscriptions: await n(subscriptions), ledger: await n(ledgerTransactions), outbox: await n(outbox) };
}

let keys = 0;
const key = () => ({ 'idempotency-key': `k${++keys}` });

async function create(accountId: number, body: Record<string, unknown>) {
  return h.call('POST', `/v1/accounts/${accountId}/subscriptions`, body, key());
}

async function act(id: number, verb: string, body: unknown = {}) {
  return h.call('POST', `/v1/subscriptions/${id}/${verb}`, body, key());
}

const DAILY_24 = { base_price: '24' }; // 2400 minor units a day: one hour is 100

// ---------- activation ----------

describe('activating', () => {
  it('an in-advance daily subscription created at 13:00 is charged 11/24 of the daily price at once', async () => {
    await start('2026-11-02T13:00:00Z');
    const planId = await plan('daily', 'in_advance', DAILY_24);
    const acc = await account(100000n);
    const r = await create(acc, { plan_id: planId });
    expect(r.status).toBe(201);
    expect(r.body.amount).toBe('1100'); // 2400 x 11/24
    expect(r.body.period).toEqual({ start: '2026-11-02T00:00:00.000Z', end: '2026-11-03T00:00:00.000Z' });
    expect(r.body.subscription).toMatchObject({ status: 'active', paid: true, period_amount: '2400', anchor_day: 2 });
    expect(await balance(acc)).toBe('98900'); // 100000 - 1100
    const [posting] = await h.kassa.db.select().from(ledgerPostings).where(and(eq(ledgerPostings.accountId, acc), eq(ledgerPostings.ledgerAccount, 'customer'), eq(ledgerPostings.subscriptionId, r.body.subscription.id)));
    expect(posting!.billedPeriodStart).toEqual(new Date('2026-11-02T00:00:00Z')); // the posting that pays the period
  });

  it('a monthly subscription is charged its whole month at once, anchored on today', async () => {
    await start('2026-11-02T13:00:00Z');
    const planId = await plan('monthly', 'in_advance', { base_price: '300' });
    const acc = await account(100000n);
    const r = await create(acc, { plan_id: planId });
    expect(r.body.amount).toBe('30000'); // the whole month, Nov 2 00:00 to Dec 2 00:00
    expect(r.body.period).toEqual({ start: '2026-11-02T00:00:00.000Z', end: '2026-12-02T00:00:00.000Z' });
    expect(await balance(acc)).toBe('70000'); // 100000 - 30000
  });

  it('prices the configuration item by item: base plus quantities, defaults filled in', async () => {
    await start('2026-11-02T12:00:00Z');
    const planId = await plan('daily', 'in_advance', { base_price: '10', items: [flat('devices', '0.5', { default: 4 }), flat('public_ip', '2', { max: 4 })] });
    const acc = await account(100000n);
    const r = await create(acc, { plan_id: planId, quantities: { public_ip: 2 } });
    expect(r.body.subscription.period_amount).toBe('1600'); // 10 + 4 x 0.50 + 2 x 2 = 16.00
    expect(r.body.subscription.quantities).toEqual({ devices: 4, public_ip: 2 });
    expect(r.body.amount).toBe('800'); // 1600 x 12/24
  });

  it('creating without enough funds is refused and creates nothing', async () => {
    await start('2026-11-02T13:00:00Z');
    const planId = await plan('daily', 'in_advance', DAILY_24);
    const acc = await account(1099n); // one short of 1100
    const before = await rowCounts();
    const r = await create(acc, { plan_id: planId });
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ code: 'insufficient_funds', required: '1100', available: '1099' });
    expect(await rowCounts()).toEqual(before);
    expect(await balance(acc)).toBe('1099');
  });

  it('system credit counts as available funds', async () => {
    await start('2026-11-02T13:00:00Z');
    const planId = await plan('daily', 'in_advance', DAILY_24);
    const acc = await account(100n, { creditEnabled: true, creditLimit: 1000n });
    const r = await create(acc, { plan_id: planId });
    expect(r.status).toBe(201);
    expect(await balance(acc)).toBe('-1000'); // 100 - 1100: all of the credit limit
  });

  it('replaying a create with the same Idempotency-Key returns the first result and charges once', async () => {
    await start('2026-11-02T13:00:00Z');
    const planId = await plan('daily', 'in_advance', DAILY_24);
    const acc = await account(100000n);
    const headers = { 'idempotency-key': 'create-once' };
    const first = await h.call('POST', `/v1/accounts/${acc}/subscriptions`, { plan_id: planId }, headers);
    const again = await h.call('POST', `/v1/accounts/${acc}/subscriptions`, { plan_id: planId }, headers);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await balance(acc)).toBe('98900'); // charged once: 100000 - 1100
    const other = await h.call('POST', `/v1/accounts/${acc}/subscriptions`, { plan_id: planId, quantities: {} }, headers);
    expect(other.status).toBe(409);
    expect(other.body.code).toBe('idempotency_conflict');
    const missing = await h.call('POST', `/v1/accounts/${acc}/subscriptions`, { plan_id: planId });
    expect(missing.body.code).toBe('idempotency_key_required');
  });

  it('creating beyond a quota is refused, naming every blocking quota with its limit and count', async () => {
    await start('2026-11-02T13:00:00Z');
    const planId = await plan('daily', 'in_advance', { ...DAILY_24, quotas: { sites: 5, users: 10, public_ips: 2 } });
    const acc = await account(100000n);
    await h.call('PUT', `/v1/accounts/${acc}/object-counts`, { counts: { sites: 8, users: 12, public_ips: 2 } });
    const before = await rowCounts();
    const r = await create(acc, { plan_id: planId });
    expect(r.status).toBe(422);
    expect(r.body.code).toBe('quota_exceeded');
    expect(r.body.quotas).toEqual([
      { quota: 'sites', limit: 5, current: 8 },
      { quota: 'users', limit: 10, current: 12 },
    ]);
    expect(await rowCounts()).toEqual(before);
  });

  it('refuses a plan not priced in the account currency, quantities the plan does not allow, and unknown accounts', async () => {
    await start('2026-11-02T13:00:00Z');
    const planId = await plan('daily', 'in_advance', { ...DAILY_24, items: [flat('devices', '1', { max: 10 })] });
    const acc = await account(100000n);
    const usd = await account(0n, { currency: 'USD' });
    expect((await create(usd, { plan_id: planId })).body).toMatchObject({ code: 'validation_failed', field: '/plan_id' });
    expect((await create(acc, { plan_id: planId, quantities: { devices: 11 } })).body).toMatchObject({ code: 'validation_failed', field: '/quantities/devices' });
    expect((await create(acc, { plan_id: planId, quantities: { gpus: 1 } })).body).toMatchObject({ code: 'validation_failed', field: '/quantities/gpus' });
    expect((await create(acc, { plan_id: planId, quantities: { devices: -1 } })).body).toMatchObject({ code: 'validation_failed' });
    expect((await create(999999, { plan_id: planId })).status).toBe(404);
  });
});

// ---------- disable and enable, in advance (seed 001) ----------

describe('disabling and enabling in advance', () => {
  it('disabling within a paid period refunds nothing', async () => {
    await start('2026-11-02T13:00:00Z');
    const acc = await account(100000n);
    const { body } = await create(acc, { plan_id: await plan('daily', 'in_advance', DAILY_24) });
    at('2026-11-02T18:00:00Z');
    const r = await act(body.subscription.id, 'disable');
    expect(r.status).toBe(200);
    expect(r.body.amount).toBe('0');
    expect(r.body.subscription).toMatchObject({ status: 'disabled', paid: true });
    expect(await balance(acc)).toBe('98900'); // 100000 - 1100 at creation, nothing back
  });

  it('disabling then enabling again inside the same paid period costs nothing', async () => {
    await start('2026-11-02T13:00:00Z');
    const acc = await account(100000n);
    const { body } = await create(acc, { plan_id: await plan('daily', 'in_advance', DAILY_24) });
    at('2026-11-02T18:00:00Z');
    await act(body.subscription.id, 'disable');
    at('2026-11-02T20:00:00Z');
    const r = await act(body.subscription.id, 'enable');
    expect(r.body.amount).toBe('0');
    expect(r.body.subscription.status).toBe('active');
    expect(await balance(acc)).toBe('98900'); // only the 1100 of creation
  });

  it('re-enabling after the paid period charges until the next midnight', async () => {
    await start('2026-11-01T10:00:00Z'); // Sunday
    const acc = await account(100000n);
    const { body } = await create(acc, { plan_id: await plan('daily', 'in_advance', DAILY_24) });
    expect(body.amount).toBe('1400'); // Sunday 10:00-24:00: 2400 x 14/24
    at('2026-11-02T00:00:00Z'); // disabled Monday 00:00 (before any run bills Monday)
    expect((await act(body.subscription.id, 'disable')).body.amount).toBe('0');
    at('2026-11-06T08:00:00Z'); // enabled Friday 08:00
    const r = await act(body.subscription.id, 'enable');
    expect(r.body.amount).toBe('1600'); // Friday 08:00 to Saturday 00:00: 2400 x 16/24
    expect(r.body.period).toEqual({ start: '2026-11-06T00:00:00.000Z', end: '2026-11-07T00:00:00.000Z' });
    expect(r.body.lines).toEqual([expect.objectContaining({ amount: '1600', period_start: '2026-11-06T00:00:00.000Z' })]);
    expect(await balance(acc)).toBe('97000'); // 100000 - 1400 - 1600
  });

  it('enabling is refused when funds do not cover the rest of the period, and the subscription stays disabled', async () => {
    await start('2026-11-01T22:00:00Z');
    const acc = await account(200n);
    const { body } = await create(acc, { plan_id: await plan('daily', 'in_advance', DAILY_24) }); // 2400 x 2/24 = 200
    expect(await balance(acc)).toBe('0');
    await act(body.subscription.id, 'disable');
    at('2026-11-06T08:00:00Z');
    const before = await rowCounts();
    const r = await act(body.subscription.id, 'enable');
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ code: 'insufficient_funds', required: '1600', available: '0' });
    expect(await rowCounts()).toEqual(before);
    expect((await h.call('GET', `/v1/subscriptions/${body.subscription.id}`)).body).toMatchObject({ status: 'disabled', paid: false });
  });

  it('enabling a suspended subscription is an explicit resume, charged the same way', async () => {
    await start('2026-11-02T13:00:00Z');
    const acc = await account(100000n);
    const { body } = await create(acc, { plan_id: await plan('daily', 'in_advance', DAILY_24) });
    await h.kassa.db.update(subscriptions).set({ status: 'suspended' }).where(eq(subscriptions.id, body.subscription.id)); // as the run would
    at('2026-11-03T06:00:00Z');
    const r = await act(body.subscription.id, 'enable');
    expect(r.body.amount).toBe('1800'); // Tuesday 06:00-24:00: 2400 x 18/24
    expect(await balance(acc)).toBe('97100'); // 100000 - 1100 - 1800
  });

  it('enabling an active subscription or disabling a disabled one is refused as invalid_state', async () => {
    await start('2026-11-02T13:00:00Z');
    const acc = await account(100000n);
    const { body } = await create(acc, { plan_id: await plan('daily', 'in_advance', DAILY_24) });
    expect((await act(body.subscription.id, 'enable')).body.code).toBe('invalid_state');
    await act(body.subscription.id, 'disable');
    expect((await act(body.subscription.id, 'disable')).body.code).toBe('invalid_state');
    expect((await act(987654, 'disable')).status).toBe(404);
  });
});

// ---------- in arrears (seed 000) ----------

describe('in-arrears daily plans', () => {
  it('an in-arrears plan charges nothing when created', async () => {
    await start('2026-11-02T09:00:00Z');
    const acc = await account(5000n);
    const r = await create(acc, { plan_id: await plan('daily', 'in_arrears', DAILY_24) });
    expect(r.body.amount).toBe('0');
    expect(r.body.subscription.paid).toBe(false);
    expect(await balance(acc)).toBe('5000');
  });

  it('an in-arrears plan may only start when funds cover one full day', async () => {
    await start('2026-11-02T09:00:00Z');
    const acc = await account(2399n);
    const r = await create(acc, { plan_id: await plan('daily', 'in_arrears', DAILY_24) });
    expect(r.body).toMatchObject({ code: 'insufficient_funds', required: '2400' });
  });

  it('deactivating during a date charges that date at once, the full daily price', async () => {
    await start('2026-11-02T09:00:00Z');
    const acc = await account(5000n);
    const { body } = await create(acc, { plan_id: await plan('daily', 'in_arrears', DAILY_24) });
    at('2026-11-02T10:00:00Z');
    const r = await act(body.subscription.id, 'disable');
    expect(r.body.amount).toBe('2400'); // one hour used, the whole date charged
    expect(r.body.lines[0].period_start).toBe('2026-11-02T00:00:00.000Z');
    expect(r.body.subscription).toMatchObject({ status: 'disabled', paid: true });
    expect(await balance(acc)).toBe('2600'); // 5000 - 2400
  });

  it('re-activating on a date already charged costs nothing more, nor deactivating again', async () => {
    await start('2026-11-02T09:00:00Z');
    const acc = await account(5000n);
    const { body } = await create(acc, { plan_id: await plan('daily', 'in_arrears', DAILY_24) });
    const id = body.subscription.id;
    at('2026-11-02T10:00:00Z');
    await act(id, 'disable');
    at('2026-11-02T11:00:00Z');
    expect((await act(id, 'enable')).body.amount).toBe('0');
    at('2026-11-02T12:00:00Z');
    expect((await act(id, 'disable')).body.amount).toBe('0');
    expect(await balance(acc)).toBe('2600'); // 5000 - 2400, once
  });

  it('the used date is charged on deactivation even when funds do not cover it', async () => {
    await start('2026-11-02T09:00:00Z');
    const acc = await account(2400n);
    const dear = await create(acc, { plan_id: await plan('daily', 'in_arrears', { base_price: '30' }) });
    expect(dear.body).toMatchObject({ code: 'insufficient_funds' }); // 3000 a day is more than the 2400 available
    const cheap = await create(acc, { plan_id: await plan('daily', 'in_arrears', DAILY_24) });
    // Another charge drains the account before the date ends.
    await credit(acc, -2000n);
    at('2026-11-02T20:00:00Z');
    const r = await act(cheap.body.subscription.id, 'disable');
    expect(r.status).toBe(200);
    expect(await balance(acc)).toBe('-2000'); // 2400 - 2000 - 2400: a debt, repaid by the next top-up
  });
});

describe('in-arrears plans disabled between midnight and the nightly run', () => {
  it('deactivating before the run reached the account charges the date that ended too, and the run then charges nothing', async () => {
    await start('2026-11-02T09:00:00Z');
    const acc = await account(10000n);
    const { body } = await create(acc, { plan_id: await plan('daily', 'in_arrears', DAILY_24) });
    at('2026-11-03T00:00:30Z'); // midnight passed; the 00:00 run has not run yet
    const r = await act(body.subscription.id, 'disable');
    expect(r.body.amount).toBe('4800'); // 2400 for 2026-11-02 (used all day) + 2400 for 2026-11-03 (used 30 s)
    await runBillingAt(h.kassa, new Date('2026-11-03T00:00:00Z'));
    const paidDays = await h.kassa.db
      .select({ day: ledgerPostings.billedPeriodStart })
      .from(ledgerPostings)
      .where(and(eq(ledgerPostings.subscriptionId, body.subscription.id), eq(ledgerPostings.ledgerAccount, 'customer')));
    expect(paidDays.map((p) => p.day!.toISOString()).sort()).toEqual(['2026-11-02T00:00:00.000Z', '2026-11-03T00:00:00.000Z']); // each once
    expect(await balance(acc)).toBe('5200'); // 10000 - 4800: the run charged 2026-11-02 no second time
  });
});

// ---------- configuration changes (seed 001) ----------

describe('changing settings mid-period', () => {
  const devicesPlan = (decrease: 'refund' | 'none' = 'refund') => plan('daily', 'in_advance', { base_price: '24', items: [flat('devices', '0.24', { default: 10, decrease })] });

  it('more devices mid-period are charged at once for the rest of the period on the difference', async () => {
    await start('2026-11-02T00:00:00Z');
    const acc = await account(100000n);
    const { body } = await create(acc, { plan_id: await devicesPlan() }); // 24 + 10 x 0.24 = 26.40 a day, whole day
    expect(body.amount).toBe('2640');
    at('2026-11-02T18:00:00Z');
    const r = await act(body.subscription.id, 'configure', { quantities: { devices: 20 } });
    expect(r.body.amount).toBe('60'); // 10 more x 0.24 = 2.40 a day, for 6/24: 0.60
    expect(r.body.subscription).toMatchObject({ period_amount: '2880', quantities: { devices: 20 } }); // 24 + 20 x 0.24
    expect(await balance(acc)).toBe('97300'); // 100000 - 2640 - 60
  });

  it('fewer devices mid-period are refunded the same way to the balance', async () => {
    await start('2026-11-02T00:00:00Z');
    const acc = await account(100000n);
    const { body } = await create(acc, { plan_id: await devicesPlan() });
    at('2026-11-02T12:00:00Z');
    const r = await act(body.subscription.id, 'configure', { quantities: { devices: 5 } });
    expect(r.body.amount).toBe('-60'); // 5 fewer x 0.24 = 1.20 a day, for 12/24: 0.60 back
    expect(await balance(acc)).toBe('97420'); // 100000 - 2640 + 60
  });

  it('a decrease is not refunded when the item policy says no refund', async () => {
    await start('2026-11-02T00:00:00Z');
    const acc = await account(100000n);
    const { body } = await create(acc, { plan_id: await devicesPlan('none') });
    at('2026-11-02T12:00:00Z');
    const r = await act(body.subscription.id, 'configure', { quantities: { devices: 5 } });
    expect(r.body.amount).toBe('0');
    expect(r.body.subscription.period_amount).toBe('2520'); // 24 + 5 x 0.24, from the next period on
    expect(await balance(acc)).toBe('97360'); // 100000 - 2640
  });

  it('a unit re-added after a deletion in the same period is not charged again: the paid high-water mark covers it (seed 002)', async () => {
    await start('2026-11-12T00:00:00Z'); // a day no other test bills: one billing run per boundary
    const acc = await account(100000n);
    const { body } = await create(acc, { plan_id: await devicesPlan('none') }); // 26.40 for 10 devices, paid for the day
    at('2026-11-12T06:00:00Z');
    expect((await act(body.subscription.id, 'configure', { quantities: { devices: 12 } })).body.amount).toBe('36'); // 2 x 0.24 x 18/24 = 0.36
    at('2026-11-12T09:00:00Z');
    expect((await act(body.subscription.id, 'configure', { quantities: { devices: 11 } })).body.amount).toBe('0'); // no refund: the seat stays paid
    at('2026-11-12T12:00:00Z');
    expect((await act(body.subscription.id, 'configure', { quantities: { devices: 12 } })).body.amount).toBe('0'); // back up to the paid mark: nothing
    at('2026-11-12T18:00:00Z');
    const above = await act(body.subscription.id, 'configure', { quantities: { devices: 13 } });
    expect(above.body.amount).toBe('6'); // one above the mark of 12: 0.24 x 6/24 = 0.06
    expect(above.body.subscription).toMatchObject({ quantities: { devices: 13 }, period_amount: '2712' }); // 24 + 13 x 0.24 from the next period
    expect(await balance(acc)).toBe('97318'); // 100000 - 2640 - 36 - 6
    await act(body.subscription.id, 'configure', { quantities: { devices: 10 } });
    const view = (await h.call('GET', `/v1/accounts/${acc}/plan`)).body;
    expect(view.seats).toMatchObject([{ service: 'devices', included_in_plan: 10, paid_this_period: 13 }]); // 13 stay paid until midnight
    // The next period is charged for the units that exist then, and its own mark starts there.
    at('2026-11-13T00:00:00Z');
    await runBillingAt(h.kassa, new Date('2026-11-13T00:00:00Z'));
    expect(await balance(acc)).toBe('94678'); // 97318 - 2640: the run bills the 10 devices that exist (24 + 10 x 0.24)
    at('2026-11-13T12:00:00Z');
    expect((await act(body.subscription.id, 'configure', { quantities: { devices: 11 } })).body.amount).toBe('12'); // 1 above this period's 10: 0.24 x 12/24 = 0.12
    expect((await act(body.subscription.id, 'configure', { quantities: { devices: 10 } })).body.amount).toBe('0');
    expect((await act(body.subscription.id, 'configure', { quantities: { devices: 11 } })).body.amount).toBe('0'); // 11 were paid for this period
  });

  it('a change in an unpaid period moves no money; the new price applies when it is billed', async () => {
    await start('2026-11-02T00:00:00Z');
    const acc = await account(100000n);
    const { body } = await create(acc, { plan_id: await devicesPlan() });
    await act(body.subscription.id, 'disable');
    at('2026-11-04T12:00:00Z');
    const r = await act(body.subscription.id, 'configure', { quantities: { devices: 30 } });
    expect(r.body.amount).toBe('0');
    expect(await balance(acc)).toBe('97360'); // 100000 - 2640
  });

  it('configuring fewer units than the objects created is refused, naming the quota', async () => {
    await start('2026-11-02T00:00:00Z');
    const acc = await account(100000n);
    const { body } = await create(acc, { plan_id: await plan('daily', 'in_advance', { items: [flat('users', '1', { default: 20 })] }) });
    await h.call('PUT', `/v1/accounts/${acc}/object-counts`, { counts: { users: 12 } });
    const r = await act(body.subscription.id, 'configure', { quantities: { users: 10 } });
    expect(r.body).toMatchObject({ code: 'quota_exceeded', quotas: [{ quota: 'users', limit: 10, current: 12 }] }); // the item's quantity is its limit
    expect((await act(body.subscription.id, 'configure', { quantities: { users: 12 } })).status).toBe(200);
  });

  it('an increase the funds do not cover is refused and changes nothing', async () => {
    await start('2026-11-02T00:00:00Z');
    const acc = await account(2640n);
    const { body } = await create(acc, { plan_id: await devicesPlan() });
    at('2026-11-02T18:00:00Z');
    const before = await rowCounts();
    const r = await act(body.subscription.id, 'configure', { quantities: { devices: 20 } });
    expect(r.body).toMatchObject({ code: 'insufficient_funds', required: '60', available: '0' });
    expect(await rowCounts()).toEqual(before);
    expect((await h.call('GET', `/v1/subscriptions/${body.subscription.id}`)).body.quantities).toEqual({ devices: 10 });
  });
});

// ---------- plan changes (seed 000) ----------

describe('changing plan', () => {
  it('a change to a plan whose quotas are below the objects created is refused, naming each quota that blocks it', async () => {
    await start('2026-11-02T00:00:00Z');
    const big = await plan('daily', 'in_advance', { base_price: '48', quotas: { sites: 20, users: 50, ips: 4 } });
    const small = await plan('daily', 'in_advance', { base_price: '24', quotas: { sites: 5, users: 10, ips: 4 } });
    const acc = await account(100000n);
    const { body } = await create(acc, { plan_id: big });
    await h.call('PUT', `/v1/accounts/${acc}/object-counts`, { counts: { sites: 8, users: 12, ips: 4 } });
    const before = await rowCounts();
    const r = await act(body.subscription.id, 'change-plan', { plan_id: small });
    expect(r.status).toBe(422);
    expect(r.body.code).toBe('quota_exceeded');
    expect(r.body.detail).toContain('more objects than the plan allows');
    expect(r.body.quotas).toEqual([
      { quota: 'sites', limit: 5, current: 8 },
      { quota: 'users', limit: 10, current: 12 },
    ]);
    expect(await rowCounts()).toEqual(before);
  });

  it('a plan change with the same cadence settles the difference for the rest of the period', async () => {
    await start('2026-11-02T00:00:00Z');
    const big = await plan('daily', 'in_advance', { base_price: '48' });
    const small = await plan('daily', 'in_advance', { base_price: '24' });
    const acc = await account(100000n);
    const { body } = await create(acc, { plan_id: big }); // 4800
    at('2026-11-02T06:00:00Z');
    const down = await act(body.subscription.id, 'change-plan', { plan_id: small });
    expect(down.body.amount).toBe('-1800'); // (24 - 48) x 18/24 = -18.00
    expect(down.body.subscription).toMatchObject({ plan_id: small, period_amount: '2400', paid: true });
    at('2026-11-02T18:00:00Z');
    const up = await act(body.subscription.id, 'change-plan', { plan_id: big });
    expect(up.body.amount).toBe('600'); // (48 - 24) x 6/24 = 6.00
    expect(await balance(acc)).toBe('96400'); // 100000 - 4800 + 1800 - 600
    const events = await h.kassa.db.select().from(outbox).where(and(eq(outbox.accountId, acc), eq(outbox.topic, 'subscription.plan_changed')));
    expect(events).toHaveLength(2);
  });

  it('a change to another cadence refunds the rest of the old period and charges the new plan from now', async () => {
    await start('2026-11-02T00:00:00Z');
    const daily = await plan('daily', 'in_advance', DAILY_24);
    const monthly = await plan('monthly', 'in_advance', { base_price: '300' });
    const acc = await account(100000n);
    const { body } = await create(acc, { plan_id: daily }); // 2400, Monday
    at('2026-11-04T12:00:00Z'); // Wednesday noon; Wednesday itself was never billed (no run in this test)
    const r = await act(body.subscription.id, 'change-plan', { plan_id: monthly });
    expect(r.body.amount).toBe('29500'); // Nov 4 12:00 to Dec 4 00:00 of a 30-day month: 30000 x 29.5/30
    expect(r.body.period).toEqual({ start: '2026-11-04T00:00:00.000Z', end: '2026-12-04T00:00:00.000Z' });
    expect(r.body.subscription).toMatchObject({ cadence: 'monthly', anchor_day: 4, paid: true });
    expect(await balance(acc)).toBe('68100'); // 100000 - 2400 - 29500
  });

  it('a cadence change inside a paid day refunds its rest and charges the month as an adjustment', async () => {
    await start('2026-11-02T00:00:00Z');
    const daily = await plan('daily', 'in_advance', DAILY_24);
    const monthly = await plan('monthly', 'in_advance', { base_price: '300' });
    const acc = await account(100000n);
    const { body } = await create(acc, { plan_id: daily }); // 2400 for Monday
    at('2026-11-02T12:00:00Z');
    const r = await act(body.subscription.id, 'change-plan', { plan_id: monthly });
    expect(r.body.lines.map((l: { amount: string }) => l.amount)).toEqual(['-1200', '29500']); // 2400 x 12/24 back; 30000 x 29.5/30
    expect(r.body.subscription.paid).toBe(true); // the period starting Monday 00:00 has its posting
    expect(await balance(acc)).toBe('69300'); // 100000 - 2400 + 1200 - 29500
  });
});

// ---------- previews ----------

describe('previews', () => {
  it('every change can be previewed: the same amount as the real call, nothing written', async () => {
    await start('2026-11-01T10:00:00Z');
    const daily = await plan('daily', 'in_advance', { base_price: '24', items: [flat('devices', '0.24', { default: 10 })] });
    const other = await plan('daily', 'in_advance', { base_price: '48' });
    const acc = await account(100000n);

    const check = async (previewUrl: string, realUrl: string, body: unknown, status = 200) => {
      const before = await rowCounts();
      const balanceBefore = await balance(acc);
      const preview = await h.call('POST', previewUrl, body);
      expect(preview.status).toBe(200);
      expect(preview.body.would_fail).toBeNull();
      expect(await rowCounts()).toEqual(before);
      expect(await balance(acc)).toBe(balanceBefore);
      const real = await h.call('POST', realUrl, body, key());
      expect(real.status).toBe(status);
      expect(real.body.amount).toBe(preview.body.amount);
      expect(real.body.lines).toEqual(preview.body.lines);
      return real.body;
    };
    const created = await check(`/v1/accounts/${acc}/subscriptions/preview`, `/v1/accounts/${acc}/subscriptions`, { plan_id: daily }, 201);
    expect(created.amount).toBe('1540'); // (24 + 10 x 0.24) x 14/24 = 26.40 x 14/24 = 15.40
    const id = created.subscription.id;
    at('2026-11-01T16:00:00Z');
    expect((await check(`/v1/subscriptions/${id}/configure/preview`, `/v1/subscriptions/${id}/configure`, { quantities: { devices: 40 } })).amount).toBe('240'); // 30 x 0.24 x 8/24
    expect((await check(`/v1/subscriptions/${id}/disable/preview`, `/v1/subscriptions/${id}/disable`, {})).amount).toBe('0');
    at('2026-11-03T18:00:00Z');
    expect((await check(`/v1/subscriptions/${id}/enable/preview`, `/v1/subscriptions/${id}/enable`, {})).amount).toBe('840'); // (24 + 40 x 0.24) x 6/24 = 33.60 / 4
    at('2026-11-03T21:00:00Z');
    expect((await check(`/v1/subscriptions/${id}/change-plan/preview`, `/v1/subscriptions/${id}/change-plan`, { plan_id: other })).amount).toBe('180'); // base +24, devices -9.60: 14.40 x 3/24
  });

  it('a preview reports what would refuse the real call instead of refusing', async () => {
    await start('2026-11-02T13:00:00Z');
    const planId = await plan('daily', 'in_advance', { ...DAILY_24, quotas: { sites: 1 } });
    const acc = await account(10n);
    const poor = await h.call('POST', `/v1/accounts/${acc}/subscriptions/preview`, { plan_id: planId });
    expect(poor.status).toBe(200);
    expect(poor.body).toMatchObject({ amount: '1100', would_fail: { code: 'insufficient_funds', status: 422 } });
    await h.call('PUT', `/v1/accounts/${acc}/object-counts`, { counts: { sites: 2 } });
    const over = await h.call('POST', `/v1/accounts/${acc}/subscriptions/preview`, { plan_id: planId });
    expect(over.body.would_fail).toMatchObject({ code: 'quota_exceeded', quotas: [{ quota: 'sites', limit: 1, current: 2 }] });
  });
});

// ---------- reading ----------

describe('reading subscriptions', () => {
  it("lists an account's subscriptions a page at a time, oldest first, each with its current period and whether it is paid", async () => {
    await start('2026-11-02T13:00:00Z');
    const daily = await plan('daily', 'in_advance', DAILY_24);
    const arrears = await plan('daily', 'in_arrears', DAILY_24);
    const acc = await account(100000n);
    const ids = [];
    for (const p of [daily, arrears, daily]) ids.push((await create(acc, { plan_id: p })).body.subscription.id);
    const first = await h.call('GET', `/v1/accounts/${acc}/subscriptions?limit=2`);
    expect(first.body.data.map((s: { id: number; paid: boolean }) => [s.id, s.paid])).toEqual([[ids[0], true], [ids[1], false]]);
    const second = await h.call('GET', `/v1/accounts/${acc}/subscriptions?limit=2&cursor=${first.body.next_cursor}`);
    expect(second.body.data.map((s: { id: number }) => s.id)).toEqual([ids[2]]);
    expect(second.body.next_cursor).toBeNull();
    const one = await h.call('GET', `/v1/subscriptions/${ids[0]}`);
    expect(one.body).toMatchObject({ period_amount: '2400', currency: 'EUR', current_period: { start: '2026-11-02T00:00:00.000Z', end: '2026-11-03T00:00:00.000Z' } });
    expect((await h.call('GET', '/v1/subscriptions/424242')).status).toBe(404);
    expect((await h.call('GET', '/v1/accounts/424242/subscriptions')).status).toBe(404);
  });
});

// ---------- auto-resume (SPEC 4) ----------

describe('resuming after a top-up', () => {
  it('suspended subscriptions resume oldest first, each charged to its next boundary; one not covered stays suspended and the next is tried', async () => {
    await start('2026-11-02T00:00:00Z');
    const big = await plan('daily', 'in_advance', { base_price: '48' });
    const small = await plan('daily', 'in_advance', DAILY_24);
    const acc = await account(100000n);
    const ids = [];
    for (const p of [small, big, small]) ids.push((await create(acc, { plan_id: p })).body.subscription.id);
    await h.kassa.db.update(subscriptions).set({ status: 'suspended' }).where(eq(subscriptions.accountId, acc)); // as the run would
    await credit(acc, -(100000n - 2400n - 4800n - 2400n)); // drained to 0
    at('2026-11-03T12:00:00Z'); // Tuesday noon: each is charged 12/24 of its day
    const resumed = await credit(acc, 2500n, (tx) => resumeSuspended(tx, h.kassa, acc, h.kassa.clock.now()));
    expect(resumed).toEqual([ids[0], ids[2]]); // 1200 fits in 2500; 2400 not in the 1300 left; 1200 fits
    expect(await balance(acc)).toBe('100'); // 2500 - 1200 - 1200
    const statuses = await h.kassa.db.select({ id: subscriptions.id, status: subscriptions.status }).from(subscriptions).where(eq(subscriptions.accountId, acc)).orderBy(subscriptions.id);
    expect(statuses.map((s) => s.status)).toEqual(['active', 'suspended', 'active']);
    const events = await h.kassa.db.select().from(outbox).where(and(eq(outbox.accountId, acc), eq(outbox.topic, 'subscription.resumed')));
    expect(events).toHaveLength(2);
  });
});
