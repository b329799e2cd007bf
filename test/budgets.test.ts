// Budgets (SPEC 4, issue 17 item 5): spend limits the customer sets per day or month, for the
// account, one plan or one metered service, told at chosen shares once per crossing, or stopping the
// service once reached. Through the HTTP API on the simulated clock; amounts are integer minor
// units of EUR; the clock starts at 2027-05-03T08:00:00Z.
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { mails } from '../src/db/schema.js';
import { queueNotices } from '../src/notifications/notifier.js';
import { billingScenario } from './support/scenario.js';

const s = billingScenario('2027-05-03T08:00:00Z');
let keys = 0;
const key = () => ({ 'idempotency-key': `budgets-${++keys}` });
let events = 0;

interface Budget {
  id: number;
  service: string | null;
  period: string;
  amount: string;
  action: string;
  notify_at: number[];
  period_start: string;
  spent: string;
  notified: number[];
  reached: boolean;
}

const setBudget = (accountId: number, body: Record<string, unknown>) => s.expectStatus<Budget>(201, 'POST', `/v1/accounts/${accountId}/budgets`, body);
const budgetsOf = async (accountId: number) => (await s.expectStatus<{ data: Budget[] }>(200, 'GET', `/v1/accounts/${accountId}/budgets`)).data;
const sms = async (accountId: number, quantity: number, at: string) => {
  await s.expectStatus(200, 'POST', '/v1/usage/events', { id: `sms-${++events}`, account_id: accountId, meter: 'sms', quantity, timestamp: at });
  await s.kassa().background.settled(); // rated just after the answer
};
const told = async (accountId: number) => (await s.eventsOf(accountId)).filter((e) => e.topic.startsWith('budget.')).map((e) => [e.topic, e.payload.share ?? null, e.payload.spent]);

let texting: number;
let hosting: number;

describe('budgets', () => {
  it('sets up SMS at 0.10 each and a 1.00/day hosting plan', async () => {
    await s.expectStatus(201, 'POST', '/v1/services', { code: 'sms', name: 'SMS', unit: 'message', meter: { aggregation: 'sum' } });
    await s.expectStatus(201, 'POST', '/v1/services', { code: 'seats', name: 'Seats', unit: 'seat' });
    texting = (await s.expectStatus<{ id: number }>(201, 'POST', '/v1/plans', { code: 'texting', name: 'Texting', kind: 'preset', cadence: 'monthly', timing: 'in_advance', prices: [{ currency: 'EUR', definition: { base_price: '0', meters: [{ meter: 'sms', unit_price: '0.10' }] } }] })).id;
    hosting = await s.createPlan('1.00', { features: ['api'] });
  });

  it('tells 80% of a daily SMS budget once, stops the meter at 100%, and starts afresh the next day', async () => {
    const account = await s.fundedAccount('10000', { billing_emails: ['billing@texter.test'] });
    await s.subscribe(account, texting);
    const budget = await setBudget(account, { period: 'day', amount: '500', service: 'sms', action: 'stop', notify_at: [80] });
    expect(budget).toMatchObject({ service: 'sms', period: 'day', amount: '500', period_start: '2027-05-03', spent: '0', notified: [], reached: false });

    await sms(account, 30, '2027-05-03T08:00:00Z'); // 30 x 10 = 300: 60%
    expect(await told(account)).toEqual([]);
    await sms(account, 10, '2027-05-03T08:00:00Z'); // 400: 80% of 500, told once
    expect(await told(account)).toEqual([['budget.threshold_crossed', 80, '400']]);
    expect(await s.entitlement(account, 'sms')).toMatchObject({ allowed: true });

    // A reservation of 20 more (200) would pass the 500 - 400 = 100 left: refused, nothing held.
    const refused = await s.call<{ code: string; left: string }>('POST', `/v1/accounts/${account}/reservations`, { meter: 'sms', quantity: '20' }, key());
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ code: 'budget_reached', left: '100' });
    expect((await s.account(account)).available).toBe(String(10_000 - 400));

    await sms(account, 10, '2027-05-03T08:00:00Z'); // 500: reached, the meter stops
    expect(await told(account)).toEqual([['budget.threshold_crossed', 80, '400'], ['budget.reached', null, '500']]);
    expect(await s.entitlement(account, 'sms')).toMatchObject({ allowed: false, reason: 'budget_reached' });
    expect(await budgetsOf(account)).toMatchObject([{ spent: '500', notified: [80], reached: true }]);

    // Each is mailed to the billing address once.
    await queueNotices(s.kassa(), s.kassa().clock.now());
    const sent = await s.kassa().db.select().from(mails).where(and(eq(mails.accountId, account), eq(mails.to, 'billing@texter.test'))).orderBy(mails.id);
    expect(sent.filter((m) => m.template.startsWith('budget_')).map((m) => [m.subject, m.text])).toEqual([
      ['80% of your budget for sms on Acme spent', '4.00 EUR of your 5.00 EUR budget for sms on Acme is spent on 2027-05-03 (80%). When it is all spent, the service stops until the period ends.\n'],
      ['Budget reached: sms on Acme stopped', 'Your 5.00 EUR budget for sms on Acme is spent on 2027-05-03 (5.00 EUR), so the service is stopped until the period ends. Raise or remove the budget to start it again at once.\n'],
    ]);

    // Usage sent anyway already happened: charged, told no second time.
    await sms(account, 5, '2027-05-03T08:00:00Z'); // 550
    expect((await s.account(account)).balance).toBe(String(10_000 - 550));
    expect(await told(account)).toHaveLength(2);

    // The next day: nothing spent yet, the meter on again, every share armed again.
    await s.advanceTo('2027-05-04T00:30:00Z');
    expect(await s.entitlement(account, 'sms')).toMatchObject({ allowed: true });
    expect(await budgetsOf(account)).toMatchObject([{ period_start: '2027-05-04', spent: '0', notified: [], reached: false }]);
    await sms(account, 40, '2027-05-04T00:30:00Z'); // 400 again: 80%, told again
    expect((await told(account)).at(-1)).toEqual(['budget.threshold_crossed', 80, '400']);
  });

  it('suspends the subscriptions at their next charge once an account-wide monthly budget is reached; a change never touches a charge', async () => {
    const account = await s.fundedAccount('10000');
    await s.subscribe(account, hosting); // from 00:30: 23.5/24 x 100 = 97.9 -> 98
    const budget = await setBudget(account, { period: 'month', amount: '300', action: 'stop', notify_at: [50] });
    expect(budget).toMatchObject({ service: null, period_start: '2027-05-01', spent: '98', reached: false });

    await s.advanceTo('2027-05-05T00:00:00Z'); // 98 + 100 = 198: past 50% of 300 (150)
    expect(await told(account)).toEqual([['budget.threshold_crossed', 50, '198']]);
    await s.advanceTo('2027-05-06T00:00:00Z'); // 298
    await s.advanceTo('2027-05-07T00:00:00Z'); // the run pays the day, 398: reached
    expect((await told(account)).at(-1)).toEqual(['budget.reached', null, '398']);
    expect(await s.entitlement(account, 'api')).toMatchObject({ allowed: false, reason: 'budget_reached' });

    const [subscription] = (await s.expectStatus<{ data: { id: number }[] }>(200, 'GET', `/v1/accounts/${account}/subscriptions`)).data;
    await s.advanceTo('2027-05-08T00:00:00Z'); // the next charge: suspended, nothing charged
    expect(await s.subscription(subscription!.id)).toMatchObject({ status: 'suspended' });
    const balance = (await s.account(account)).balance;
    expect(balance).toBe(String(10_000 - 398));

    // While it stands, nothing new is charged: a new subscription, or enabling this one, is refused.
    const another = await s.call<{ code: string; budget_id: number }>('POST', `/v1/accounts/${account}/subscriptions`, { plan_id: hosting }, key());
    expect(another).toMatchObject({ status: 422, body: { code: 'budget_reached', budget_id: budget.id } });
    expect((await s.change(subscription!.id, 'enable')).body).toMatchObject({ code: 'budget_reached' });

    // Raising the limit charges and refunds nothing; the service may run again.
    const raised = await s.expectStatus<Budget>(200, 'PATCH', `/v1/accounts/${account}/budgets/${budget.id}`, { amount: '1000' });
    expect(raised).toMatchObject({ amount: '1000', spent: '398', reached: false });
    expect((await s.account(account)).balance).toBe(balance);
    expect(await s.entitlement(account, 'api')).not.toMatchObject({ reason: 'budget_reached' });
    await s.enable(subscription!.id); // the rest of 8 May, paid now
    expect(await s.subscription(subscription!.id)).toMatchObject({ status: 'active' });

    // Removed: nothing left to stop it; the list is empty.
    const removed = await s.call('DELETE', `/v1/accounts/${account}/budgets/${budget.id}`);
    expect(removed.status).toBe(204);
    expect(await budgetsOf(account)).toEqual([]);
  });

  it("stops one plan at its own monthly budget: suspended at its next charge, what only it gives turned off, the other plan running on", async () => {
    const account = await s.fundedAccount('10000');
    const backup = await s.createPlan('0.50', { features: ['backups'] });
    const backupCode = (await s.expectStatus<{ code: string }>(200, 'GET', `/v1/plans/${backup}`)).code;
    // From 00:00 on 8 May: a whole day of each, hosting 100 and backup 50.
    const running = (await s.subscribe(account, hosting)).subscription.id;
    const stopped = (await s.subscribe(account, backup)).subscription.id;
    const budget = await setBudget(account, { period: 'month', amount: '120', service: backupCode, action: 'stop', notify_at: [80] });
    expect(budget).toMatchObject({ service: backupCode, spent: '50', reached: false }); // hosting's 100 is not the plan's

    await s.advanceTo('2027-05-09T00:00:00Z'); // backup 50 + 50 = 100: past 80% of 120 (96)
    await s.advanceTo('2027-05-10T00:00:00Z'); // 150: reached
    expect(await told(account)).toEqual([
      ['budget.threshold_crossed', 80, '100'],
      ['budget.reached', null, '150'],
    ]);
    expect(await s.entitlement(account, 'backups')).toMatchObject({ allowed: false, reason: 'budget_reached' });
    expect(await s.entitlement(account, 'api')).toMatchObject({ allowed: true }); // hosting gives it still

    await s.advanceTo('2027-05-11T00:00:00Z'); // backup's next charge: suspended, nothing charged; hosting 100
    expect(await s.subscription(stopped)).toMatchObject({ status: 'suspended' });
    expect(await s.subscription(running)).toMatchObject({ status: 'active' });
    expect((await s.account(account)).balance).toBe(String(10_000 - 3 * (100 + 50) - 100)); // 9450
    const again = await s.call<{ code: string; budget_id: number }>('POST', `/v1/accounts/${account}/subscriptions`, { plan_id: backup }, key());
    expect(again).toMatchObject({ status: 422, body: { code: 'budget_reached', budget_id: budget.id } });

    // The billing history shows each plan under its own code, as the budget counts it.
    const history = await s.expectStatus<{ data: { channel: string; amount: string }[] }>(200, 'GET', `/v1/accounts/${account}/billing-history?from=2027-05-01&to=2027-05-31&granularity=month`);
    expect(Object.fromEntries(history.data.map((r) => [r.channel, r.amount]))).toEqual({ [backupCode]: '150', [(await s.expectStatus<{ code: string }>(200, 'GET', `/v1/plans/${hosting}`)).code]: '400' });
    await s.expectLedgerConsistent(account);
  });

  it('refuses bad budgets with the field at fault, and changes nothing', async () => {
    const account = await s.fundedAccount('1000');
    const cases: [Record<string, unknown>, number, string, string][] = [
      [{ period: 'week', amount: '100', action: 'stop' }, 400, 'validation_failed', '/period'],
      [{ period: 'day', amount: '0', action: 'stop' }, 400, 'amount_out_of_range', '/amount'],
      [{ period: 'day', amount: '1.5', action: 'stop' }, 400, 'validation_failed', '/amount'],
      [{ period: 'day', amount: '100', action: 'halt' }, 400, 'validation_failed', '/action'],
      [{ period: 'day', amount: '100', action: 'notify', notify_at: [0] }, 400, 'validation_failed', '/notify_at/0'],
      [{ period: 'day', amount: '100', action: 'notify', notify_at: [101] }, 400, 'validation_failed', '/notify_at/0'],
      [{ period: 'day', amount: '100', action: 'stop', service: 'faxes' }, 400, 'validation_failed', '/service'],
      [{ period: 'day', amount: '100', action: 'stop', service: 'seats' }, 400, 'validation_failed', '/service'], // a plan item, charged with its plan
    ];
    for (const [body, status, code, field] of cases) {
      const refused = await s.call<{ code: string; field: string }>('POST', `/v1/accounts/${account}/budgets`, body);
      expect(refused.status, JSON.stringify(body)).toBe(status);
      expect(refused.body, JSON.stringify(body)).toMatchObject({ code, field });
    }
    await setBudget(account, { period: 'day', amount: '100', action: 'notify', notify_at: [50] });
    const twice = await s.call('POST', `/v1/accounts/${account}/budgets`, { period: 'day', amount: '200', action: 'stop' });
    expect(twice).toMatchObject({ status: 409, body: { code: 'already_exists' } });
    expect(await budgetsOf(account)).toMatchObject([{ amount: '100', action: 'notify' }]);
    expect((await s.call('PATCH', `/v1/accounts/${account}/budgets/999999`, { amount: '5' })).status).toBe(404);
    expect((await s.call('DELETE', `/v1/accounts/${account}/budgets/999999`)).status).toBe(404);
    expect((await s.call('GET', '/v1/accounts/999999/budgets')).status).toBe(404);
  });
});
