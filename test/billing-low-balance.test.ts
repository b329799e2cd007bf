// SPEC 4: when available funds fall under the account's threshold (an amount, or N days of
// its current daily spend) it is warned once per crossing, not at every run: one
// 'balance.low' event while funds stay low, another after a top-up lifted them above and a
// later run took them under again. Starter costs 24.00 a day (2400 minor units).
import { beforeAll, describe, expect, it } from 'vitest';
import { billingScenario } from './support/scenario.js';

const s = billingScenario('2026-11-02T00:00:00Z');
let starter: number;
let byAmount: number;
let byDays: number;
let both: number;

beforeAll(async () => {
  starter = await s.createPlan('24.00');
});

async function account(topUp: string, settings: Record<string, unknown>): Promise<number> {
  const id = await s.fundedAccount(topUp, settings);
  await s.subscribe(id, starter); // 2400: the whole day from 00:00
  return id;
}

const warnings = async (accountId: number) => (await s.eventsOf(accountId, 'balance.low')).map((e) => e.created_at);

describe('low-balance warnings, once per crossing', () => {
  it('says nothing while funds stay above the threshold', async () => {
    byAmount = await account('10000', { low_balance_threshold: '5000' });
    byDays = await account('12000', { low_balance_threshold_days: 3 }); // 3 days x 2400 = 7200
    both = await account('12000', { low_balance_threshold: '1000', low_balance_threshold_days: 3 });
    await s.advanceTo('2026-11-03T00:00:00Z');
    expect(await s.balanceOf(byAmount)).toBe('5200'); // 10000 - 2400 - 2400: not under 5000
    expect(await s.balanceOf(byDays)).toBe('7200'); // 12000 - 2400 - 2400: exactly 3 days, not under
    expect(await warnings(byAmount)).toEqual([]);
    expect(await warnings(byDays)).toEqual([]);
  });

  it('warns once when a run takes funds under the amount threshold, and not again while they stay under', async () => {
    await s.advanceTo('2026-11-04T00:00:00Z');
    expect(await s.balanceOf(byAmount)).toBe('2800'); // 5200 - 2400 < 5000
    expect(await warnings(byAmount)).toEqual(['2026-11-04T00:00:00.000Z']);
    expect((await s.account(byAmount)).low_balance_warned).toBe(true);
    await s.advanceTo('2026-11-05T00:00:00Z');
    expect(await s.balanceOf(byAmount)).toBe('400'); // 2800 - 2400: still under
    expect(await warnings(byAmount)).toEqual(['2026-11-04T00:00:00.000Z']); // no second warning
  });

  it('warns once when funds fall under N days of current spend', async () => {
    expect(await s.balanceOf(byDays)).toBe('2400'); // 7200 - 2400 (Nov 4) - 2400 (Nov 5)
    expect(await warnings(byDays)).toEqual(['2026-11-04T00:00:00.000Z']); // 4800 < 7200 at Nov 4; not again at Nov 5
  });

  it('warns again after a top-up lifted funds above and a later run took them under again', async () => {
    await s.advanceTo('2026-11-05T12:00:00Z');
    await s.topUp(byAmount, '10000'); // 400 -> 10400
    await s.topUp(byDays, '10000'); // 2400 -> 12400
    expect((await s.account(byAmount)).low_balance_warned).toBe(false);
    expect((await s.account(byDays)).low_balance_warned).toBe(false);

    await s.advanceTo('2026-11-07T00:00:00Z');
    expect(await s.balanceOf(byAmount)).toBe('5600'); // 10400 - 2 x 2400: above 5000
    expect(await s.balanceOf(byDays)).toBe('7600'); // 12400 - 2 x 2400: above 7200
    expect(await warnings(byAmount)).toHaveLength(1);
    expect(await warnings(byDays)).toHaveLength(1);

    await s.advanceTo('2026-11-08T00:00:00Z');
    expect(await s.balanceOf(byAmount)).toBe('3200'); // 5600 - 2400 < 5000
    expect(await s.balanceOf(byDays)).toBe('5200'); // 7600 - 2400 < 7200
    expect(await warnings(byAmount)).toEqual(['2026-11-04T00:00:00.000Z', '2026-11-08T00:00:00.000Z']);
    expect(await warnings(byDays)).toEqual(['2026-11-04T00:00:00.000Z', '2026-11-08T00:00:00.000Z']);
  });

  it('a warning given when a charge of the customer crossed the threshold is not repeated by the run', async () => {
    await s.advanceTo('2026-11-08T12:00:00Z');
    const id = await s.fundedAccount('6000', { low_balance_threshold: '5000' });
    await s.subscribe(id, starter); // 1200: 12:00-24:00
    expect(await s.balanceOf(id)).toBe('4800'); // 6000 - 1200 < 5000
    expect(await warnings(id)).toEqual(['2026-11-08T12:00:00.000Z']);
    await s.advanceTo('2026-11-09T00:00:00Z');
    expect(await s.balanceOf(id)).toBe('2400'); // 4800 - 2400: still under
    expect(await warnings(id)).toEqual(['2026-11-08T12:00:00.000Z']);
  });

  it('N days of spend count a monthly plan as 12/365 of its price a day', async () => {
    await s.advanceTo('2026-11-09T12:00:00Z');
    const yearly = await s.createPlan('365.00', { cadence: 'monthly' }); // 36500 a month: 1200 a day (x 12 / 365)
    const penny = await s.createPlan('1.00'); // 100 a day
    const id = await s.fundedAccount('40550', { low_balance_threshold_days: 3 }); // 3 x (1200 + 100) = 3900
    await s.subscribe(id, yearly); // 36500, the whole month
    await s.subscribe(id, penny); // 50: 12:00-24:00
    expect(await s.balanceOf(id)).toBe('4000'); // 40550 - 36500 - 50
    await s.advanceTo('2026-11-10T00:00:00Z');
    expect(await s.balanceOf(id)).toBe('3900'); // 4000 - 100: exactly 3 days, not under
    expect(await warnings(id)).toEqual([]);
    await s.advanceTo('2026-11-11T00:00:00Z');
    expect(await s.balanceOf(id)).toBe('3800'); // 3900 - 100 < 3900
    expect(await warnings(id)).toEqual(['2026-11-11T00:00:00.000Z']);
  });

  it('with both thresholds set, the run warns as soon as either says funds are low', async () => {
    // 12000 - 2400 (Nov 2) - 2400 (Nov 3) = 7200, then 4800 at Nov 4: above the 1000 amount
    // but under 3 days of spend (7200), so funds are low from the Nov 4 run on.
    expect(await warnings(both)).toEqual(['2026-11-04T00:00:00.000Z']);
  });
});
