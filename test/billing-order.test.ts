// SPEC 5 (seed 001): the nightly run bills an account's subscriptions one by one, oldest
// first; one the funds do not cover is suspended and charged nothing, and the next is still
// tried. SPEC 4: a top-up that covers a suspended subscription resumes it, charged from then
// to the next midnight. 2026-11-02 is a Monday; prices per day: Starter 24.00, Pro 48.00,
// Mini 12.00 (in minor units 2400, 4800, 1200: 100, 200 and 50 an hour).
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { query } from '../src/db/client.js';
import { billingScenario } from './support/scenario.js';

const s = billingScenario('2026-11-02T12:00:00Z');
let starter: number;
let pro: number;
let mini: number;

beforeAll(async () => {
  starter = await s.createPlan('24.00');
  pro = await s.createPlan('48.00');
  mini = await s.createPlan('12.00');
});

describe('one by one per account, oldest first', () => {
  let acme: number;
  let first: number;
  let second: number;
  let third: number;
  let other: number;

  it('the nightly run bills subscriptions one by one and still tries the next after one it cannot pay', async () => {
    acme = await s.fundedAccount('8200');
    first = (await s.subscribe(acme, starter)).subscription.id; // 1200: 12:00-24:00 of 2400
    second = (await s.subscribe(acme, pro)).subscription.id; // 2400: half of 4800
    third = (await s.subscribe(acme, mini)).subscription.id; // 600: half of 1200
    expect(await s.balanceOf(acme)).toBe('4000'); // 8200 - 1200 - 2400 - 600

    // Another account in the same batch is billed as usual.
    const umbrella = await s.fundedAccount('5000');
    other = (await s.subscribe(umbrella, starter)).subscription.id;
    expect(await s.balanceOf(umbrella)).toBe('3800'); // 5000 - 1200

    const [run] = await s.advanceTo('2026-11-03T00:00:00Z');
    // 4000: first 2400 fits (1600 left), second 4800 does not, third 1200 fits (400 left).
    expect(await s.balanceOf(acme)).toBe('400'); // 4000 - 2400 - 1200
    expect((await s.subscription(first)).status).toBe('active');
    expect((await s.subscription(second)).status).toBe('suspended');
    expect((await s.subscription(third)).status).toBe('active');
    expect(await s.chargesOf(acme, second)).toEqual([['2026-11-02T00:00:00.000Z', '2400']]); // only the first half day
    expect(await s.chargesOf(acme, third)).toEqual([
      ['2026-11-02T00:00:00.000Z', '600'],
      ['2026-11-03T00:00:00.000Z', '1200'],
    ]);
    expect(await s.balanceOf(umbrella)).toBe('1400'); // 3800 - 2400
    expect(run).toMatchObject({ billed: 3, suspended: 1, total_charged: '6000' }); // 2400 + 1200 (Acme) + 2400 (Umbrella)

    // The run's transaction: revenue on line 1, then the paid ones in order on lines 2 and 3.
    const runTransaction = (await s.ledgerOf(acme)).find((t) => t.kind === 'billing_run')!;
    expect(runTransaction.postings.map((p) => [p.ledger_account, p.subscription_id, p.amount])).toEqual([
      ['revenue', null, '3600'],
      ['customer', first, '-2400'],
      ['customer', third, '-1200'],
    ]);
    const lines = await query<{ line: number }>(s.kassa().db, sql`select line from ledger_postings where transaction_id = ${runTransaction.id} order by line`);
    expect(lines.map((l) => l.line)).toEqual([1, 2, 3]);

    const suspended = await s.eventsOf(acme, 'subscription.suspended');
    expect(suspended.map((e) => e.payload.subscription_id)).toEqual([second]);
    expect(suspended[0]!.payload).toMatchObject({ reason: 'insufficient_funds', amount: '4800' });
    // Two plans still run: the account keeps API access.
    expect((await s.entitlement(acme, 'api')).allowed).toBe(true);
  });

  it('pays the oldest first when only one of two equal subscriptions fits', async () => {
    await s.advanceTo('2026-11-03T18:00:00Z');
    const globex = await s.fundedAccount('2000');
    const older = (await s.subscribe(globex, starter)).subscription.id; // 600: 18:00-24:00
    const newer = (await s.subscribe(globex, starter)).subscription.id; // 600
    expect(await s.balanceOf(globex)).toBe('800'); // 2000 - 600 - 600
    await s.topUp(globex, '1600');
    expect(await s.balanceOf(globex)).toBe('2400'); // 800 + 1600: one day of one Starter

    await s.advanceTo('2026-11-04T00:00:00Z');
    expect(await s.balanceOf(globex)).toBe('0'); // 2400 - 2400 (older)
    expect((await s.subscription(older)).status).toBe('active');
    expect((await s.subscription(newer)).status).toBe('suspended');
    // Cleanup for the next scenarios: Acme and Umbrella stop running up charges.
    for (const id of [first, third, other, older]) await s.disable(id);
    await s.disable(newer);
  });
});

describe('auto-resume', () => {
  let initech: number;
  let plan: number;

  it('a top-up that covers a suspended subscription resumes it, charged from then to midnight', async () => {
    await s.advanceTo('2026-11-04T12:00:00Z');
    initech = await s.fundedAccount('3600');
    plan = (await s.subscribe(initech, starter)).subscription.id;
    expect(await s.balanceOf(initech)).toBe('2400'); // 3600 - 1200 (12:00-24:00)

    await s.advanceTo('2026-11-05T00:00:00Z');
    expect(await s.balanceOf(initech)).toBe('0'); // 2400 - 2400
    await s.advanceTo('2026-11-06T00:00:00Z');
    expect((await s.subscription(plan)).status).toBe('suspended'); // 0 < 2400
    expect(await s.balanceOf(initech)).toBe('0');

    await s.advanceTo('2026-11-06T08:00:00Z');
    // 1000 does not cover 08:00-24:00 (1600): stays suspended, nothing charged.
    const short = await s.topUp(initech, '1000');
    expect(short.resumed_subscription_ids).toEqual([]);
    expect(short.balance).toBe('1000');
    expect((await s.subscription(plan)).status).toBe('suspended');

    expect(await s.entitlement(initech, 'api')).toMatchObject({ allowed: false, reason: 'no_active_plan' });

    await s.advanceTo('2026-11-06T10:00:00Z');
    const enough = await s.topUp(initech, '2000');
    expect(await s.entitlement(initech, 'api')).toMatchObject({ allowed: true }); // never stale after the resume
    expect(enough.resumed_subscription_ids).toEqual([plan]);
    expect(enough.balance).toBe('1600'); // 1000 + 2000 - 1400 (10:00-24:00 = 14/24 x 2400)
    expect(await s.balanceOf(initech)).toBe('1600');
    const resumed = await s.subscription(plan);
    expect(resumed.status).toBe('active');
    expect(resumed.paid).toBe(true);
    expect(await s.chargesOf(initech, plan)).toEqual([
      ['2026-11-04T00:00:00.000Z', '1200'],
      ['2026-11-05T00:00:00.000Z', '2400'],
      ['2026-11-06T00:00:00.000Z', '1400'], // resumed at 10:00
    ]);
    const events = await s.eventsOf(initech, 'subscription.resumed');
    expect(events.map((e) => [e.payload.subscription_id, e.payload.amount])).toEqual([[plan, '1400']]);
  });

  it('a top-up at 00:00 after the run resumes for the whole day, and the next run bills it as usual', async () => {
    await s.advanceTo('2026-11-07T00:00:00Z');
    expect(await s.balanceOf(initech)).toBe('1600'); // 1600 < 2400: suspended again, nothing charged
    expect((await s.subscription(plan)).status).toBe('suspended');
    const again = await s.topUp(initech, '5000');
    expect(again.resumed_subscription_ids).toEqual([plan]);
    expect(again.balance).toBe('4200'); // 1600 + 5000 - 2400 (from 00:00: the whole Saturday)
    await s.advanceTo('2026-11-08T00:00:00Z');
    expect(await s.balanceOf(initech)).toBe('1800'); // 4200 - 2400
    expect((await s.subscription(plan)).status).toBe('active');
  });

  it('resumes suspended subscriptions oldest first, as far as the top-up goes', async () => {
    await s.advanceTo('2026-11-08T12:00:00Z');
    const hooli = await s.fundedAccount('3600');
    const a = (await s.subscribe(hooli, pro)).subscription.id; // 2400: 12:00-24:00 of 4800
    const b = (await s.subscribe(hooli, mini)).subscription.id; // 600
    expect(await s.balanceOf(hooli)).toBe('600'); // 3600 - 2400 - 600
    await s.advanceTo('2026-11-09T00:00:00Z');
    expect(await s.balanceOf(hooli)).toBe('600'); // 600 < 4800 (a) and 600 < 1200 (b): both suspended
    expect([(await s.subscription(a)).status, (await s.subscription(b)).status]).toEqual(['suspended', 'suspended']);

    await s.advanceTo('2026-11-09T18:00:00Z');
    // 600 + 600 = 1200 covers a (18:00-24:00 = 1200) but then not b (300).
    const topped = await s.topUp(hooli, '600');
    expect(topped.resumed_subscription_ids).toEqual([a]);
    expect(topped.balance).toBe('0'); // 600 + 600 - 1200
    const more = await s.topUp(hooli, '300');
    expect(more.resumed_subscription_ids).toEqual([b]);
    expect(more.balance).toBe('0'); // 0 + 300 - 300 (b: 6/24 x 1200)
  });
});
