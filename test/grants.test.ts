// Credit grants (SPEC 4, issue 17): credit given or sold, each grant its own ledger
// sub-account, drawn before the paid balance in one order (scoped to the charged plan or
// meter first, then priority, soonest expiry, promotional before paid, oldest), written off
// at expiry after a notice, voidable. Amounts are integer minor units of EUR; the simulated
// clock starts at 2026-12-01T10:00:00Z.
import { describe, expect, it } from 'vitest';
import { billingScenario } from './support/scenario.js';

const s = billingScenario('2026-12-01T10:00:00Z');
let keys = 0;
const key = () => ({ 'idempotency-key': `grants-${++keys}` });

interface Grant {
  id: number;
  status: string;
  amount: string;
  remaining: string;
  expires_at: string | null;
  effective_at: string;
}
interface Balance {
  balance: string;
  granted: string;
  available: string;
  credit_limit: string;
  credit_enabled: boolean;
  reserved: string;
  grants: { id: number; remaining: string; expires_at: string | null }[];
}

const grant = (accountId: number, body: Record<string, unknown>, headers = key()) => s.expectStatus<Grant>(201, 'POST', `/v1/accounts/${accountId}/grants`, body, headers);
const balance = (accountId: number) => s.expectStatus<Balance>(200, 'GET', `/v1/accounts/${accountId}/balance`);
const readGrant = (accountId: number, grantId: number) => s.expectStatus<Grant>(200, 'GET', `/v1/accounts/${accountId}/grants/${grantId}`);
const emptyAccount = async () => s.track((await s.createAccount()).id);
/** A monthly in-advance plan: subscribing charges its whole month at once. */
const monthlyPlan = (price: string) => s.createPlan(price, { cadence: 'monthly' });
const postingsOf = async (accountId: number, kind: string) =>
  (await s.ledgerOf(accountId)).filter((t) => t.kind === kind).map((t) => t.postings.map((p) => [p.ledger_account, p.amount, (p as { grant_id?: number | null }).grant_id ?? null]));

describe('credit grants', () => {
  it('gives a sign-up bonus: its own sub-account, counted in available, its parts adding up', async () => {
    const account = await s.fundedAccount('5000');
    const bonus = await grant(account, { kind: 'promotional', amount: '1000', expires_in_days: 30, reason: 'sign-up bonus' });
    expect(bonus).toMatchObject({ status: 'active', amount: '1000', remaining: '1000', expires_at: '2026-12-31T10:00:00.000Z' });
    // The grant's 1000 comes from the provider's promotion account.
    expect(await postingsOf(account, 'grant')).toEqual([[['grant', '1000', bonus.id], ['promotions', '-1000', null]]]);
    const shown = await balance(account);
    // 5000 paid + 1000 granted + 0 credit - 0 reserved = 6000
    expect(shown).toMatchObject({ balance: '5000', granted: '1000', available: '6000', grants: [{ id: bonus.id, remaining: '1000' }] });
    expect((await s.account(account)).available).toBe('6000');
  });

  it('answers the same request under one key once, and refuses the key for another request', async () => {
    const account = await emptyAccount();
    const headers = key();
    const first = await grant(account, { kind: 'promotional', amount: '300', reason: 'goodwill' }, headers);
    const again = await grant(account, { kind: 'promotional', amount: '300', reason: 'goodwill' }, headers);
    expect(again.id).toBe(first.id);
    const other = await s.call('POST', `/v1/accounts/${account}/grants`, { kind: 'promotional', amount: '301', reason: 'goodwill' }, headers);
    expect(other.body).toMatchObject({ status: 409, code: 'idempotency_conflict' });
    expect((await balance(account)).granted).toBe('300');
    const missing = await s.call('POST', `/v1/accounts/${account}/grants`, { kind: 'promotional', amount: '300', reason: 'goodwill' });
    expect(missing.status).toBe(400);
  });

  it('draws the higher-priority grant, then the sooner-expiring one, then the paid balance', async () => {
    const account = await s.fundedAccount('5000');
    const later = await grant(account, { kind: 'promotional', amount: '1000', expires_in_days: 60, reason: 'promotion' });
    const sooner = await grant(account, { kind: 'promotional', amount: '700', expires_in_days: 20, reason: 'promotion' });
    const first = await grant(account, { kind: 'paid', amount: '500', cost_basis: '400', priority: 10, reason: 'bundle' });
    await s.subscribe(account, await monthlyPlan('30.00'));
    // 3000 for the month: 500 from the priority-10 grant, 700 from the one expiring in 20 days,
    // 1000 from the one in 60, and 3000 - 500 - 700 - 1000 = 800 from the paid balance.
    const [charge] = await postingsOf(account, 'subscription_charge');
    expect(charge).toEqual([
      ['customer', '-800', null],
      ['grant', '-500', first.id],
      ['grant', '-700', sooner.id],
      ['grant', '-1000', later.id],
      ['revenue', '3000', null],
    ]);
    expect(await balance(account)).toMatchObject({ balance: '4200', granted: '0', available: '4200', grants: [] });
    const [event] = await s.eventsOf(account, 'subscription.charged');
    expect(event!.payload).toMatchObject({ amount: '3000', balance: '4200', grants: [{ grant_id: first.id, amount: '500' }, { grant_id: sooner.id, amount: '700' }, { grant_id: later.id, amount: '1000' }] });
  });

  it('lets a scoped grant pay only its plan, before any unscoped grant', async () => {
    const account = await s.fundedAccount('10000');
    const hosting = await monthlyPlan('20.00');
    const other = await monthlyPlan('5.00');
    const code = (await s.expectStatus<{ code: string }>(200, 'GET', `/v1/plans/${hosting}`)).code;
    const open = await grant(account, { kind: 'promotional', amount: '600', priority: 1, reason: 'promotion' });
    const scoped = await grant(account, { kind: 'promotional', amount: '1500', priority: 50, scope: [code], reason: 'hosting credit' });
    // The other plan's 500: the scoped grant may not pay it, so the open one does.
    await s.subscribe(account, other);
    // The hosting plan's 2000: its scoped grant first (1500, though its priority is lower), then 100 left of the open one, then 400 paid.
    await s.subscribe(account, hosting);
    expect(await postingsOf(account, 'subscription_charge')).toEqual([
      [['customer', '0', null], ['grant', '-500', open.id], ['revenue', '500', null]],
      [['customer', '-400', null], ['grant', '-1500', scoped.id], ['grant', '-100', open.id], ['revenue', '2000', null]],
    ]);
    expect((await balance(account)).balance).toBe('9600');
  });

  it('refuses a charge the grants that may pay it and the balance do not cover, counting no grant scoped elsewhere', async () => {
    const account = await s.fundedAccount('100');
    await grant(account, { kind: 'promotional', amount: '5000', scope: ['emails'], reason: 'e-mail credit' });
    // available counts every live grant (5100), but the plan's 1000 may use only the 100 paid.
    expect((await balance(account)).available).toBe('5100');
    const refused = await s.call('POST', `/v1/accounts/${account}/subscriptions`, { plan_id: await monthlyPlan('10.00') }, key());
    expect(refused.body).toMatchObject({ status: 422, code: 'insufficient_funds', required: '1000', available: '100' });
  });

  it('lets a paid grant wait for its payment, then counts its expiry from the payment', async () => {
    const account = await emptyAccount();
    const bought = await grant(account, { kind: 'paid', amount: '5000', cost_basis: '5000', expires_in_days: 10, purchase: 'pending', reason: 'invoice 2026-117' });
    expect(bought).toMatchObject({ status: 'awaiting_payment', remaining: '0', expires_at: '2026-12-11T10:00:00.000Z' });
    expect((await balance(account)).available).toBe('0');
    await s.advanceTo('2026-12-04T10:00:00Z'); // paid 3 days late
    const paid = await s.expectStatus<Grant>(200, 'POST', `/v1/accounts/${account}/grants/${bought.id}/paid`, undefined, key());
    // 10 days from its payment: 2026-12-04 10:00 + 10 days.
    expect(paid).toMatchObject({ status: 'active', remaining: '5000', effective_at: '2026-12-04T10:00:00.000Z', expires_at: '2026-12-14T10:00:00.000Z' });
    expect((await balance(account)).available).toBe('5000');
  });

  it('tells the account before a part-used grant expires, then writes off exactly the rest, once', async () => {
    const account = await emptyAccount();
    const bonus = await grant(account, { kind: 'promotional', amount: '1000', expires_at: '2026-12-20T00:00:00Z', reason: 'sign-up bonus' });
    await s.subscribe(account, await monthlyPlan('3.00')); // 300 of it used
    await s.advanceTo('2026-12-12T00:00:00Z');
    expect(await s.eventsOf(account, 'grant.expiring')).toEqual([]);
    // 7 days before (the default notice), what is left: 1000 - 300 = 700.
    await s.advanceTo('2026-12-13T00:00:00Z');
    const [notice] = await s.eventsOf(account, 'grant.expiring');
    expect(notice!.payload).toMatchObject({ grant_id: bonus.id, remaining: '700', expires_at: '2026-12-20T00:00:00.000Z' });
    await s.advanceTo('2026-12-21T00:00:00Z');
    expect(await readGrant(account, bonus.id)).toMatchObject({ status: 'expired', remaining: '0' });
    // The 700 goes back to where it came from; the notice was not sent twice.
    expect(await postingsOf(account, 'grant_expiry')).toEqual([[['grant', '-700', bonus.id], ['promotions', '700', null]]]);
    expect(await s.eventsOf(account, 'grant.expiring')).toHaveLength(1);
    expect((await s.eventsOf(account, 'grant.expired'))[0]!.payload).toMatchObject({ grant_id: bonus.id, written_off: '700' });
    await s.advanceTo('2026-12-22T00:00:00Z');
    expect(await postingsOf(account, 'grant_expiry')).toHaveLength(1);
    expect(await balance(account)).toMatchObject({ granted: '0', grants: [] });
  });

  it('puts a grant in effect at its effective time', async () => {
    const account = await emptyAccount();
    const later = await grant(account, { kind: 'promotional', amount: '400', effective_at: '2026-12-25T00:00:00Z', reason: 'Christmas' });
    expect(later).toMatchObject({ status: 'scheduled', remaining: '0' });
    await s.advanceTo('2026-12-25T00:00:00Z');
    expect(await readGrant(account, later.id)).toMatchObject({ status: 'active', remaining: '400' });
  });

  it('writes off the cost basis share of an expired paid grant as breakage', async () => {
    const account = await emptyAccount();
    // 10000 of credit bought for 8000: the 2000 discount is promotional credit.
    const bundle = await grant(account, { kind: 'paid', amount: '10000', cost_basis: '8000', expires_at: '2027-01-15T00:00:00Z', reason: 'bundle' });
    expect(await postingsOf(account, 'grant')).toEqual([[['grant', '10000', bundle.id], ['grant_sales', '-8000', null], ['promotions', '-2000', null]]]);
    await s.subscribe(account, await monthlyPlan('25.00')); // 2500 used
    await s.advanceTo('2027-01-16T00:00:00Z');
    // 7500 left: 7500 x 8000 / 10000 = 6000 is paid credit never used (breakage), 1500 discount.
    expect(await postingsOf(account, 'grant_expiry')).toEqual([[['grant', '-7500', bundle.id], ['breakage', '6000', null], ['promotions', '1500', null]]]);
  });

  it('voids a grant: what it holds goes back, nothing is deleted, and a second void is refused', async () => {
    const account = await emptyAccount();
    const mistake = await grant(account, { kind: 'promotional', amount: '800', reason: 'wrong account' });
    const voided = await s.expectStatus<Grant>(200, 'POST', `/v1/accounts/${account}/grants/${mistake.id}/void`, { reason: 'granted by mistake' }, key());
    expect(voided).toMatchObject({ status: 'voided', remaining: '0', amount: '800' });
    expect(await postingsOf(account, 'grant_void')).toEqual([[['grant', '-800', mistake.id], ['promotions', '800', null]]]);
    const again = await s.call('POST', `/v1/accounts/${account}/grants/${mistake.id}/void`, { reason: 'again' }, key());
    expect(again.body).toMatchObject({ status: 409, code: 'invalid_state' });
    const listed = await s.expectStatus<{ data: Grant[] }>(200, 'GET', `/v1/accounts/${account}/grants`);
    expect(listed.data.map((g) => [g.id, g.status])).toEqual([[mistake.id, 'voided']]);
  });

  it('never lets two charges at once overdraw one grant', async () => {
    const account = await s.fundedAccount('2000');
    const bonus = await grant(account, { kind: 'promotional', amount: '1000', reason: 'bonus' });
    const plan = await monthlyPlan('8.00');
    await Promise.all([s.subscribe(account, plan), s.subscribe(account, plan)]);
    // 800 + 800 = 1600: the first takes 800 of the grant, the second its other 200 and 600 paid.
    const charges = await postingsOf(account, 'subscription_charge');
    expect(charges.map((c) => c.filter(([a]) => a === 'grant').map(([, amount]) => amount))).toEqual([['-800'], ['-200']]);
    expect(await readGrant(account, bonus.id)).toMatchObject({ remaining: '0' });
    expect((await balance(account)).balance).toBe('1400');
  });

  it('refuses bad grants with the field at fault, changing nothing', async () => {
    const account = await emptyAccount();
    for (const [body, field] of [
      [{ kind: 'promotional', amount: '0', reason: 'x' }, '/amount'],
      [{ kind: 'promotional', amount: 100, reason: 'x' }, '/amount'],
      [{ kind: 'promotional', amount: '100', cost_basis: '10', reason: 'x' }, '/cost_basis'],
      [{ kind: 'paid', amount: '100', cost_basis: '101', reason: 'x' }, '/cost_basis'],
      [{ kind: 'promotional', amount: '100', expires_at: '2026-11-01T00:00:00Z', reason: 'x' }, '/expires_at'],
      [{ kind: 'promotional', amount: '100', scope: ['Not A Code'], reason: 'x' }, '/scope/0'],
      [{ kind: 'gift', amount: '100', reason: 'x' }, '/kind'],
    ] as const) {
      const refused = await s.call<{ field?: string; status: number }>('POST', `/v1/accounts/${account}/grants`, body, key());
      expect(refused.status, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
      expect(refused.body.field, JSON.stringify(body)).toBe(field);
    }
    expect(await s.call('POST', '/v1/accounts/999999/grants', { kind: 'promotional', amount: '100', reason: 'x' }, key())).toMatchObject({ status: 404 });
    expect((await s.expectStatus<{ data: unknown[] }>(200, 'GET', `/v1/accounts/${account}/grants`)).data).toEqual([]);
  });

  it("answers a meter's entitlement from the grants that may pay it, not from one scoped elsewhere", async () => {
    await s.expectStatus(201, 'POST', '/v1/services', { code: 'pings', name: 'Pings', unit: 'ping', meter: { aggregation: 'sum' } });
    const metered = (await s.expectStatus<{ id: number }>(201, 'POST', '/v1/plans', { code: 'pinging', name: 'Pinging', kind: 'preset', cadence: 'monthly', timing: 'in_advance', prices: [{ currency: 'EUR', definition: { base_price: '0', meters: [{ meter: 'pings', unit_price: '0.01' }] } }] })).id;
    const account = await emptyAccount();
    await s.subscribe(account, metered);
    const pings = (quantity?: number) => s.expectStatus<{ allowed: boolean; reason?: string }>(200, 'GET', `/v1/accounts/${account}/entitlements/pings${quantity ? `?quantity=${quantity}` : ''}`);
    expect(await pings()).toMatchObject({ allowed: false, reason: 'insufficient_funds' });
    // 500 for another plan only: available says 500, but none of it may pay pings.
    await grant(account, { kind: 'promotional', amount: '500', scope: ['hosting_only'], reason: 'hosting credit' });
    expect((await balance(account)).available).toBe('500');
    expect(await pings()).toMatchObject({ allowed: false, reason: 'insufficient_funds' });
    // 300 for pings: 300 pings at 0.01 are covered, 301 are not.
    await grant(account, { kind: 'promotional', amount: '300', scope: ['pings'], reason: 'ping credit' });
    expect(await pings()).toMatchObject({ allowed: true });
    expect(await pings(300)).toMatchObject({ allowed: true });
    expect(await pings(301)).toMatchObject({ allowed: false, reason: 'insufficient_funds' });
  });
});
