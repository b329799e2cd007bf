// SPEC 3 and 5 (seed 001): a subscription disabled before midnight is not billed by the run;
// disabling and enabling inside the paid period costs nothing; enabling after days disabled
// charges from now to the next midnight (disabled Monday 00:00, enabled Friday 08:00: 16/24).
// 2026-11-01 is a Sunday, 2026-11-06 a Friday. Starter costs 24.00 a day (2400, 100 an hour).
import { beforeAll, describe, expect, it } from 'vitest';
import { billingScenario } from './support/scenario.js';

const s = billingScenario('2026-11-01T00:00:00Z');
let starter: number;
let acme: number;
let sub: number;

beforeAll(async () => {
  starter = await s.createPlan('24.00');
  acme = await s.fundedAccount('20000');
});

describe('disable and enable around the nightly run (seed 001)', () => {
  it('created at 00:00, the first day is charged whole', async () => {
    const created = await s.subscribe(acme, starter);
    sub = created.subscription.id;
    expect(created.amount).toBe('2400'); // 24/24 of 2400
    expect(await s.balanceOf(acme)).toBe('17600'); // 20000 - 2400
  });

  it('disabled before midnight, the subscription is not billed at the run', async () => {
    await s.advanceTo('2026-11-01T23:00:00Z');
    const disabled = await s.disable(sub);
    expect(disabled.amount).toBe('0'); // the paid Sunday stays paid, nothing refunded
    expect(await s.balanceOf(acme)).toBe('17600');

    const [monday] = await s.advanceTo('2026-11-02T00:00:00Z');
    expect(monday).toMatchObject({ billed: 0, suspended: 0, total_charged: '0' });
    expect(await s.balanceOf(acme)).toBe('17600'); // Monday not billed
    const view = await s.subscription(sub);
    expect(view.status).toBe('disabled');
    expect(view.paid).toBe(false);
  });

  it('stays unbilled through the days it is disabled', async () => {
    const runs = await s.advanceTo('2026-11-06T08:00:00Z');
    expect(runs.map((r) => r.boundary)).toEqual([
      '2026-11-03T00:00:00.000Z',
      '2026-11-04T00:00:00.000Z',
      '2026-11-05T00:00:00.000Z',
      '2026-11-06T00:00:00.000Z',
    ]);
    expect(runs.every((r) => r.billed === 0)).toBe(true);
    expect(await s.balanceOf(acme)).toBe('17600'); // nothing from Monday to Friday 08:00
  });

  it('enabling after days disabled charges from now to midnight: Monday 00:00 to Friday 08:00 disabled costs 16/24', async () => {
    const preview = await s.expectStatus<{ amount: string }>(200, 'POST', `/v1/subscriptions/${sub}/enable/preview`);
    expect(preview.amount).toBe('1600'); // the preview says the same and writes nothing
    expect(await s.balanceOf(acme)).toBe('17600');

    const enabled = await s.enable(sub);
    expect(enabled.amount).toBe('1600'); // 2400 x 16/24 (Friday 08:00 to Saturday 00:00)
    expect(enabled.period).toEqual({ start: '2026-11-06T00:00:00.000Z', end: '2026-11-07T00:00:00.000Z' });
    expect(await s.balanceOf(acme)).toBe('16000'); // 17600 - 1600

    await s.advanceTo('2026-11-07T00:00:00Z');
    expect(await s.balanceOf(acme)).toBe('13600'); // 16000 - 2400 (Saturday)
  });

  it('disabling then enabling inside the paid period costs nothing', async () => {
    await s.advanceTo('2026-11-07T10:00:00Z');
    expect((await s.disable(sub)).amount).toBe('0');
    await s.advanceTo('2026-11-07T15:00:00Z');
    const enabled = await s.enable(sub);
    expect(enabled.amount).toBe('0'); // Saturday is paid already
    expect(enabled.subscription.paid).toBe(true);
    expect(await s.balanceOf(acme)).toBe('13600'); // unchanged

    await s.advanceTo('2026-11-08T00:00:00Z');
    expect(await s.balanceOf(acme)).toBe('11200'); // 13600 - 2400 (Sunday): billed as usual again
  });

  it('disabled late on a paid day and enabled the next morning, the new day is charged from then', async () => {
    await s.advanceTo('2026-11-08T20:00:00Z');
    await s.disable(sub);
    await s.advanceTo('2026-11-09T06:00:00Z'); // the Monday run skips it
    expect(await s.balanceOf(acme)).toBe('11200');
    expect((await s.enable(sub)).amount).toBe('1800'); // 2400 x 18/24 (06:00 to 24:00)
    expect(await s.balanceOf(acme)).toBe('9400'); // 11200 - 1800
  });

  it('enabling is refused, and changes nothing, when funds do not cover the rest of the day', async () => {
    await s.advanceTo('2026-11-09T12:00:00Z');
    await s.disable(sub);
    await s.advanceTo('2026-11-10T00:00:00Z');
    // Leave 1000, less than the 2400 a whole Tuesday costs.
    await s.expectStatus(201, 'POST', `/v1/accounts/${acme}/adjustments`, { direction: 'debit', amount: '8400', reason: 'test' }, { 'idempotency-key': 'enable-debit' });
    expect(await s.balanceOf(acme)).toBe('1000'); // 9400 - 8400
    const refused = await s.change(sub, 'enable');
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('insufficient_funds');
    expect((await s.subscription(sub)).status).toBe('disabled');
    expect(await s.balanceOf(acme)).toBe('1000');
  });
});

describe('proration by the second, rounded once, half to even (SPEC 4)', () => {
  /** A fresh account subscribing to Starter at `at`: the amount charged. */
  async function chargeAt(at: string): Promise<string> {
    const initech = (await s.createAccount()).id;
    await s.topUp(initech, '100');
    await s.advanceTo(at);
    const created = await s.subscribe(initech, starter);
    expect(BigInt(await s.balanceOf(initech))).toBe(100n - BigInt(created.amount));
    await s.expectLedgerConsistent(initech);
    return created.amount;
  }

  it('a tie rounds to the even neighbour: 162 s left of 2400 is 4.5 -> 4', async () => {
    expect(await chargeAt('2026-11-10T23:57:18Z')).toBe('4'); // 2400 x 162/86400 = 4.5 -> 4
  });

  it('a tie rounds to the even neighbour even when the fraction of the day is a repeating decimal: 90 s of 2400 is 2.5 -> 2', async () => {
    // 90/86400 = 0.0010416666...: computed as a rounded decimal first, the product is no longer
    // exactly 2.5 and rounds up. The SPEC wants quantity x price x fraction computed exactly.
    expect(await chargeAt('2026-11-10T23:58:30Z')).toBe('2'); // 2400 x 90/86400 = 2.5 -> 2
  });

  it('rounds 1.5 up to the even 2 and 0.83 to 1', async () => {
    expect(await chargeAt('2026-11-10T23:59:06Z')).toBe('2'); // 2400 x 54/86400 = 1.5 -> 2
    expect(await chargeAt('2026-11-10T23:59:30Z')).toBe('1'); // 2400 x 30/86400 = 0.833... -> 1
  });
});
