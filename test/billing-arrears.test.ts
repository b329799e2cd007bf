// SPEC 3 and 5 (seed 000): an in-arrears daily plan charges each UTC date on which it was
// active at any moment once, the full daily price: at the run after the date ends, or at once
// when the plan is deactivated during it. Re-activating on a date already charged costs
// nothing. While no plan is active, the API is not allowed. Basic costs 24.00 (2400) a day.
import { beforeAll, describe, expect, it } from 'vitest';
import { billingScenario } from './support/scenario.js';

const s = billingScenario('2026-11-02T10:00:00Z');
let basic: number;
let acme: number;
let sub: number;

beforeAll(async () => {
  basic = await s.createPlan('24.00', { timing: 'in_arrears', features: ['sso'] });
  acme = await s.fundedAccount('10000');
});

const api = async () => s.entitlement(acme, 'api');

describe('in-arrears daily plans (seed 000)', () => {
  it('answers api not allowed while no plan is active, and charges nothing on activation', async () => {
    expect(await api()).toMatchObject({ allowed: false, reason: 'no_active_plan' });
    const created = await s.subscribe(acme, basic);
    sub = created.subscription.id;
    expect(created.amount).toBe('0'); // paid after the date is used
    expect(await s.balanceOf(acme)).toBe('10000');
    expect(await api()).toMatchObject({ allowed: true });
  });

  it('charges the full daily price for a date used only partly, at the run after it', async () => {
    const [run] = await s.advanceTo('2026-11-03T00:00:00Z');
    expect(await s.balanceOf(acme)).toBe('7600'); // 10000 - 2400: Nov 2 (active from 10:00) costs the full day
    expect(run).toMatchObject({ billed: 1, total_charged: '2400' });
    expect(await s.chargesOf(acme, sub)).toEqual([['2026-11-02T00:00:00.000Z', '2400']]);
  });

  it('deactivating charges the current date at once; re-activating the same date costs nothing more', async () => {
    await s.advanceTo('2026-11-03T15:00:00Z');
    const disabled = await s.disable(sub);
    expect(disabled.amount).toBe('2400'); // Nov 3 charged at once
    expect(await s.balanceOf(acme)).toBe('5200'); // 7600 - 2400
    expect(await api()).toMatchObject({ allowed: false, reason: 'no_active_plan' });
    expect((await s.entitlement(acme, 'sso')).allowed).toBe(false);

    await s.advanceTo('2026-11-03T18:00:00Z');
    const enabled = await s.enable(sub);
    expect(enabled.amount).toBe('0'); // Nov 3 is already charged
    expect(await api()).toMatchObject({ allowed: true });
    expect((await s.entitlement(acme, 'sso')).allowed).toBe(true);

    // Off and on again the same day: still nothing more.
    await s.advanceTo('2026-11-03T20:00:00Z');
    expect((await s.disable(sub)).amount).toBe('0');
    expect((await s.enable(sub)).amount).toBe('0');
    expect(await s.balanceOf(acme)).toBe('5200');

    const [run] = await s.advanceTo('2026-11-04T00:00:00Z');
    expect(await s.balanceOf(acme)).toBe('5200'); // the run does not charge Nov 3 a second time
    expect(run).toMatchObject({ billed: 0, total_charged: '0' });
  });

  it('charges nothing for dates on which no plan was active, and API access is refused meanwhile', async () => {
    await s.advanceTo('2026-11-04T09:00:00Z');
    expect((await s.disable(sub)).amount).toBe('2400'); // Nov 4, used until 09:00
    expect(await s.balanceOf(acme)).toBe('2800'); // 5200 - 2400
    const runs = await s.advanceTo('2026-11-06T12:00:00Z');
    expect(runs).toHaveLength(2); // Nov 5 and Nov 6
    expect(await s.balanceOf(acme)).toBe('2800'); // Nov 4 (after 09:00) and Nov 5 unused: nothing
    expect(await api()).toMatchObject({ allowed: false, reason: 'no_active_plan' });

    expect((await s.enable(sub)).amount).toBe('0');
    await s.advanceTo('2026-11-07T00:00:00Z');
    expect(await s.balanceOf(acme)).toBe('400'); // 2800 - 2400: Nov 6, active from 12:00
    expect(await s.chargesOf(acme, sub)).toEqual([
      ['2026-11-02T00:00:00.000Z', '2400'],
      ['2026-11-03T00:00:00.000Z', '2400'],
      ['2026-11-04T00:00:00.000Z', '2400'],
      ['2026-11-06T00:00:00.000Z', '2400'],
    ]);
  });

  it('a clock moved over several midnights charges each used date once, in order', async () => {
    await s.topUp(acme, '10000'); // 400 -> 10400
    const runs = await s.advanceTo('2026-11-10T05:00:00Z');
    expect(runs.map((r) => [r.boundary, r.billed, r.total_charged])).toEqual([
      ['2026-11-08T00:00:00.000Z', 1, '2400'], // Nov 7 used
      ['2026-11-09T00:00:00.000Z', 1, '2400'], // Nov 8 used
      ['2026-11-10T00:00:00.000Z', 1, '2400'], // Nov 9 used
    ]);
    expect(await s.balanceOf(acme)).toBe('3200'); // 10400 - 3 x 2400
    expect(await s.advanceTo('2026-11-10T06:00:00Z')).toEqual([]);
    expect((await s.disable(sub)).amount).toBe('2400'); // Nov 10, used until 06:00
    expect(await s.balanceOf(acme)).toBe('800'); // 3200 - 2400
    expect((await s.chargesOf(acme, sub)).map(([day]) => day.slice(0, 10))).toEqual([
      '2026-11-02', '2026-11-03', '2026-11-04', '2026-11-06', '2026-11-07', '2026-11-08', '2026-11-09', '2026-11-10',
    ]);
  });

  it('charges a used day even into debt, then suspends the plan and says so with the amount', async () => {
    expect((await s.enable(sub)).amount).toBe('0'); // Nov 10 is already charged
    const runs = await s.advanceTo('2026-11-12T00:00:00Z');
    expect(runs.map((r) => [r.boundary, r.billed, r.suspended, r.total_charged])).toEqual([
      ['2026-11-11T00:00:00.000Z', 0, 0, '0'], // Nov 10 was charged at the disable
      ['2026-11-12T00:00:00.000Z', 1, 1, '2400'], // Nov 11 used: 800 - 2400 = -1600, nothing left
    ]);
    expect(await s.balanceOf(acme)).toBe('-1600');
    expect((await s.subscription(sub)).status).toBe('suspended');
    const [event] = await s.eventsOf(acme, 'subscription.suspended');
    expect(event?.payload).toEqual({ subscription_id: sub, reason: 'insufficient_funds', period_start: '2026-11-11T00:00:00.000Z', amount: '2400' });
  });
});
