// Credit grants in the daily billing run (SPEC 4 and 5, issue 17): the run draws an account's
// grants before its paid balance, by the same order as every other charge, and counts the
// grants that may pay a subscription's plan in deciding whether it is paid or suspended.
// Amounts are integer minor units of EUR; the simulated clock starts at 2026-12-01T10:00:00Z.
import { describe, expect, it } from 'vitest';
import { billingScenario } from './support/scenario.js';

const s = billingScenario('2026-12-01T10:00:00Z');
let keys = 0;
const key = () => ({ 'idempotency-key': `grants-billing-${++keys}` });
const grant = (accountId: number, body: Record<string, unknown>) => s.expectStatus<{ id: number; remaining: string }>(201, 'POST', `/v1/accounts/${accountId}/grants`, body, key());
const grantOf = (accountId: number, grantId: number) => s.expectStatus<{ status: string; remaining: string }>(200, 'GET', `/v1/accounts/${accountId}/grants/${grantId}`);
const runCharges = async (accountId: number) =>
  (await s.ledgerOf(accountId))
    .filter((t) => t.kind === 'billing_run')
    .map((t) => [t.description.slice(-10), ...t.postings.filter((p) => p.ledger_account !== 'revenue').map((p) => `${p.ledger_account} ${p.amount}`)]);

let daily: number;
let scopedPlan: number;
let scopedCode: string;

describe('credit grants in the billing run', () => {
  it('pays a 1.00/day plan from a 10.00 sign-up bonus first, then from the 50.00 topped up', async () => {
    daily = await s.createPlan('1.00');
    const account = s.track((await s.createAccount()).id);
    const bonus = await grant(account, { kind: 'promotional', amount: '1000', expires_in_days: 30, reason: 'sign-up bonus' });
    await s.topUp(account, '5000');
    // Created at 10:00: the rest of today, 14/24 x 100 = 58.33 -> 58, from the bonus.
    await s.subscribe(account, daily);
    expect((await grantOf(account, bonus.id)).remaining).toBe('942');
    // Each midnight from 2 to 10 December: 100 from the bonus, 9 x 100 = 900, leaving 42.
    await s.advanceTo('2026-12-10T12:00:00Z');
    expect((await grantOf(account, bonus.id)).remaining).toBe('42');
    expect(await s.balanceOf(account)).toBe('5000');
    // 11 December: its last 42, then 100 - 42 = 58 from the paid balance.
    await s.advanceTo('2026-12-11T12:00:00Z');
    const charges = await runCharges(account);
    expect(charges[0]).toEqual(['2026-12-02', 'customer 0', `grant -100`]);
    expect(charges.at(-1)).toEqual(['2026-12-11', 'customer -58', 'grant -42']);
    expect(await grantOf(account, bonus.id)).toMatchObject({ status: 'active', remaining: '0' });
    expect(await s.balanceOf(account)).toBe('4942');
    // Nothing is left of it to expire on 31 December: no write-off, no notice.
    await s.advanceTo('2027-01-01T12:00:00Z');
    expect((await s.ledgerOf(account)).filter((t) => t.kind === 'grant_expiry')).toEqual([]);
    expect(await grantOf(account, bonus.id)).toMatchObject({ status: 'expired', remaining: '0' });
    // 12 December to 1 January: 21 days x 100 from the balance: 4942 - 2100 = 2842.
    expect(await s.balanceOf(account)).toBe('2842');
  });

  it('keeps running a plan the grants alone pay for, and suspends it once they are spent', async () => {
    const account = s.track((await s.createAccount()).id);
    const credit = await grant(account, { kind: 'promotional', amount: '250', reason: 'trial credit' });
    // Created at 12:00 on 1 January: 12/24 x 100 = 50 from the grant, 200 left.
    await s.subscribe(account, daily);
    await s.advanceTo('2027-01-03T12:00:00Z');
    // 2 and 3 January: 100 each, from the grant; nothing left.
    expect((await grantOf(account, credit.id)).remaining).toBe('0');
    expect((await s.expectStatus<{ data: { status: string }[] }>(200, 'GET', `/v1/accounts/${account}/subscriptions`)).data[0]!.status).toBe('active');
    await s.advanceTo('2027-01-04T12:00:00Z');
    expect((await s.expectStatus<{ data: { status: string }[] }>(200, 'GET', `/v1/accounts/${account}/subscriptions`)).data[0]!.status).toBe('suspended');
    expect(await s.balanceOf(account)).toBe('0');
  });

  it('counts a grant scoped to another plan for nothing, and pays its own plan from it first', async () => {
    scopedPlan = await s.createPlan('2.00');
    scopedCode = (await s.expectStatus<{ code: string }>(200, 'GET', `/v1/plans/${scopedPlan}`)).code;
    const account = s.track((await s.createAccount()).id);
    await s.topUp(account, '300');
    await s.subscribe(account, daily); // 12/24 x 100 = 50 from the balance: 250 left
    await s.subscribe(account, scopedPlan); // 12/24 x 200 = 100 from the balance: 150 left
    const scoped = await grant(account, { kind: 'promotional', amount: '1000', scope: [scopedCode], reason: 'hosting credit' });
    // 5 January: the daily plan (oldest) 100 from the balance, 50 left; the scoped plan 200 from its grant.
    await s.advanceTo('2027-01-05T12:00:00Z');
    // 6 January: the daily plan's 100 is more than the 50 paid (the grant may not pay it): suspended;
    // the scoped plan again 200 from its grant.
    await s.advanceTo('2027-01-06T12:00:00Z');
    const subscriptions = (await s.expectStatus<{ data: { plan_id: number; status: string }[] }>(200, 'GET', `/v1/accounts/${account}/subscriptions`)).data;
    expect(subscriptions.map((x) => [x.plan_id, x.status]).sort()).toEqual([[daily, 'suspended'], [scopedPlan, 'active']].sort());
    expect(await runCharges(account)).toEqual([
      ['2027-01-05', 'customer -100', 'customer 0', 'grant -200'],
      ['2027-01-06', 'customer 0', 'grant -200'],
    ]);
    expect((await grantOf(account, scoped.id)).remaining).toBe('600');
    expect(await s.balanceOf(account)).toBe('50');
  });
});
