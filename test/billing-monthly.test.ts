// SPEC 5 and Words: monthly subscriptions are billed by the same nightly run at their period
// boundary; monthly periods run from the activation day to the same day next month, clamped
// to month end (anchor 31: Jan 31, Feb 28, Mar 31). Monthly Pro costs 300.00 (30000 minor
// units) a month; Starter 24.00 (2400) a day.
import { beforeAll, describe, expect, it } from 'vitest';
import { billingScenario } from './support/scenario.js';

const s = billingScenario('2027-01-31T09:00:00Z');
let monthly: number;
let starter: number;

beforeAll(async () => {
  monthly = await s.createPlan('300.00', { cadence: 'monthly' });
  starter = await s.createPlan('24.00');
});

describe('monthly plans', () => {
  let acme: number;
  let acmeMonthly: number;
  let globex: number;
  let globexMonthly: number;
  let globexDaily: number;

  it('a monthly plan is charged its whole month at once, from its activation day', async () => {
    acme = await s.fundedAccount('100000');
    const created = await s.subscribe(acme, monthly);
    acmeMonthly = created.subscription.id;
    expect(created.amount).toBe('30000'); // the whole first month, even at 09:00
    expect(created.subscription.anchor_day).toBe(31);
    expect(created.period).toEqual({ start: '2027-01-31T00:00:00.000Z', end: '2027-02-28T00:00:00.000Z' }); // Feb has no 31st
    expect(await s.balanceOf(acme)).toBe('70000'); // 100000 - 30000
  });

  it('a monthly and a daily subscription on one account are each billed at their own boundaries', async () => {
    await s.advanceTo('2027-02-01T10:00:00Z');
    globex = await s.fundedAccount('150000');
    globexMonthly = (await s.subscribe(globex, monthly)).subscription.id; // 30000: Feb 1 to Mar 1
    globexDaily = (await s.subscribe(globex, starter)).subscription.id; // 1400: 10:00-24:00, 14/24 x 2400
    expect(await s.balanceOf(globex)).toBe('118600'); // 150000 - 30000 - 1400

    await s.advanceTo('2027-02-27T00:00:00Z');
    expect(await s.balanceOf(acme)).toBe('70000'); // no anchor-31 boundary yet
    expect(await s.balanceOf(globex)).toBe('56200'); // 118600 - 26 x 2400 (daily runs Feb 2..Feb 27)
  });

  it('anchor 31 is billed on Feb 28, the last day of February', async () => {
    const [run] = await s.advanceTo('2027-02-28T00:00:00Z');
    expect(await s.balanceOf(acme)).toBe('40000'); // 70000 - 30000
    expect(await s.balanceOf(globex)).toBe('53800'); // 56200 - 2400 (daily only)
    expect(run).toMatchObject({ billed: 2, suspended: 0, total_charged: '32400' }); // 30000 (Acme monthly) + 2400 (Globex daily)
    expect((await s.subscription(acmeMonthly)).current_period).toEqual({ start: '2027-02-28T00:00:00.000Z', end: '2027-03-31T00:00:00.000Z' });
  });

  it('the monthly plan with anchor 1 is billed on Mar 1 with the daily one, oldest first', async () => {
    const [run] = await s.advanceTo('2027-03-01T00:00:00Z');
    expect(await s.balanceOf(globex)).toBe('21400'); // 53800 - 30000 (monthly) - 2400 (daily)
    expect(run).toMatchObject({ billed: 2, suspended: 0, total_charged: '32400' }); // Globex: 30000 + 2400
    expect(await s.chargesOf(globex, globexMonthly)).toEqual([
      ['2027-02-01T00:00:00.000Z', '30000'],
      ['2027-03-01T00:00:00.000Z', '30000'],
    ]);
    expect((await s.chargesOf(globex, globexDaily)).length).toBe(29); // Feb 1 (part) + Feb 2..Mar 1 (28 days)
    // Cleanup: the daily plan stops so later runs leave Globex alone.
    await s.disable(globexDaily);
  });

  it('after a clamped February, anchor 31 returns to Mar 31, not Mar 28', async () => {
    const runs = await s.advanceTo('2027-03-30T12:00:00Z');
    expect(runs).toHaveLength(29); // Mar 2..Mar 30
    expect(await s.balanceOf(acme)).toBe('40000'); // Mar 28, 29 and 30 bill nothing
    await s.advanceTo('2027-03-31T00:00:00Z');
    expect(await s.balanceOf(acme)).toBe('10000'); // 40000 - 30000
    expect(await s.chargesOf(acme, acmeMonthly)).toEqual([
      ['2027-01-31T00:00:00.000Z', '30000'],
      ['2027-02-28T00:00:00.000Z', '30000'],
      ['2027-03-31T00:00:00.000Z', '30000'],
    ]);
    expect((await s.subscription(acmeMonthly)).current_period).toEqual({ start: '2027-03-31T00:00:00.000Z', end: '2027-04-30T00:00:00.000Z' });
  });

  it('a monthly plan the funds do not cover at its boundary is suspended and charged nothing', async () => {
    await s.advanceTo('2027-04-30T00:00:00Z');
    expect(await s.balanceOf(acme)).toBe('10000'); // 10000 < 30000: nothing charged
    expect((await s.subscription(acmeMonthly)).status).toBe('suspended');
    const events = await s.eventsOf(acme, 'subscription.suspended');
    expect(events.map((e) => [e.payload.subscription_id, e.payload.period_start])).toEqual([[acmeMonthly, '2027-04-30T00:00:00.000Z']]);
  });

  it('a suspended monthly plan resumed by a top-up pays from then to its next boundary', async () => {
    await s.advanceTo('2027-05-10T00:00:00Z');
    const topped = await s.topUp(acme, '20000');
    expect(topped.resumed_subscription_ids).toEqual([acmeMonthly]);
    // Period Apr 30 to May 31 (31 days); May 10 to May 31 is 21 days: 30000 x 21/31 = 20322.58 -> 20323.
    expect(topped.balance).toBe('9677'); // 10000 + 20000 - 20323
    await s.topUp(acme, '30000');
    await s.advanceTo('2027-05-31T00:00:00Z');
    expect(await s.balanceOf(acme)).toBe('9677'); // 9677 + 30000 - 30000 (May 31 to Jun 30, whole)
    expect(await s.chargesOf(acme, acmeMonthly)).toEqual([
      ['2027-01-31T00:00:00.000Z', '30000'],
      ['2027-02-28T00:00:00.000Z', '30000'],
      ['2027-03-31T00:00:00.000Z', '30000'],
      ['2027-04-30T00:00:00.000Z', '20323'],
      ['2027-05-31T00:00:00.000Z', '30000'],
    ]);
  });
});
