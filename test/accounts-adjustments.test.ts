// Operator balance adjustments: money in and out, idempotency, and low-balance warnings.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query } from '../src/db/client.js';
import { type Harness, startHarness } from './support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ clockStart: '2026-11-02T10:00:00Z' });
});
afterAll(() => h.close());

let keys = 0;
function adjust(id: number, direction: 'credit' | 'debit', amount: string, key = `adj-${++keys}`, reason = 'operator adjustment') {
  return h.call('POST', `/v1/accounts/${id}/adjustments`, { direction, amount, reason }, { 'idempotency-key': key });
}

async function open(body: Record<string, unknown> = {}): Promise<number> {
  const r = await h.call('POST', '/v1/accounts', { name: 'Adjusted', currency: 'EUR', ...body });
  expect(r.status).toBe(201);
  return r.body.id;
}

async function balance(id: number) {
  return (await h.call('GET', `/v1/accounts/${id}/balance`)).body;
}

async function events(id: number, topic?: string) {
  const r = await h.call('GET', `/v1/accounts/${id}/events${topic ? `?topic=${topic}` : ''}`);
  return r.body.data as { topic: string; payload: Record<string, unknown> }[];
}

describe('crediting and debiting', () => {
  it('a credit adds to the balance through one balanced ledger transaction', async () => {
    const id = await open();
    const r = await adjust(id, 'credit', '12500', 'first', 'bank transfer 2026-11-01');
    expect(r.status).toBe(201);
    expect(r.body).toEqual({
      transaction_id: expect.any(Number),
      account_id: id,
      direction: 'credit',
      amount: '12500',
      reason: 'bank transfer 2026-11-01',
      currency: 'EUR',
      balance: '12500', // 0 + 125.00
      available: '12500',
      resumed_subscription_ids: [],
      created_at: '2026-11-02T10:00:00.000Z',
    });
    const ledger = await h.call('GET', `/v1/accounts/${id}/ledger`);
    expect(ledger.body.data).toEqual([
      {
        id: r.body.transaction_id,
        kind: 'adjustment',
        description: 'bank transfer 2026-11-01',
        customer_amount: '12500',
        reverses_id: null,
        created_at: '2026-11-02T10:00:00.000Z',
        postings: [
          { ledger_account: 'customer', amount: '12500', subscription_id: null, billed_period_start: null, grant_id: null, service: null },
          { ledger_account: 'adjustments', amount: '-12500', subscription_id: null, billed_period_start: null, grant_id: null, service: null },
        ],
      },
    ]);
    const adjusted = await events(id, 'balance.adjusted');
    expect(adjusted.map((e) => e.payload)).toEqual([
      { account_id: id, transaction_id: r.body.transaction_id, direction: 'credit', amount: '12500', reason: 'bank transfer 2026-11-01', currency: 'EUR', balance: '12500' },
    ]);
  });

  it('a debit takes from the balance, down to exactly zero but not below without credit', async () => {
    const id = await open();
    await adjust(id, 'credit', '10000');
    expect((await adjust(id, 'debit', '2550')).body.balance).toBe('7450'); // 100.00 - 25.50
    const refused = await adjust(id, 'debit', '7451'); // one cent more than the 74.50 available
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ code: 'insufficient_funds', field: '/amount', available: '7450', currency: 'EUR' });
    expect((await adjust(id, 'debit', '7450')).body.balance).toBe('0'); // 74.50 - 74.50
    expect(await balance(id)).toEqual({ currency: 'EUR', balance: '0', grants: [], granted: '0', credit_limit: '0', credit_enabled: false, reserved: '0', available: '0', pending_top_ups: '0' });
    const ledger = (await h.call('GET', `/v1/accounts/${id}/ledger`)).body.data;
    expect(ledger.map((t: { customer_amount: string }) => t.customer_amount)).toEqual(['10000', '-2550', '-7450']);
  });

  it('a refused debit can be retried with the same key once funds arrive', async () => {
    const id = await open();
    expect((await adjust(id, 'debit', '500', 'retry-me')).status).toBe(422); // 0 available
    await adjust(id, 'credit', '500');
    const retried = await adjust(id, 'debit', '500', 'retry-me');
    expect(retried.status).toBe(201);
    expect(retried.body.balance).toBe('0'); // 5.00 - 5.00
  });
});

describe('the audit log', () => {
  it('records every adjustment as an operator action with who, what and the money, once even when replayed', async () => {
    const id = await open();
    await adjust(id, 'credit', '5000', 'audited-1', 'bank transfer 4711');
    await adjust(id, 'credit', '5000', 'audited-1', 'bank transfer 4711'); // replay: no second effect
    await adjust(id, 'debit', '1200', 'audited-2', 'correction');
    const log = (await h.call('GET', `/v1/audit?account_id=${id}&action=balance.`)).body.data as { action: string; actor_kind: string; data: Record<string, string> }[];
    expect(log.map((e) => [e.action, e.data.amount, e.data.reason])).toEqual([
      ['balance.debited', '1200', 'correction'], // newest first
      ['balance.credited', '5000', 'bank transfer 4711'],
    ]);
    expect(log.every((e) => e.actor_kind === 'provider_key')).toBe(true);
  });
});

describe('idempotency', () => {
  it('replays the first response for the same key and request, moving money once', async () => {
    const id = await open();
    const first = await adjust(id, 'credit', '4000', 'pay-1');
    const again = await adjust(id, 'credit', '4000', 'pay-1');
    expect(again.status).toBe(first.status);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect((await balance(id)).balance).toBe('4000'); // credited once, not 80.00
    expect((await h.call('GET', `/v1/accounts/${id}/ledger`)).body.data).toHaveLength(1);
    expect(await events(id, 'balance.adjusted')).toHaveLength(1);
  });

  it('refuses the same key with another request, and changes nothing', async () => {
    const id = await open();
    await adjust(id, 'credit', '4000', 'pay-2');
    const conflict = await adjust(id, 'credit', '4001', 'pay-2');
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({ code: 'idempotency_conflict', field: '/headers/idempotency-key' });
    expect((await balance(id)).balance).toBe('4000');
  });

  it('scopes keys to the account: the same key on another account is another request', async () => {
    const a = await open();
    const b = await open();
    expect((await adjust(a, 'credit', '100', 'shared-key')).status).toBe(201);
    expect((await adjust(b, 'credit', '100', 'shared-key')).status).toBe(201);
    expect([(await balance(a)).balance, (await balance(b)).balance]).toEqual(['100', '100']);
  });

  it('concurrent requests with one key move money once', async () => {
    const id = await open();
    const answers = await Promise.all([1, 2, 3, 4].map(() => adjust(id, 'credit', '250', 'race')));
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201]);
    expect(new Set(answers.map((a) => a.body.transaction_id)).size).toBe(1);
    expect((await balance(id)).balance).toBe('250');
  });
});

describe('low-balance warnings', () => {
  it('warns once per crossing of the amount threshold, then re-arms when funds reach it again', async () => {
    const id = await open({ low_balance_threshold: '1000', billing_emails: ['ops@x.example'] });
    await adjust(id, 'credit', '5000'); // 50.00: above 10.00, nothing
    expect(await events(id, 'balance.low')).toHaveLength(0);

    await adjust(id, 'debit', '4200'); // 50.00 - 42.00 = 8.00 < 10.00: first warning
    expect((await events(id, 'balance.low')).map((e) => e.payload)).toEqual([
      { account_id: id, currency: 'EUR', balance: '800', available: '800', threshold: '1000', billing_emails: ['ops@x.example'] },
    ]);
    expect((await h.call('GET', `/v1/accounts/${id}`)).body.low_balance_warned).toBe(true);

    await adjust(id, 'debit', '300'); // 8.00 - 3.00 = 5.00: still under, no second warning
    expect(await events(id, 'balance.low')).toHaveLength(1);

    await adjust(id, 'credit', '500'); // 5.00 + 5.00 = 10.00: at the threshold, re-armed
    expect((await h.call('GET', `/v1/accounts/${id}`)).body.low_balance_warned).toBe(false);
    expect(await events(id, 'balance.low')).toHaveLength(1);

    await adjust(id, 'debit', '1'); // 10.00 - 0.01 = 9.99: a new crossing, a second warning
    const warnings = await events(id, 'balance.low');
    expect(warnings).toHaveLength(2);
    expect(warnings[1]!.payload).toMatchObject({ available: '999', threshold: '1000' });
  });

  it('warns when a raised threshold puts the account under it', async () => {
    const id = await open();
    await adjust(id, 'credit', '2000'); // 20.00, no threshold yet
    const r = await h.call('PATCH', `/v1/accounts/${id}`, { low_balance_threshold: '2500' }); // 20.00 < 25.00
    expect(r.body.low_balance_warned).toBe(true);
    expect((await events(id, 'balance.low')).map((e) => e.payload.available)).toEqual(['2000']);
    const lowered = await h.call('PATCH', `/v1/accounts/${id}`, { low_balance_threshold: '1500' }); // 20.00 >= 15.00: re-armed
    expect(lowered.body.low_balance_warned).toBe(false);
  });

  it('measures a days threshold against the current daily spend of active subscriptions', async () => {
    const id = await open({ low_balance_threshold_days: 3 });
    // Subscriptions belong to another domain; rows are written directly to give the account a spend.
    await query(
      h.kassa.db,
      sql`insert into subscriptions (account_id, plan_id, plan_version_id, status, cadence, timing, anchor_day, quantities, period_amount, created_at, status_changed_at)
          values (${id}, 1, 1, 'active', 'daily', 'in_advance', 2, '{}', 150, now(), now()),
                 (${id}, 1, 1, 'active', 'monthly', 'in_advance', 2, '{}', 3650, now(), now()),
                 (${id}, 1, 1, 'suspended', 'daily', 'in_advance', 2, '{}', 99900, now(), now())`,
    );
    // Spend per day: 1.50 + 36.50 x 12 / 365 = 1.50 + 1.20 = 2.70 (the suspended one does not run).
    // Threshold: 3 days x 2.70 = 8.10 EUR = 810.
    await adjust(id, 'credit', '810'); // 8.10: not under 8.10
    expect(await events(id, 'balance.low')).toHaveLength(0);
    await adjust(id, 'debit', '1'); // 8.09 < 8.10
    expect((await events(id, 'balance.low')).map((e) => e.payload)).toEqual([
      { account_id: id, currency: 'EUR', balance: '809', available: '809', threshold: '810', billing_emails: [] },
    ]);
  });
});
