// Seats that follow what the product reports created (SPEC 6, seed 002, issue 8): a plan item
// marked `follows_count` takes the object count of its service as its quantity. A user created
// above the period's paid high-water mark is charged at once, prorated to the period end; a
// deleted one refunds nothing, and one created again up to the mark costs nothing; the next
// period is charged for the users that exist then, or the minimum. Amounts are integer minor
// units of EUR; the simulated clock starts at 2026-11-01T00:00:00Z, and November has 30 days.
import { describe, expect, it } from 'vitest';
import { billingScenario } from './support/scenario.js';

const s = billingScenario('2026-11-01T00:00:00Z');
const reportUsers = (accountId: number, users: number) => s.expectStatus<{ seats: { subscription_id: number; quantities: Record<string, { from: number; to: number }>; charged: string }[] }>(200, 'PUT', `/v1/accounts/${accountId}/object-counts`, { counts: { users } });

describe('seats that follow the object count', () => {
  it('charge a user above the paid mark at once, never twice in a period, and the next period for those that exist', async () => {
    await s.expectStatus(201, 'POST', '/v1/services', { code: 'users', name: 'Users', unit: 'user' });
    const plan = await s.expectStatus<{ id: number }>(201, 'POST', '/v1/plans', {
      code: 'telephony',
      name: 'Telephony',
      kind: 'preset',
      cadence: 'monthly',
      timing: 'in_advance',
      prices: [{ currency: 'EUR', definition: { base_price: '10.00', items: [{ service: 'users', unit_price: '5.00', included: 2, min: 2, max: 50, default: 2, decrease: 'none', follows_count: true }] } }],
    });
    const acme = await s.fundedAccount('10000');
    const subscription = (await s.subscribe(acme, plan.id)).subscription.id; // November: 10.00, 2 users included
    expect(await s.entitlement(acme, 'users')).toMatchObject({ allowed: true, limit: 50 });

    await s.advanceTo('2026-11-11T00:00:00Z');
    const added = await reportUsers(acme, 4);
    // 2 users above the 2 paid, 5.00 each for 20 of November's 30 days: 10.00 x 20/30 = 6.67
    expect(added.seats).toEqual([{ subscription_id: subscription, quantities: { users: { from: 2, to: 4 } }, charged: '667' }]);

    await s.advanceTo('2026-11-16T00:00:00Z');
    expect((await reportUsers(acme, 3)).seats).toMatchObject([{ quantities: { users: { from: 4, to: 3 } }, charged: '0' }]); // deleted: no refund
    await s.advanceTo('2026-11-21T00:00:00Z');
    expect((await reportUsers(acme, 4)).seats).toMatchObject([{ quantities: { users: { from: 3, to: 4 } }, charged: '0' }]); // up to the paid mark: free
    expect((await reportUsers(acme, 5)).seats).toMatchObject([{ quantities: { users: { from: 4, to: 5 } }, charged: '167' }]); // 5.00 x 10/30 = 1.67

    await s.advanceTo('2026-12-01T01:00:00Z');
    const charges = await s.chargesOf(acme, subscription);
    // December: 10.00 + 3 users above the 2 included x 5.00 = 25.00
    expect(charges.at(-1)).toEqual(['2026-12-01T00:00:00.000Z', '2500']);
    expect(await s.balanceOf(acme)).toBe('5666'); // 10000 - 1000 - 667 - 167 - 2500

    // fewer than the minimum: the plan's 2 stay paid (no refund), and January is 10.00
    expect((await reportUsers(acme, 1)).seats).toMatchObject([{ quantities: { users: { from: 5, to: 2 } }, charged: '0' }]);
    await s.advanceTo('2027-01-01T01:00:00Z');
    expect((await s.chargesOf(acme, subscription)).at(-1)).toEqual(['2027-01-01T00:00:00.000Z', '1000']);
  });

  it('refuses a plan whose counted item would refund a decrease', async () => {
    const refused = await s.call('POST', '/v1/plans', {
      code: 'bad_seats',
      name: 'Bad',
      kind: 'preset',
      cadence: 'monthly',
      timing: 'in_advance',
      prices: [{ currency: 'EUR', definition: { items: [{ service: 'users', unit_price: '1', follows_count: true }] } }],
    });
    expect(refused.body).toMatchObject({ status: 400, code: 'validation_failed', field: '/prices/0/definition/items/0/decrease' });
  });
});
