// SPEC 4 (seed 000), system credit: a credit-enabled account may go below zero down to its
// credit limit; the limit is a share (default 10%) of what the account bought over the
// trailing 12 months, capped (default 1000.00), recomputed at every billing run. A charge that
// would exceed balance + limit suspends the subscription; credit cannot be turned off while
// the balance is negative. Big costs 900.00 a month (90000 minor units), Starter 24.00 a day
// (2400, 100 an hour), Huge 12000.00 a month (1200000).
import { beforeAll, describe, expect, it } from 'vitest';
import { billingScenario } from './support/scenario.js';

const s = billingScenario('2026-11-02T10:00:00Z');
let big: number;
let starter: number;
let huge: number;

beforeAll(async () => {
  big = await s.createPlan('900.00', { cadence: 'monthly' });
  starter = await s.createPlan('24.00');
  huge = await s.createPlan('12000.00', { cadence: 'monthly' });
});

describe('system credit', () => {
  let acme: number;
  let daily: number;
  let globex: number;
  let plain: number;
  let plainDaily: number;

  it('starts with no credit: nothing bought yet', async () => {
    acme = await s.fundedAccount('100000', { credit_enabled: true });
    await s.subscribe(acme, big); // 90000, the whole month
    daily = (await s.subscribe(acme, starter)).subscription.id; // 1400: 10:00-24:00
    expect(await s.account(acme)).toMatchObject({ balance: '8600', credit_limit: '0', available: '8600' }); // 100000 - 90000 - 1400

    // The same purchases without credit, for comparison.
    plain = await s.fundedAccount('100000');
    await s.subscribe(plain, big);
    plainDaily = (await s.subscribe(plain, starter)).subscription.id;

    globex = await s.fundedAccount('1200000', { credit_enabled: true });
    await s.subscribe(globex, huge);
    expect(await s.balanceOf(globex)).toBe('0'); // 1200000 - 1200000
  });

  it('the limit follows the purchases and is recomputed at every run', async () => {
    await s.advanceTo('2026-11-03T00:00:00Z');
    // Purchases before the run: 90000 + 1400 = 91400; 10% = 9140.
    expect(await s.account(acme)).toMatchObject({ balance: '6200', credit_limit: '9140', available: '15340' }); // 8600 - 2400
    await s.advanceTo('2026-11-04T00:00:00Z');
    expect(await s.account(acme)).toMatchObject({ balance: '3800', credit_limit: '9380' }); // purchases 93800 x 10%
  });

  it('the limit is capped at 1000.00', async () => {
    // Purchases 1200000 (12000.00): 10% is 1200.00, above the 1000.00 cap.
    expect(await s.account(globex)).toMatchObject({ balance: '0', credit_limit: '100000', available: '100000' });
  });

  it('a credit-enabled account goes below zero down to its limit', async () => {
    await s.advanceTo('2026-11-06T00:00:00Z');
    // Nov 5: limit 9620 (96200), 3800 -> 1400. Nov 6: limit 9860 (98600), 1400 -> -1000.
    expect(await s.account(acme)).toMatchObject({ balance: '-1000', credit_limit: '9860', available: '8860' });
    expect((await s.subscription(daily)).status).toBe('active');
    // Without credit the same account stops at zero: 1400 < 2400 at Nov 6.
    expect(await s.balanceOf(plain)).toBe('1400'); // 8600 - 3 x 2400
    expect((await s.subscription(plainDaily)).status).toBe('suspended');
  });

  it('turning credit off while the balance is negative is refused', async () => {
    const refused = await s.call<{ code: string }>('PATCH', `/v1/accounts/${acme}`, { credit_enabled: false });
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('credit_in_use');
    expect((await s.account(acme)).credit_enabled).toBe(true);
  });

  it('a charge that would exceed balance plus limit suspends the subscription and charges nothing', async () => {
    await s.advanceTo('2026-11-10T00:00:00Z');
    // Nov 7: limit 10100, -1000 -> -3400. Nov 8: limit 10340, -> -5800.
    // Nov 9: limit 10580, -> -8200. Nov 10: limit 10820, available 2620 >= 2400, -> -10600.
    expect(await s.account(acme)).toMatchObject({ balance: '-10600', credit_limit: '10820', available: '220' });
    await s.advanceTo('2026-11-11T00:00:00Z');
    // Nov 11: limit 11060 (110600 bought), available -10600 + 11060 = 460 < 2400.
    expect(await s.account(acme)).toMatchObject({ balance: '-10600', credit_limit: '11060', available: '460' });
    expect((await s.subscription(daily)).status).toBe('suspended');
    const events = await s.eventsOf(acme, 'subscription.suspended');
    expect(events.map((e) => e.payload.subscription_id)).toEqual([daily]);
  });

  it('repaying is topping up: the subscription resumes and credit may then be turned off', async () => {
    await s.advanceTo('2026-11-11T12:00:00Z');
    const topped = await s.topUp(acme, '20000');
    expect(topped.resumed_subscription_ids).toEqual([daily]);
    expect(topped.balance).toBe('8200'); // -10600 + 20000 - 1200 (12:00-24:00)
    const off = await s.expectStatus<{ credit_enabled: boolean; available: string }>(200, 'PATCH', `/v1/accounts/${acme}`, { credit_enabled: false });
    expect(off).toMatchObject({ credit_enabled: false, available: '8200' });
  });
});
