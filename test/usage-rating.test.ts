// Rating usage (SPEC 7, issue 8): kept usage is charged continuously, just after each batch,
// per account, meter and UTC day, against the month so far: the month's included units and
// the once-free units first, then the meter's tiers. It is charged even into debt. Amounts are
// integer minor units of EUR; the simulated clock starts at 2026-11-29T10:00:00Z.
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { billingDaily, usageBatches } from '../src/db/schema.js';
import { rateStep } from '../src/usage/rate-batch.js';
import { billingScenario } from './support/scenario.js';

const s = billingScenario('2026-11-29T10:00:00Z');
let events = 0;

const report = async (accountId: number, meter: string, ...usage: [quantity: string | number, timestamp: string][]) => {
  const answer = await s.expectStatus<{ accepted: number; refused: unknown[] }>(200, 'POST', '/v1/usage/events', {
    events: usage.map(([quantity, timestamp]) => ({ id: `e-${++events}`, account_id: accountId, meter, quantity, timestamp })),
  });
  expect(answer.refused).toEqual([]);
  await s.kassa().background.settled(); // rated just after the answer
  return answer;
};
/** A preset monthly plan in EUR pricing only meters. */
const meteredPlan = async (code: string, name: string, meters: unknown[]) =>
  (await s.expectStatus<{ id: number }>(201, 'POST', '/v1/plans', { code, name, kind: 'preset', cadence: 'monthly', timing: 'in_advance', prices: [{ currency: 'EUR', definition: { meters } }] })).id;
const usageCharges = async (accountId: number) => (await s.ledgerOf(accountId)).filter((t) => t.kind === 'usage_charge').map((t) => [t.description, t.customer_amount]);

let plan: number;

describe('rating', () => {
  it('sets up metered services and a plan pricing them', async () => {
    for (const service of [
      { code: 'emails', name: 'E-mails', unit: 'e-mail', meter: { aggregation: 'sum' } },
      { code: 'sms', name: 'SMS', unit: 'message', meter: { aggregation: 'sum' } },
      { code: 'storage', name: 'Storage', unit: 'GB-hour', meter: { aggregation: 'sum', decimals: 6 } },
      { code: 'cloudlets', name: 'Cloudlets', unit: 'cloudlet', meter: { aggregation: 'hourly_max' } },
      { code: 'push', name: 'Push', unit: 'message', meter: { aggregation: 'sum' } },
    ]) {
      await s.expectStatus(201, 'POST', '/v1/services', service);
    }
    plan = (
      await s.expectStatus<{ id: number }>(201, 'POST', '/v1/plans', {
        code: 'messaging',
        name: 'Messaging',
        kind: 'preset',
        cadence: 'monthly',
        timing: 'in_advance',
        prices: [
          {
            currency: 'EUR',
            definition: {
              base_price: '0',
              meters: [
                { meter: 'emails', unit_price: '0.001', free_once: 2500 }, // a new account's 2,500 free e-mails
                { meter: 'sms', tier_mode: 'graduated', tiers: [{ up_to: 100, unit_price: '0.08' }, { up_to: null, unit_price: '0.05' }] },
                { meter: 'storage', unit_price: '0.0004', included: 10 }, // 10 GB-hours free every month
                { meter: 'cloudlets', unit_price: '0.02' }, // per cloudlet-hour, at each hour's peak
              ],
            },
          },
        ],
      })
    ).id;
    const shown = await s.expectStatus<{ versions: { definition: { meters: unknown[]; items: unknown[] } }[] }>(200, 'GET', `/v1/plans/${plan}`);
    expect(shown.versions[0]!.definition.meters).toHaveLength(4);
  });

  it('refuses a plan that prices a service that is not metered as a meter', async () => {
    await s.expectStatus(201, 'POST', '/v1/services', { code: 'seats', name: 'Seats', unit: 'seat' });
    const refused = await s.call('POST', '/v1/plans', {
      code: 'bad',
      name: 'Bad',
      kind: 'preset',
      cadence: 'monthly',
      timing: 'in_advance',
      prices: [{ currency: 'EUR', definition: { meters: [{ meter: 'seats', unit_price: '1' }] } }],
    });
    expect(refused.body).toMatchObject({ status: 400, code: 'validation_failed', field: '/prices/0/definition/meters/0/meter' });
  });

  it('uses the free e-mails first, then charges each e-mail, even into debt', async () => {
    const acme = s.track((await s.createAccount({ name: 'Acme' })).id);
    await s.subscribe(acme, plan);
    await report(acme, 'emails', [1200, '2026-11-29T09:00:00Z'], [800, '2026-11-29T09:30:00Z']);
    expect(await s.balanceOf(acme)).toBe('0'); // 2,000 of the 2,500 free
    expect(await usageCharges(acme)).toEqual([]);
    const allowances = await s.expectStatus<{ data: unknown[] }>(200, 'GET', `/v1/accounts/${acme}/allowances`);
    expect(allowances.data).toEqual([
      { meter: 'emails', kind: 'once', granted: '2500', used: '2000', remaining: '500' },
      { meter: 'storage', kind: 'monthly', granted: '10', used: '0', remaining: '10', renews_at: '2026-12-01T00:00:00.000Z' },
    ]);

    await s.advanceTo('2026-11-30T12:00:00Z');
    await report(acme, 'emails', [1000, '2026-11-30T10:00:00Z']);
    // 1,000 = the last 500 free + 500 x 0.001 EUR = 0.50 EUR, taken from an empty balance
    expect(await s.balanceOf(acme)).toBe('-50');
    expect(await usageCharges(acme)).toEqual([['Usage: emails 1000 on 2026-11-30', '-50']]);
    const [charged] = await s.eventsOf(acme, 'usage.charged');
    expect(charged!.payload).toMatchObject({ amount: '50', balance: '-50', lines: [{ meter: 'emails', day: '2026-11-30', quantity: '1000', free: '500', amount: '50' }] });
    const [exhausted] = await s.eventsOf(acme, 'usage.funds_exhausted');
    expect(exhausted!.payload).toMatchObject({ available: '-50' });

    // the product is told to stop sending, and may again once the account is topped up
    expect(await s.entitlement(acme, 'emails')).toMatchObject({
      allowed: false,
      reason: 'insufficient_funds',
      meter: { month: '2026-11', used: '3000', free_remaining: '0', available: '-50' },
    });
    await s.topUp(acme, '500');
    expect(await s.entitlement(acme, 'emails')).toMatchObject({ allowed: true, meter: { available: '450' } });
  });

  it('answers whether the free units and the funds cover a quantity more, priced as rating would', async () => {
    const wayne = s.track((await s.createAccount({ name: 'Wayne' })).id);
    await s.subscribe(wayne, plan);
    await s.topUp(wayne, '200');
    await report(wayne, 'emails', [1000, '2026-11-30T11:00:00Z']); // free: 1,500 of the 2,500 left
    const ask = (quantity: number) => s.expectStatus<Record<string, unknown>>(200, 'GET', `/v1/accounts/${wayne}/entitlements/emails?quantity=${quantity}`);
    // 1,500 free + 1,500 x 0.001 = 1.50 EUR, within the 2.00 available
    expect(await ask(3000)).toMatchObject({ allowed: true, meter: { free_remaining: '1500', available: '200', quantity: '3000', cost: '150' } });
    // 1,500 free + 2,500 x 0.001 = 2.50 EUR: more than the 2.00 available
    expect(await ask(4000)).toMatchObject({ allowed: false, reason: 'insufficient_funds', meter: { cost: '250' } });
    expect(await ask(1500)).toMatchObject({ allowed: true, meter: { cost: '0' } });
    const all = await s.expectStatus<{ features: { feature: string }[] }>(200, 'GET', `/v1/accounts/${wayne}/entitlements`);
    expect(all.features.map((f) => f.feature)).toEqual(['api', 'cloudlets', 'emails', 'sms', 'storage']);
    const refused = await s.call('GET', `/v1/accounts/${wayne}/entitlements/emails?quantity=-3`);
    expect(refused.body).toMatchObject({ status: 400, code: 'validation_failed' });
  });

  it('prices graduated tiers over the month so far, starting again in a new month', async () => {
    const globex = s.track((await s.createAccount({ name: 'Globex' })).id);
    await s.topUp(globex, '10000');
    await s.subscribe(globex, plan);
    await report(globex, 'sms', [90, '2026-11-30T11:00:00Z']); // 90 x 0.08 = 7.20
    await s.advanceTo('2026-12-01T06:00:00Z');
    await report(globex, 'sms', [20, '2026-11-30T23:59:00Z'], [20, '2026-12-01T05:00:00Z']);
    // November: 10 x 0.08 + 10 x 0.05 = 1.30; December starts again: 20 x 0.08 = 1.60; one charge for both days
    expect(await usageCharges(globex)).toEqual([
      ['Usage: sms 90 on 2026-11-30', '-720'],
      ['Usage: sms 20 on 2026-11-30, sms 20 on 2026-12-01', '-290'],
    ]);
    expect(await s.balanceOf(globex)).toBe('8990'); // 10000 - 720 - 290
  });

  it('charges fractions exactly after the month’s included units, rounding once per charge', async () => {
    const initech = s.track((await s.createAccount({ name: 'Initech' })).id);
    await s.topUp(initech, '1000');
    await s.subscribe(initech, plan);
    await report(initech, 'storage', ['9.5', '2026-12-01T01:00:00Z'], ['1.25', '2026-12-01T02:00:00Z']);
    // 10.75 GB-hours, 10 free: 0.75 x 0.0004 = 0.0003 EUR, rounds to 0.00
    await report(initech, 'storage', ['12.5', '2026-12-01T03:00:00Z']);
    // the month: 13.25 chargeable x 0.0004 = 0.0053 -> 0.01, less the 0.00 charged before
    expect(await usageCharges(initech)).toEqual([['Usage: storage 12.5 on 2026-12-01', '-1']]);
    const allowances = await s.expectStatus<{ data: unknown[] }>(200, 'GET', `/v1/accounts/${initech}/allowances`);
    expect(allowances.data).toContainEqual({ meter: 'storage', kind: 'monthly', granted: '10', used: '10', remaining: '0', renews_at: '2027-01-01T00:00:00.000Z' });
  });

  it('charges a gauge per hour at the hour’s highest sample, and a later higher sample only the difference', async () => {
    const hooli = s.track((await s.createAccount({ name: 'Hooli' })).id);
    await s.topUp(hooli, '1000');
    await s.subscribe(hooli, plan);
    await report(hooli, 'cloudlets', [3, '2026-12-01T01:05:00Z'], [5, '2026-12-01T01:40:00Z'], [2, '2026-12-01T02:10:00Z']);
    // 01:00 peaks at 5, 02:00 at 2: 7 cloudlet-hours x 0.02 = 0.14
    await report(hooli, 'cloudlets', [4, '2026-12-01T01:50:00Z'], [6, '2026-12-01T02:55:00Z']);
    // 01:00 stays at 5; 02:00 rises from 2 to 6: 4 more cloudlet-hours x 0.02 = 0.08
    expect(await usageCharges(hooli)).toEqual([
      ['Usage: cloudlets 7 on 2026-12-01', '-14'],
      ['Usage: cloudlets 4 on 2026-12-01', '-8'],
    ]);
  });

  it('takes a volume discount off automatically once the month crosses its level, shown as its own line', async () => {
    const resources = await meteredPlan('resources', 'Resources', [{ meter: 'cloudlets', unit_price: '0.02', discounts: [{ from: 10, percent: '10' }, { from: 20, percent: '25' }] }]);
    const paas = s.track((await s.createAccount({ name: 'PaaS' })).id);
    await s.topUp(paas, '1000');
    await s.subscribe(paas, resources);
    await report(paas, 'cloudlets', [8, '2026-12-01T03:00:00Z']); // 8 cloudlet-hours x 0.02 = 0.16, under the first level
    await report(paas, 'cloudlets', [8, '2026-12-01T04:00:00Z']); // 8 more: 0.16, of which the 6 above 10 are 10% off: 0.012 -> 0.01
    await report(paas, 'cloudlets', [10, '2026-12-01T05:00:00Z']); // 10 more: 0.20; 4 up to 20 at 10% (0.008), 6 above at 25% (0.03)
    const [, second, third] = await s.eventsOf(paas, 'usage.charged');
    // the month before the discount: 0.32 then 0.52; after it: 0.32 - 0.012 = 0.308 -> 0.31, then 0.52 - 0.05 = 0.47
    expect(second!.payload).toMatchObject({ amount: '15', lines: [{ meter: 'cloudlets', gross: '16', discount: '1', amount: '15' }] });
    expect(third!.payload).toMatchObject({ amount: '16', lines: [{ meter: 'cloudlets', gross: '20', discount: '4', amount: '16' }] });
    const history = await s.expectStatus<{ data: unknown[] }>(200, 'GET', `/v1/accounts/${paas}/billing-history?from=2026-12-01&to=2026-12-01`);
    expect(history.data).toEqual([
      { period: '2026-12-01', currency: 'EUR', channel: 'cloudlets', kind: 'discount', quantity: '0', amount: '-5' },
      { period: '2026-12-01', currency: 'EUR', channel: 'cloudlets', kind: 'usage', quantity: '26', amount: '52' },
    ]);
    expect(await s.balanceOf(paas)).toBe('953'); // 1000 - 16 - 15 - 16
  });

  it('tells the account once when a meter passes its monthly quota, and refuses more of it', async () => {
    const capped = await meteredPlan('capped', 'Capped', [{ meter: 'sms', unit_price: '0.05', quota: 100 }]);
    const ltd = s.track((await s.createAccount({ name: 'Ltd', billing_emails: ['billing@ltd.test'] })).id);
    await s.topUp(ltd, '10000');
    await s.subscribe(ltd, capped);
    await report(ltd, 'sms', [80, '2026-12-01T05:00:00Z']);
    expect(await s.entitlement(ltd, 'sms')).toMatchObject({ allowed: true });
    expect(await s.expectStatus(200, 'GET', `/v1/accounts/${ltd}/entitlements/sms?quantity=21`)).toMatchObject({ allowed: false, reason: 'quota_reached' });
    await report(ltd, 'sms', [30, '2026-12-01T05:10:00Z']); // usage happened: charged, and told
    await report(ltd, 'sms', [5, '2026-12-01T05:20:00Z']); // past it already: not told again
    const told = await s.eventsOf(ltd, 'usage.over_limit');
    expect(told.map((e) => e.payload)).toEqual([expect.objectContaining({ metric: 'sms', limit: 100, count: '110', month: '2026-12' })]);
    expect(await s.entitlement(ltd, 'sms')).toMatchObject({ allowed: false, reason: 'quota_reached' });
    expect(await s.balanceOf(ltd)).toBe('9425'); // 10000 - 115 x 0.05
  });

  it('counts a meter no plan of the account prices, in its history, and charges nothing', async () => {
    const umbrella = s.track((await s.createAccount({ name: 'Umbrella' })).id);
    await s.subscribe(umbrella, plan);
    await report(umbrella, 'push', [40, '2026-12-01T04:00:00Z']);
    expect(await usageCharges(umbrella)).toEqual([]);
    const history = await s.kassa().db.select().from(billingDaily).where(eq(billingDaily.accountId, umbrella));
    expect(history).toEqual([{ accountId: umbrella, day: '2026-12-01', channel: 'push', kind: 'usage', quantity: '40.000000', amount: 0n }]);
  });

  it('holds a reservation out of the available funds, settles it by the usage naming it, and releases the rest on closing', async () => {
    const stark = s.track((await s.createAccount({ name: 'Stark' })).id);
    await s.subscribe(stark, plan);
    await s.topUp(stark, '1000'); // 10.00 EUR
    let keys = 0;
    const reserve = (body: unknown) => s.call('POST', `/v1/accounts/${stark}/reservations`, body, { 'idempotency-key': `reserve-${++keys}` });
    // 2,500 free + 5,500 x 0.001 = 5.50 EUR held
    const granted = await reserve({ meter: 'emails', quantity: '8000' });
    expect(granted.status, JSON.stringify(granted.body)).toBe(201);
    expect(granted.body).toMatchObject({ meter: 'emails', quantity: '8000', amount: '550', held: '550', settled: '0', status: 'open', expires_at: '2026-12-02T06:00:00.000Z' });
    expect(await s.expectStatus(200, 'GET', `/v1/accounts/${stark}/balance`)).toMatchObject({ balance: '1000', reserved: '550', available: '450' });

    // another 6,000 counts on none of the free e-mails the first one holds: 6.00 EUR, with 4.50 available
    const refused = await reserve({ meter: 'emails', quantity: '6000' });
    expect(refused.body).toMatchObject({ status: 422, code: 'insufficient_funds', amount: '600', available: '450', missing: '150' });

    // the send reports 4,000 under the reservation: 2,500 free + 1,500 x 0.001 = 1.50 charged, and
    // the hold shrinks to the unused half: 5.50 x 4,000 / 8,000 = 2.75
    const id = (granted.body as { id: number }).id;
    await s.expectStatus(200, 'POST', '/v1/usage/events', { events: [{ id: 'campaign-1', account_id: stark, meter: 'emails', quantity: 4000, timestamp: '2026-12-01T05:30:00Z', reservation_id: id }] });
    await s.kassa().background.settled();
    expect(await s.expectStatus(200, 'GET', `/v1/reservations/${id}`)).toMatchObject({ settled: '4000', held: '275' });
    expect(await s.expectStatus(200, 'GET', `/v1/accounts/${stark}/balance`)).toMatchObject({ balance: '850', reserved: '275', available: '575' });

    const closed = await s.expectStatus(200, 'POST', `/v1/reservations/${id}/close`);
    expect(closed).toMatchObject({ status: 'closed', held: '0', closed_at: '2026-12-01T06:00:00.000Z' });
    expect(await s.expectStatus(200, 'GET', `/v1/accounts/${stark}/balance`)).toMatchObject({ balance: '850', reserved: '0', available: '850' });
    expect(await s.expectStatus(200, 'POST', `/v1/reservations/${id}/close`)).toEqual(closed); // closing again changes nothing
    expect((await s.eventsOf(stark, 'usage.reservation_released'))[0]!.payload).toMatchObject({ reservation_id: id, released: '275' });
  });

  it('releases a reservation nobody closed when it expires, on the simulated clock too', async () => {
    const wonka = s.track((await s.createAccount({ name: 'Wonka' })).id);
    await s.subscribe(wonka, plan);
    await s.topUp(wonka, '5000');
    const granted = await s.expectStatus<{ id: number; held: string }>(201, 'POST', `/v1/accounts/${wonka}/reservations`, { meter: 'sms', quantity: '200', expires_in_seconds: 3600 }, { 'idempotency-key': 'wonka-sms' });
    expect(granted.held).toBe('1300'); // 100 x 0.08 + 100 x 0.05 = 13.00
    expect(await s.entitlement(wonka, 'sms')).toMatchObject({ meter: { available: '3700' } });
    await s.advanceTo('2026-12-01T07:00:00Z');
    expect(await s.expectStatus(200, 'GET', `/v1/reservations/${granted.id}`)).toMatchObject({ status: 'expired', held: '0' });
    expect(await s.entitlement(wonka, 'sms')).toMatchObject({ meter: { available: '5000' } });
  });

  it('refuses a reservation of a meter the plan does not price, or a malformed one, changing nothing', async () => {
    const acme = (await s.createAccount({ name: 'Nobody' })).id;
    await s.subscribe(acme, plan);
    let keys = 0;
    const reserve = (body: unknown) => s.call('POST', `/v1/accounts/${acme}/reservations`, body, { 'idempotency-key': `bad-${++keys}` });
    expect((await reserve({ meter: 'push', quantity: '10' })).body).toMatchObject({ status: 422, code: 'unknown_meter', field: '/meter' });
    expect((await reserve({ meter: 'emails', quantity: '-1' })).body).toMatchObject({ status: 400, code: 'validation_failed', field: '/quantity' });
    expect((await reserve({ meter: 'emails', quantity: '1', expires_in_seconds: 10 })).body).toMatchObject({ status: 400, code: 'validation_failed', field: '/expires_in_seconds' });
    expect((await s.call('POST', `/v1/accounts/${acme}/reservations`, { meter: 'emails', quantity: '1' })).body).toMatchObject({ code: 'idempotency_key_required' });
    expect((await s.call('POST', '/v1/reservations/999999/close')).body).toMatchObject({ status: 404, code: 'not_found' });
    expect(await s.expectStatus(200, 'GET', `/v1/accounts/${acme}/reservations`)).toEqual({ data: [], next_cursor: null });
  });

  it('rates every batch exactly once: a step finds nothing left after it', async () => {
    const all = await s.kassa().db.select().from(usageBatches);
    expect(all.length).toBeGreaterThan(5);
    expect(all.filter((b) => b.ratedAt === null)).toEqual([]);
    expect(await rateStep(s.kassa())).toBeNull();
  });
});
