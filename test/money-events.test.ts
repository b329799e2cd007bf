// SPEC 4 and 5, "every money movement is an event": an interactive charge or refund writes its
// own `subscription.charged` / `subscription.refunded` in its transaction, with the ledger
// transaction it posted; a billing run writes one `subscription.charged` per charged account,
// its charges listed, and one `billing_run.completed` in the provider's feed.
// Starter costs 24.00 a day (2400 minor units, 100 an hour); Mini 12.00 (50 an hour).
import { beforeAll, describe, expect, it } from 'vitest';
import type { EventView } from './support/scenario.js';
import { billingScenario } from './support/scenario.js';

const s = billingScenario('2026-11-02T13:00:00Z');
let starter: number;
let mini: number;

beforeAll(async () => {
  starter = await s.createPlan('24.00');
  mini = await s.createPlan('12.00');
});

const moneyEvents = async (accountId: number) =>
  (await s.eventsOf(accountId)).filter((e) => e.topic === 'subscription.charged' || e.topic === 'subscription.refunded');

async function providerEvents(topic: string): Promise<EventView[]> {
  return (await s.expectStatus<{ data: EventView[] }>(200, 'GET', `/v1/events?topic=${topic}&limit=200`)).data;
}

describe('money movements as events', () => {
  let acme: number;
  let acmeStarter: number;
  let acmeMini: number;
  let poor: number;

  it('a subscription charged at creation writes its own event with the ledger transaction', async () => {
    acme = await s.fundedAccount('10000');
    acmeStarter = (await s.subscribe(acme, starter)).subscription.id; // 2400 x 11/24 = 1100
    acmeMini = (await s.subscribe(acme, mini)).subscription.id; // 1200 x 11/24 = 550
    const events = await moneyEvents(acme);
    const ledger = (await s.ledgerOf(acme)).filter((t) => t.kind === 'subscription_charge');
    expect(events.map((e) => [e.topic, e.payload.subscription_id, e.payload.reason, e.payload.amount, e.payload.balance])).toEqual([
      ['subscription.charged', acmeStarter, 'created', '1100', '8900'], // 10000 - 1100
      ['subscription.charged', acmeMini, 'created', '550', '8350'], // 8900 - 550
    ]);
    expect(events.map((e) => e.payload.transaction_id)).toEqual(ledger.map((t) => t.id));
    expect(events[0]!.payload).toMatchObject({ currency: 'EUR', period_start: '2026-11-02T00:00:00.000Z' });
  });

  it('a run writes one event per charged account, listing its charges, and one completion for the provider', async () => {
    poor = await s.fundedAccount('600');
    await s.subscribe(poor, mini); // 550 of 600: 50 left, the next day's 1200 does not fit

    const completedBefore = (await providerEvents('billing_run.completed')).length;
    const [run] = await s.advanceTo('2026-11-03T00:00:00Z');
    const charged = (await moneyEvents(acme)).filter((e) => e.payload.reason === 'billing_run');
    expect(charged).toHaveLength(1);
    const runTransaction = (await s.ledgerOf(acme)).find((t) => t.kind === 'billing_run')!;
    expect(charged[0]!.payload).toEqual({
      reason: 'billing_run',
      billing_run_id: run!.id,
      transaction_id: runTransaction.id,
      period_start: '2026-11-03T00:00:00.000Z',
      amount: '3600', // 2400 + 1200
      currency: 'EUR',
      balance: '4750', // 8350 - 3600
      charges: [
        { subscription_id: acmeStarter, amount: '2400' },
        { subscription_id: acmeMini, amount: '1200' },
      ],
    });
    expect(charged[0]!.created_at).toBe('2026-11-03T00:00:00.000Z');

    // Nothing was charged to the account that could not pay: it is suspended, with no charge event.
    expect((await moneyEvents(poor)).map((e) => e.payload.reason)).toEqual(['created']);
    expect((await s.eventsOf(poor, 'subscription.suspended')).map((e) => e.payload.amount)).toEqual(['1200']);

    const completed = await providerEvents('billing_run.completed');
    expect(completed).toHaveLength(completedBefore + 1);
    expect(completed.at(-1)).toMatchObject({
      account_id: null,
      payload: { billing_run_id: run!.id, boundary: '2026-11-03T00:00:00.000Z', billed: run!.billed, suspended: run!.suspended, total_charged: run!.total_charged },
    });
    // The provider's own event is not in any account's feed.
    expect((await s.eventsOf(acme)).some((e) => e.topic === 'billing_run.completed')).toBe(false);
  });

  it('a refund writes its own event; a run already completed writes nothing again', async () => {
    await s.expectStatus(201, 'POST', '/v1/services', { code: 'devices', name: 'Devices', unit: 'device' });
    const devices = await s.expectStatus<{ id: number }>(201, 'POST', '/v1/plans', {
      code: 'devices_events',
      name: 'Devices',
      kind: 'preset',
      cadence: 'daily',
      timing: 'in_advance',
      prices: [{ currency: 'EUR', definition: { base_price: '0', items: [{ service: 'devices', unit_price: '0.24', tier_mode: 'flat', included: 0, min: 0, max: null, default: 10, decrease: 'refund' }], quotas: {}, features: [] } }],
    });
    await s.advanceTo('2026-11-03T12:00:00Z');
    const subscription = (await s.subscribe(acme, devices.id)).subscription.id; // 10 x 24 = 240 a day, 12/24: 120
    const fewer = await s.expectStatus<{ amount: string }>(200, 'POST', `/v1/subscriptions/${subscription}/configure`, { quantities: { devices: 5 } }, { 'idempotency-key': 'fewer-devices' });
    expect(fewer.amount).toBe('-60'); // 5 fewer x 24 a day, for 12/24: 60 back
    const events = (await moneyEvents(acme)).filter((e) => e.payload.subscription_id === subscription);
    expect(events.map((e) => [e.topic, e.payload.reason, e.payload.amount])).toEqual([
      ['subscription.charged', 'created', '120'],
      ['subscription.refunded', 'configuration_change', '60'],
    ]);
    const refund = (await s.ledgerOf(acme)).find((t) => t.kind === 'subscription_refund')!;
    expect(events[1]!.payload.transaction_id).toBe(refund.id);

    // The 2026-11-03 run is done: moving the clock inside the day completes nothing again.
    expect((await providerEvents('billing_run.completed')).filter((e) => e.payload.boundary === '2026-11-03T00:00:00.000Z')).toHaveLength(1);
  });
});
