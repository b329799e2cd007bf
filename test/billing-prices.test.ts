// SPEC 2 and 5: a price change is a new plan version effective from a stated time; it reaches
// running subscriptions from that boundary on, and charges made before keep their price.
// Starter goes from 24.00 (2400 minor units) to 36.00 (3600) a day on 2026-11-04 00:00.
import { describe, expect, it } from 'vitest';
import { type LedgerTransactionView, billingScenario } from './support/scenario.js';

const s = billingScenario('2026-11-02T12:00:00Z');

describe('a price change at a future midnight', () => {
  let starter: number;
  let arrears: number;
  let monthly: number;
  let acme: number;
  let acmeStarter: number;
  let acmeArrears: number;
  let acmeMonthly: number;
  let globex: number;
  let globexStarter: number;
  let firstCharges: LedgerTransactionView[];

  it('does not touch what was charged before it is effective', async () => {
    starter = await s.createPlan('24.00');
    arrears = await s.createPlan('24.00', { timing: 'in_arrears' });
    monthly = await s.createPlan('300.00', { cadence: 'monthly' });
    acme = await s.fundedAccount('100000');
    acmeStarter = (await s.subscribe(acme, starter)).subscription.id; // 1200: 12:00-24:00
    acmeArrears = (await s.subscribe(acme, arrears)).subscription.id; // nothing yet: paid after the day
    acmeMonthly = (await s.subscribe(acme, monthly)).subscription.id; // 30000: Nov 2 to Dec 2
    expect(await s.balanceOf(acme)).toBe('68800'); // 100000 - 1200 - 30000

    await s.addPriceVersion(starter, '36.00', '2026-11-04T00:00:00Z');
    await s.addPriceVersion(arrears, '36.00', '2026-11-04T00:00:00Z');
    await s.addPriceVersion(monthly, '450.00', '2026-11-10T00:00:00Z');
    expect((await s.subscription(acmeStarter)).period_amount).toBe('2400'); // not effective yet

    await s.advanceTo('2026-11-03T00:00:00Z');
    // 2400 (Starter, Nov 3 in advance) + 2400 (in arrears, Nov 2 used)
    expect(await s.balanceOf(acme)).toBe('64000'); // 68800 - 2400 - 2400
    firstCharges = await s.ledgerOf(acme);
  });

  it('a subscription started before the change pays the old price until the boundary', async () => {
    await s.advanceTo('2026-11-03T12:00:00Z');
    globex = await s.fundedAccount('10000');
    const created = await s.subscribe(globex, starter);
    globexStarter = created.subscription.id;
    expect(created.amount).toBe('1200'); // 2400 x 12/24: the old price is still in effect
  });

  it('reaches running subscriptions from the boundary it becomes effective at', async () => {
    await s.advanceTo('2026-11-04T00:00:00Z');
    // Starter pays Nov 4 at 3600; in arrears, Nov 3 was used at the old price: 2400.
    expect(await s.balanceOf(acme)).toBe('58000'); // 64000 - 3600 - 2400
    expect(await s.balanceOf(globex)).toBe('5200'); // 10000 - 1200 - 3600
    expect((await s.subscription(acmeStarter)).period_amount).toBe('3600');
    expect((await s.subscription(globexStarter)).period_amount).toBe('3600');

    await s.advanceTo('2026-11-05T00:00:00Z');
    expect(await s.balanceOf(acme)).toBe('50800'); // 58000 - 3600 (Starter, Nov 5) - 3600 (in arrears, Nov 4 at the new price)
    expect(await s.chargesOf(acme, acmeStarter)).toEqual([
      ['2026-11-02T00:00:00.000Z', '1200'],
      ['2026-11-03T00:00:00.000Z', '2400'],
      ['2026-11-04T00:00:00.000Z', '3600'],
      ['2026-11-05T00:00:00.000Z', '3600'],
    ]);
    expect(await s.chargesOf(acme, acmeArrears)).toEqual([
      ['2026-11-02T00:00:00.000Z', '2400'],
      ['2026-11-03T00:00:00.000Z', '2400'],
      ['2026-11-04T00:00:00.000Z', '3600'],
    ]);
    // History is append-only: what was charged before the change reads exactly as it did.
    expect((await s.ledgerOf(acme)).slice(0, firstCharges.length)).toEqual(firstCharges);
  });

  it('a monthly plan repriced mid-period keeps its paid month and pays the new price from its next period', async () => {
    await s.disable(acmeStarter);
    await s.disable(acmeArrears); // Nov 5 is charged at once: 3600
    expect(await s.balanceOf(acme)).toBe('47200'); // 50800 - 3600
    await s.advanceTo('2026-11-10T00:00:00Z');
    expect(await s.balanceOf(acme)).toBe('47200'); // the month from Nov 2 is paid: no charge, no refund
    expect((await s.subscription(acmeMonthly)).period_amount).toBe('45000');
    await s.advanceTo('2026-12-02T00:00:00Z');
    expect(await s.balanceOf(acme)).toBe('2200'); // 47200 - 45000
    expect(await s.chargesOf(acme, acmeMonthly)).toEqual([
      ['2026-11-02T00:00:00.000Z', '30000'],
      ['2026-12-02T00:00:00.000Z', '45000'],
    ]);
  });

  it('a price change effective inside a catch-up window applies from its boundary on', async () => {
    await s.advanceTo('2026-12-02T12:00:00Z');
    const flex = await s.createPlan('24.00');
    const initech = await s.fundedAccount('20000');
    const sub = (await s.subscribe(initech, flex)).subscription.id; // 1200: 12:00-24:00
    await s.addPriceVersion(flex, '12.00', '2026-12-05T00:00:00Z');
    const runs = await s.advanceTo('2026-12-06T01:00:00Z'); // four midnights in one move
    expect(runs.map((r) => r.boundary.slice(0, 10))).toEqual(['2026-12-03', '2026-12-04', '2026-12-05', '2026-12-06']);
    expect(await s.balanceOf(initech)).toBe('11600'); // 20000 - 1200 - 2400 - 2400 - 1200 - 1200
    expect(await s.chargesOf(initech, sub)).toEqual([
      ['2026-12-02T00:00:00.000Z', '1200'],
      ['2026-12-03T00:00:00.000Z', '2400'],
      ['2026-12-04T00:00:00.000Z', '2400'],
      ['2026-12-05T00:00:00.000Z', '1200'], // the new price from its boundary on
      ['2026-12-06T00:00:00.000Z', '1200'],
    ]);
  });
});
