// SPEC 3 and 5 through the HTTP API on the simulated clock: an in-advance daily plan is
// charged the rest of its first day at once, then each full day by the 00:00 run; runs are
// recorded; a clock moved over several midnights bills each missed boundary once, in order.
// 2026-11-02 is a Monday. Starter costs 24.00 a day (2400 minor units, 100 an hour).
import { beforeAll, describe, expect, it } from 'vitest';
import { billingScenario } from './support/scenario.js';

const s = billingScenario('2026-11-02T13:00:00Z');
let starter: number;
let mini: number;

beforeAll(async () => {
  starter = await s.createPlan('24.00');
  mini = await s.createPlan('12.00');
});

describe('an in-advance daily plan', () => {
  let acme: number;
  let acmeStarter: number;
  let globex: number;
  let globexMini: number;

  it('created at 13:00 is charged 11/24 of the daily price at once', async () => {
    acme = await s.fundedAccount('10000');
    const created = await s.subscribe(acme, starter);
    acmeStarter = created.subscription.id;
    expect(created.amount).toBe('1100'); // 2400 x 11/24 (13:00 to 24:00)
    expect(created.subscription.paid).toBe(true);
    expect(created.period).toEqual({ start: '2026-11-02T00:00:00.000Z', end: '2026-11-03T00:00:00.000Z' });
    expect(await s.balanceOf(acme)).toBe('8900'); // 10000 - 1100

    globex = await s.fundedAccount('100000');
    globexMini = (await s.subscribe(globex, mini)).subscription.id;
    expect(await s.balanceOf(globex)).toBe('99450'); // 100000 - 550 (1200 x 11/24)
  });

  it('the 00:00 run charges the full next day', async () => {
    const runs = await s.advanceTo('2026-11-03T00:00:00Z');
    expect(runs.map((r) => r.boundary)).toEqual(['2026-11-03T00:00:00.000Z']);
    expect(await s.balanceOf(acme)).toBe('6500'); // 8900 - 2400 (full Tuesday at the 00:00 run)
    expect(await s.balanceOf(globex)).toBe('98250'); // 99450 - 1200
    expect((await s.subscription(acmeStarter)).current_period).toEqual({ start: '2026-11-03T00:00:00.000Z', end: '2026-11-04T00:00:00.000Z' });
  });

  it('bills several days in a row, each day once at its own run', async () => {
    await s.advanceTo('2026-11-04T09:30:00Z');
    await s.advanceTo('2026-11-05T00:00:00Z');
    expect(await s.balanceOf(acme)).toBe('1700'); // 6500 - 2400 (Wed) - 2400 (Thu)
    expect(await s.balanceOf(globex)).toBe('95850'); // 98250 - 1200 (Wed) - 1200 (Thu)
    expect(await s.chargesOf(acme, acmeStarter)).toEqual([
      ['2026-11-02T00:00:00.000Z', '1100'], // 13:00-24:00 at creation
      ['2026-11-03T00:00:00.000Z', '2400'],
      ['2026-11-04T00:00:00.000Z', '2400'],
      ['2026-11-05T00:00:00.000Z', '2400'],
    ]);
    const ledger = await s.ledgerOf(acme);
    const runCharges = ledger.filter((t) => t.kind === 'billing_run');
    // Each run charges at its own boundary, not when the clock settles.
    expect(runCharges.map((t) => t.created_at)).toEqual(['2026-11-03T00:00:00.000Z', '2026-11-04T00:00:00.000Z', '2026-11-05T00:00:00.000Z']);
  });

  it('the billing run record counts billed and suspended subscriptions and the total charged', async () => {
    // Acme has 1700 left, less than the 2400 Friday costs: suspended, nothing charged.
    await s.advanceTo('2026-11-06T00:00:00Z');
    expect(await s.balanceOf(acme)).toBe('1700'); // unchanged: Friday not covered
    expect((await s.subscription(acmeStarter)).status).toBe('suspended');
    expect((await s.subscription(globexMini)).status).toBe('active');

    const runs = await s.billingRuns();
    expect(runs.map((r) => [r.boundary, r.status, r.billed, r.suspended, r.total_charged])).toEqual([
      ['2026-11-03T00:00:00.000Z', 'completed', 2, 0, '3600'], // 2400 (Acme) + 1200 (Globex)
      ['2026-11-04T00:00:00.000Z', 'completed', 2, 0, '3600'],
      ['2026-11-05T00:00:00.000Z', 'completed', 2, 0, '3600'],
      ['2026-11-06T00:00:00.000Z', 'completed', 1, 1, '1200'], // Globex only; Acme suspended
    ]);
    const suspended = await s.eventsOf(acme, 'subscription.suspended');
    expect(suspended.map((e) => e.payload.subscription_id)).toEqual([acmeStarter]);
    expect(await s.eventsOf(globex, 'subscription.suspended')).toEqual([]);
    // Acme's only plan no longer runs: its API access is refused (SPEC 3, 11).
    expect(await s.entitlement(acme, 'api')).toMatchObject({ allowed: false, reason: 'no_active_plan' });
    expect((await s.entitlement(globex, 'api')).allowed).toBe(true);
    // Out of the way of the catch-up scenario below: disabling inside a paid day is free.
    expect((await s.disable(globexMini)).amount).toBe('0');
  });
});

describe('a subscription created at 00:00, right after the run', () => {
  it('pays its whole first day once, and the run of that midnight does not bill it again', async () => {
    const hooli = await s.fundedAccount('5000');
    const created = await s.subscribe(hooli, mini);
    expect(created.amount).toBe('1200'); // the clock is at 2026-11-06 00:00: the whole day
    const rerun = await s.expectStatus<{ data: unknown[] }>(200, 'POST', '/v1/billing-runs');
    expect(rerun.data).toEqual([]); // the 2026-11-06 run is completed
    expect(await s.balanceOf(hooli)).toBe('3800'); // 5000 - 1200
    expect(await s.chargesOf(hooli, created.subscription.id)).toEqual([['2026-11-06T00:00:00.000Z', '1200']]);
    await s.disable(created.subscription.id); // out of the way of the catch-up scenario
  });
});

describe('catching up over several midnights', () => {
  let initech: number;
  let sub: number;

  it('bills each missed boundary once, in order, until funds run out', async () => {
    await s.advanceTo('2026-11-06T12:00:00Z');
    initech = await s.fundedAccount('8800');
    sub = (await s.subscribe(initech, starter)).subscription.id;
    expect(await s.balanceOf(initech)).toBe('7600'); // 8800 - 1200 (12:00-24:00, 12/24 x 2400)

    // Four midnights at once: Sat 7, Sun 8, Mon 9, Tue 10.
    const runs = await s.advanceTo('2026-11-10T06:00:00Z');
    // Each boundary runs at its own time, as the scheduler would have run it.
    expect(runs.every((r) => r.started_at === r.boundary && r.status === 'completed')).toBe(true);
    expect(runs.map((r) => [r.boundary, r.billed, r.suspended, r.total_charged])).toEqual([
      ['2026-11-07T00:00:00.000Z', 1, 0, '2400'], // 7600 -> 5200
      ['2026-11-08T00:00:00.000Z', 1, 0, '2400'], // 5200 -> 2800
      ['2026-11-09T00:00:00.000Z', 1, 0, '2400'], // 2800 -> 400
      ['2026-11-10T00:00:00.000Z', 0, 1, '0'], // 400 < 2400: suspended
    ]);
    expect(await s.balanceOf(initech)).toBe('400'); // 7600 - 3 x 2400
    expect(await s.chargesOf(initech, sub)).toEqual([
      ['2026-11-06T00:00:00.000Z', '1200'],
      ['2026-11-07T00:00:00.000Z', '2400'],
      ['2026-11-08T00:00:00.000Z', '2400'],
      ['2026-11-09T00:00:00.000Z', '2400'],
    ]);
    const suspended = await s.eventsOf(initech, 'subscription.suspended');
    expect(suspended).toHaveLength(1);
    expect(suspended[0]!.created_at).toBe('2026-11-10T00:00:00.000Z');
    expect((await s.subscription(sub)).status).toBe('suspended');
  });

  it('bills nothing more when the same time is run again: no period twice', async () => {
    const before = await s.ledgerOf(initech);
    expect(await s.advanceTo('2026-11-10T06:00:00Z')).toEqual([]);
    const rerun = await s.expectStatus<{ data: unknown[] }>(200, 'POST', '/v1/billing-runs');
    expect(rerun.data).toEqual([]);
    expect(await s.advanceTo('2026-11-10T23:59:59Z')).toEqual([]);
    expect(await s.ledgerOf(initech)).toEqual(before);
    expect(await s.balanceOf(initech)).toBe('400'); // unchanged
    const boundaries = (await s.billingRuns()).map((r) => r.boundary);
    expect(new Set(boundaries).size).toBe(boundaries.length);
    expect(boundaries.slice(-4)).toEqual(['2026-11-07T00:00:00.000Z', '2026-11-08T00:00:00.000Z', '2026-11-09T00:00:00.000Z', '2026-11-10T00:00:00.000Z']);
  });

  it('concurrent runs of the same boundaries still bill each period once', async () => {
    await s.advanceTo('2026-11-11T12:00:00Z');
    const umbrella = await s.fundedAccount('10000');
    const sub = (await s.subscribe(umbrella, starter)).subscription.id;
    expect(await s.balanceOf(umbrella)).toBe('8800'); // 10000 - 1200 (12:00-24:00)
    // The advance runs Nov 12, 13 and 14 while run requests keep arriving.
    const racing = [
      s.advanceTo('2026-11-14T00:00:00Z'),
      ...Array.from({ length: 4 }, () => s.expectStatus(200, 'POST', '/v1/billing-runs')),
    ];
    await Promise.all(racing);
    await s.expectStatus(200, 'POST', '/v1/billing-runs');
    expect(await s.balanceOf(umbrella)).toBe('1600'); // 8800 - 3 x 2400
    expect((await s.chargesOf(umbrella, sub)).map(([start]) => start.slice(0, 10))).toEqual(['2026-11-11', '2026-11-12', '2026-11-13', '2026-11-14']);
    const runs = await s.billingRuns();
    const boundaries = runs.map((r) => r.boundary);
    expect(new Set(boundaries).size).toBe(boundaries.length);
    expect(runs.slice(-3).map((r) => [r.boundary.slice(0, 10), r.status, r.billed, r.total_charged])).toEqual([
      ['2026-11-12', 'completed', 1, '2400'],
      ['2026-11-13', 'completed', 1, '2400'],
      ['2026-11-14', 'completed', 1, '2400'],
    ]);
  });
});
