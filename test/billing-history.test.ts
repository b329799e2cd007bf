// Billing history (SPEC 9, issue 8; seed 004 "Get organization billing history"): what an
// account was charged per day or month and per channel or kind, served from the daily rollup
// written with every charge, so each day adds up exactly to that day's charges in the ledger.
// Amounts are integer minor units of EUR; the simulated clock starts at 2026-12-01T08:00:00Z.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { billingScenario } from './support/scenario.js';

const s = billingScenario('2026-12-01T08:00:00Z');
let events = 0;
let keys = 0;
const report = async (accountId: number, meter: string, quantity: number, timestamp: string) => {
  await s.expectStatus(200, 'POST', '/v1/usage/events', { events: [{ id: `h-${++events}`, account_id: accountId, meter, quantity, timestamp }] });
  await s.kassa().background.settled();
};
const history = (accountId: number, query: string) => s.expectStatus<{ data: Record<string, string>[] }>(200, 'GET', `/v1/accounts/${accountId}/billing-history?${query}`);
const CHARGE_KINDS = new Set(['billing_run', 'subscription_charge', 'subscription_refund', 'usage_charge']);

/** Per UTC day, what the ledger charged the account (charges positive, refunds negative). */
async function ledgerCharges(accountId: number): Promise<Map<string, bigint>> {
  const byDay = new Map<string, bigint>();
  for (const t of await s.ledgerOf(accountId)) {
    if (!CHARGE_KINDS.has(t.kind)) continue;
    const day = t.created_at.slice(0, 10);
    byDay.set(day, (byDay.get(day) ?? 0n) - BigInt(t.customer_amount));
  }
  return byDay;
}

let plan: number;

describe('billing history', () => {
  it('sets up a plan with a base price, seats and metered channels', async () => {
    for (const service of [
      { code: 'emails', name: 'E-mails', unit: 'e-mail', meter: { aggregation: 'sum' } },
      { code: 'sms', name: 'SMS', unit: 'message', meter: { aggregation: 'sum' } },
      { code: 'users', name: 'Users', unit: 'user' },
    ]) {
      await s.expectStatus(201, 'POST', '/v1/services', service);
    }
    plan = (
      await s.expectStatus<{ id: number }>(201, 'POST', '/v1/plans', {
        code: 'marketing',
        name: 'Marketing',
        kind: 'preset',
        cadence: 'daily',
        timing: 'in_advance',
        prices: [
          {
            currency: 'EUR',
            definition: {
              base_price: '1.00',
              items: [{ service: 'users', unit_price: '0.50', included: 1, max: 10, default: 1 }],
              meters: [
                { meter: 'emails', unit_price: '0.001' },
                { meter: 'sms', unit_price: '0.05' },
              ],
            },
          },
        ],
      })
    ).id;
  });

  it('shows each day’s charges per channel and kind, adding up to the ledger', async () => {
    const acme = await s.fundedAccount('10000');
    // at 08:00, the rest of 1 Dec (16 of 24 hours): 1.00 x 16/24 = 0.67
    const subscription = (await s.subscribe(acme, plan)).subscription.id;
    await s.expectStatus(200, 'POST', `/v1/subscriptions/${subscription}/configure`, { quantities: { users: 3 } }, { 'idempotency-key': `h-${++keys}` });
    // 2 users more, 0.50 each for the rest of 1 Dec: 1.00 x 16/24 = 0.67
    await report(acme, 'emails', 1200, '2026-12-01T07:00:00Z'); // 1.20
    await report(acme, 'sms', 10, '2026-12-01T07:30:00Z'); // 0.50
    await s.expectStatus(200, 'POST', `/v1/subscriptions/${subscription}/configure`, { quantities: { users: 2 } }, { 'idempotency-key': `h-${++keys}` });
    // one user less: 0.50 x 16/24 = 0.33 refunded
    await s.advanceTo('2026-12-02T09:00:00Z'); // the 2 Dec run: 1.00 + 1 extra user x 0.50 = 1.50
    await report(acme, 'emails', 300, '2026-12-01T23:59:00Z'); // rated on 2 Dec: 0.30 counts on 2 Dec

    const byChannel = await history(acme, 'from=2026-12-01&to=2026-12-02');
    expect(byChannel.data).toEqual([
      { period: '2026-12-01', currency: 'EUR', channel: 'emails', kind: 'usage', quantity: '1200', amount: '120' },
      { period: '2026-12-01', currency: 'EUR', channel: 'marketing', kind: 'plan', quantity: '1', amount: '67' },
      { period: '2026-12-01', currency: 'EUR', channel: 'marketing', kind: 'refund', quantity: '1', amount: '-33' },
      { period: '2026-12-01', currency: 'EUR', channel: 'marketing', kind: 'seats', quantity: '1', amount: '67' },
      { period: '2026-12-01', currency: 'EUR', channel: 'sms', kind: 'usage', quantity: '10', amount: '50' },
      { period: '2026-12-02', currency: 'EUR', channel: 'emails', kind: 'usage', quantity: '300', amount: '30' },
      { period: '2026-12-02', currency: 'EUR', channel: 'marketing', kind: 'plan', quantity: '1', amount: '150' },
    ]);
    const ledger = await ledgerCharges(acme);
    expect(ledger).toEqual(new Map([['2026-12-01', 271n], ['2026-12-02', 180n]])); // 120 + 67 - 33 + 67 + 50; 30 + 150

    const byMonthAndKind = await history(acme, 'from=2026-12-01&to=2026-12-31&granularity=month&group_by=kind');
    expect(byMonthAndKind.data).toEqual([
      { period: '2026-12', currency: 'EUR', kind: 'plan', quantity: '2', amount: '217' },
      { period: '2026-12', currency: 'EUR', kind: 'refund', quantity: '1', amount: '-33' },
      { period: '2026-12', currency: 'EUR', kind: 'seats', quantity: '1', amount: '67' },
      { period: '2026-12', currency: 'EUR', kind: 'usage', quantity: '1510', amount: '200' },
    ]);

  });

  it('answers CSV with Accept: text/csv, and every account per currency for staff', async () => {
    const globex = await s.fundedAccount('1000', { name: 'Globex' });
    await s.subscribe(globex, plan); // at 09:00: 1.00 x 15/24 = 0.625, rounds half to even to 0.62
    await report(globex, 'sms', 4, '2026-12-02T08:00:00Z'); // 0.20
    const csv = await s.raw(`/v1/accounts/${globex}/billing-history?from=2026-12-02&to=2026-12-02`, { accept: 'text/csv' });
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.body).toBe('period,currency,channel,kind,quantity,amount\r\n2026-12-02,EUR,marketing,plan,1,62\r\n2026-12-02,EUR,sms,usage,4,20\r\n');

    const everyone = await s.expectStatus<{ account_id: null; data: Record<string, string>[] }>(200, 'GET', '/v1/billing-history?from=2026-12-02&to=2026-12-02&group_by=kind');
    expect(everyone.account_id).toBeNull();
    // Acme's 1.50 + 0.30 and Globex's 0.62 + 0.20
    expect(everyone.data).toEqual([
      { period: '2026-12-02', currency: 'EUR', kind: 'plan', quantity: '2', amount: '212' },
      { period: '2026-12-02', currency: 'EUR', kind: 'usage', quantity: '304', amount: '50' },
    ]);
  });

  it('refuses a window that is backwards or too long, or a day that is not one', async () => {
    const acme = (await s.createAccount()).id;
    for (const [query, field] of [
      ['from=2026-12-02&to=2026-12-01', '/querystring/from'],
      ['from=2020-01-01&to=2026-12-01', '/querystring/from'],
      ['from=2026-13-01', '/querystring/from'],
      ['granularity=week', '/querystring/granularity'],
    ]) {
      const refused = await s.call('GET', `/v1/accounts/${acme}/billing-history?${query}`);
      expect(refused.body, query).toMatchObject({ status: 400, code: 'validation_failed', field });
    }
    expect((await s.call('GET', '/v1/accounts/999999/billing-history')).body).toMatchObject({ status: 404 });
  });

  it('adds up, day by day, to the charges in the ledger, whatever was used and whenever it was rated', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ meter: fc.constantFrom('emails', 'sms'), quantity: fc.integer({ min: 1, max: 5000 }), minutesAgo: fc.integer({ min: 0, max: 600 }) }), { minLength: 1, maxLength: 8 }),
        async (usage) => {
          const account = await s.fundedAccount('100000');
          await s.subscribe(account, plan);
          const now = Date.parse((await s.expectStatus<{ now: string }>(200, 'GET', '/v1/clock')).now);
          for (const u of usage) await report(account, u.meter, u.quantity, new Date(now - u.minutesAgo * 60_000).toISOString());
          const rows = (await history(account, 'from=2026-11-01&to=2026-12-31')).data;
          const fromHistory = new Map<string, bigint>();
          for (const r of rows) fromHistory.set(r.period!, (fromHistory.get(r.period!) ?? 0n) + BigInt(r.amount!));
          expect(fromHistory).toEqual(await ledgerCharges(account));
        },
      ),
      { seed: 9, numRuns: 6 },
    );
  });
});
