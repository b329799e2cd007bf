// SPEC 4 (seed 000): the system credit limit follows what the account bought over the last
// 12 months, so purchases older than that stop counting; top-ups are not purchases. The dates
// checked are ones where "the last 12 months" reads the same whether counted in calendar
// months or in days. Big costs 900.00 a month (90000 minor units), Starter 24.00 a day (2400).
import { beforeAll, describe, expect, it } from 'vitest';
import { billingScenario } from './support/scenario.js';

const s = billingScenario('2026-11-02T10:00:00Z');
let acme: number;

beforeAll(async () => {
  acme = s.track((await s.createAccount({ credit_enabled: true })).id);
});

describe('the credit limit over the trailing 12 months', () => {
  it('counts purchases, not top-ups', async () => {
    const big = await s.createPlan('900.00', { cadence: 'monthly' });
    await s.topUp(acme, '100000');
    const month = await s.subscribe(acme, big);
    expect(month.amount).toBe('90000'); // the whole month from Nov 2
    await s.disable(month.subscription.id); // nothing refunded; no further months bought
    await s.advanceTo('2026-11-03T00:00:00Z');
    expect(await s.account(acme)).toMatchObject({ balance: '10000', credit_limit: '9000' }); // 10% of 90000; the 100000 top-up does not count
  });

  it('adds later purchases as the runs recompute it', async () => {
    await s.advanceTo('2027-03-15T00:00:00Z');
    const starter = await s.createPlan('24.00');
    const day = await s.subscribe(acme, starter);
    expect(day.amount).toBe('2400'); // a whole day from 00:00
    await s.disable(day.subscription.id);
    expect((await s.account(acme)).credit_limit).toBe('9000'); // not recomputed before the next run
    await s.advanceTo('2027-03-16T00:00:00Z');
    expect(await s.account(acme)).toMatchObject({ balance: '7600', credit_limit: '9240' }); // 10% of (90000 + 2400)
  });

  it('drops purchases older than 12 months', async () => {
    await s.advanceTo('2027-10-31T00:00:00Z');
    expect((await s.account(acme)).credit_limit).toBe('9240'); // Nov 2026 is still within the last 12 months
    await s.advanceTo('2027-11-03T00:00:00Z');
    expect((await s.account(acme)).credit_limit).toBe('240'); // 10% of 2400 (Mar 2027): Nov 2026 left the window
  });
});
