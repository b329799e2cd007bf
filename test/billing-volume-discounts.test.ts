// Automatic volume discounts on plan items (SPEC 6, issue 8; seed 003: "higher volume usage is
// automatically cheaper"): a PaaS plan prices reserved cloudlets per day, 5% off the units above
// 10 and 12% off those above 50. Every charge of the subscription (creating it, a mid-period
// increase, the nightly run, with or without credit grants) is shown as its price before the
// discount and the discount as its own line, in its event and in the billing history.
// Amounts are integer minor units of EUR; the simulated clock starts at 2026-12-01T08:00:00Z.
import { describe, expect, it } from 'vitest';
import { billingScenario } from './support/scenario.js';

const s = billingScenario('2026-12-01T08:00:00Z');
let keys = 0;
const key = () => ({ 'idempotency-key': `volume-discounts-${++keys}` });
const history = (accountId: number, query: string) => s.expectStatus<{ data: Record<string, string>[] }>(200, 'GET', `/v1/accounts/${accountId}/billing-history?${query}`);
const charged = async (accountId: number) => (await s.eventsOf(accountId, 'subscription.charged')).map((e) => e.payload);

let plan: number;
let subscription: number;
let acme: number;

describe('volume discounts on plan items', () => {
  it('quotes a period line by line: the price before the discount, the discount and the price paid', async () => {
    await s.expectStatus(201, 'POST', '/v1/services', { code: 'cloudlets', name: 'Cloudlets', unit: 'cloudlet' });
    plan = (
      await s.expectStatus<{ id: number }>(201, 'POST', '/v1/plans', {
        code: 'paas',
        name: 'PaaS',
        kind: 'custom',
        cadence: 'daily',
        timing: 'in_advance',
        prices: [
          {
            currency: 'EUR',
            definition: {
              items: [
                {
                  service: 'cloudlets',
                  unit_price: '0.10',
                  min: 1,
                  max: 1000,
                  default: 20,
                  discounts: [
                    { from: 10, percent: '5' },
                    { from: 50, percent: '12' },
                  ],
                },
              ],
            },
          },
        ],
      })
    ).id;
    const quote = await s.expectStatus<Record<string, unknown>>(200, 'GET', `/v1/plans/${plan}/price?currency=EUR&quantities=cloudlets:60`);
    // 60 x 0.10 = 6.00 before; off: 40 (from 10 to 50) x 0.10 x 5% = 0.20 and 10 (above 50) x 0.10 x 12% = 0.12
    expect(quote).toMatchObject({
      lines: [
        { line: 'base', before_discount: '0', discount: '0', amount: '0' },
        { line: 'cloudlets', quantity: 60, billable: 60, before_discount: '6', discount: '0.32', amount: '5.68' },
      ],
      total: '5.68',
      period_amount: '568',
      period_discount: '32',
    });
  });

  it('charges creating and a mid-period increase after the discount, each with its discount beside it', async () => {
    acme = s.track((await s.createAccount()).id);
    await s.topUp(acme, '10000');
    // 20 cloudlets: 2.00 before, 10 x 0.10 x 5% = 0.05 off, 1.95 a day. At 08:00, 16 of 24 hours
    // are left: 195 x 16/24 = 130 charged; 200 x 16/24 = 133.33 -> 133 before the discount, 3 off.
    const created = await s.expectStatus<{ subscription: { id: number; period_amount: string; period_discount: string } }>(201, 'POST', `/v1/accounts/${acme}/subscriptions`, { plan_id: plan, quantities: { cloudlets: 20 } }, key());
    subscription = created.subscription.id;
    expect(created.subscription).toMatchObject({ period_amount: '195', period_discount: '5' });
    // To 60: 5.68 - 1.95 = 3.73 more a day, 3.73 x 16/24 = 2.4867 -> 249; before the discount
    // 4.00 x 16/24 = 2.6667 -> 267, so 18 off.
    await s.expectStatus(200, 'POST', `/v1/subscriptions/${subscription}/configure`, { quantities: { cloudlets: 60 } }, key());
    expect(await s.subscription(subscription)).toMatchObject({ period_amount: '568', period_discount: '32' });
    expect(await charged(acme)).toMatchObject([
      { reason: 'created', amount: '130', discount: '3' },
      { reason: 'configuration_change', amount: '249', discount: '18' },
    ]);
    expect(await s.balanceOf(acme)).toBe('9621'); // 10000 - 130 - 249
  });

  it('bills the next day at the discounted price and shows the discount in the billing history', async () => {
    await s.advanceTo('2026-12-02T09:00:00Z');
    const run = (await charged(acme)).at(-1)!;
    expect(run).toMatchObject({ reason: 'billing_run', amount: '568', charges: [{ subscription_id: subscription, amount: '568', discount: '32' }] });
    expect(await s.balanceOf(acme)).toBe('9053'); // 9621 - 568
    expect((await history(acme, 'from=2026-12-01&to=2026-12-02')).data).toEqual([
      { period: '2026-12-01', currency: 'EUR', channel: 'paas', kind: 'discount', quantity: '0', amount: '-21' }, // 3 + 18
      { period: '2026-12-01', currency: 'EUR', channel: 'paas', kind: 'plan', quantity: '1', amount: '133' },
      { period: '2026-12-01', currency: 'EUR', channel: 'paas', kind: 'seats', quantity: '1', amount: '267' },
      { period: '2026-12-02', currency: 'EUR', channel: 'paas', kind: 'discount', quantity: '0', amount: '-32' },
      { period: '2026-12-02', currency: 'EUR', channel: 'paas', kind: 'plan', quantity: '1', amount: '600' },
    ]);
    // Each day adds up to what the ledger charged: 133 + 267 - 21 = 379 = 130 + 249; 600 - 32 = 568.
    await s.expectLedgerConsistent(acme);
  });

  it('shows the discount of a run charge paid from a credit grant the same way', async () => {
    const granted = s.track((await s.createAccount()).id);
    await s.expectStatus(201, 'POST', `/v1/accounts/${granted}/grants`, { kind: 'promotional', amount: '1000', reason: 'launch credit' }, key());
    // 60 cloudlets from 09:00: 568 x 15/24 = 355 paid, 600 x 15/24 = 375 before the discount.
    await s.expectStatus(201, 'POST', `/v1/accounts/${granted}/subscriptions`, { plan_id: plan, quantities: { cloudlets: 60 } }, key());
    await s.advanceTo('2026-12-03T09:00:00Z');
    const [, run] = await charged(granted);
    expect(run).toMatchObject({ reason: 'billing_run', amount: '568', charges: [{ amount: '568', discount: '32' }] });
    expect((await history(granted, 'from=2026-12-03&to=2026-12-03&granularity=day')).data).toEqual([
      { period: '2026-12-03', currency: 'EUR', channel: 'paas', kind: 'discount', quantity: '0', amount: '-32' },
      { period: '2026-12-03', currency: 'EUR', channel: 'paas', kind: 'plan', quantity: '1', amount: '600' },
    ]);
    // The grant paid both: 1000 - 355 - 568 = 77 left.
    const balance = await s.expectStatus<{ grants: { remaining: string }[] }>(200, 'GET', `/v1/accounts/${granted}/balance`);
    expect(balance.grants.map((g) => g.remaining)).toEqual(['77']);
    await s.expectLedgerConsistent(granted);
  });

  it('refuses discount levels that do not ascend or take nothing off', async () => {
    const reply = await s.call<{ code: string; errors?: { field: string }[]; field?: string }>('POST', '/v1/plans', {
      code: 'paas_bad',
      name: 'PaaS bad',
      kind: 'custom',
      cadence: 'daily',
      timing: 'in_advance',
      prices: [{ currency: 'EUR', definition: { items: [{ service: 'cloudlets', unit_price: '0.10', discounts: [{ from: 50, percent: '5' }, { from: 10, percent: '12' }] }] } }],
    });
    expect(reply.status).toBe(400);
    expect(JSON.stringify(reply.body)).toContain('/items/0/discounts/1/from');
    const zero = await s.call('POST', '/v1/plans', {
      code: 'paas_zero',
      name: 'PaaS zero',
      kind: 'custom',
      cadence: 'daily',
      timing: 'in_advance',
      prices: [{ currency: 'EUR', definition: { items: [{ service: 'cloudlets', unit_price: '0.10', discounts: [{ from: 10, percent: '0' }] }] } }],
    });
    expect(zero.status).toBe(400);
    expect(JSON.stringify(zero.body)).toContain('/items/0/discounts/0/percent');
  });
});
