// Accounts through the HTTP API: opening, reading, listing and financial settings.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordPurchase } from '../src/accounts/purchases.js';
import { query } from '../src/db/client.js';
import { type Harness, startHarness } from './support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ clockStart: '2026-11-02T00:00:00Z' });
});
afterAll(() => h.close());

let keys = 0;
const adjust = (id: number, direction: 'credit' | 'debit', amount: string) =>
  h.call('POST', `/v1/accounts/${id}/adjustments`, { direction, amount, reason: 'test' }, { 'idempotency-key': `acc-${++keys}` });

describe('opening an account', () => {
  it('creates a trial account in its currency with an empty balance', async () => {
    const r = await h.call('POST', '/v1/accounts', { name: 'Acme GmbH', currency: 'EUR', external_ref: 'crm-1', billing_emails: ['billing@acme.example'] });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({
      id: expect.any(Number),
      name: 'Acme GmbH',
      external_ref: 'crm-1',
      currency: 'EUR',
      type: 'trial',
      status: 'active',
      status_reason: null,
      balance: '0',
      credit_enabled: false,
      credit_limit: '0',
      reserved: '0',
      available: '0',
      low_balance_threshold: null,
      low_balance_threshold_days: null,
      low_balance_warned: false,
      billing_emails: ['billing@acme.example'],
      created_at: '2026-11-02T00:00:00.000Z',
    });
    const read = await h.call('GET', `/v1/accounts/${r.body.id}`);
    expect(read.body).toEqual(r.body);
    const events = await h.call('GET', `/v1/accounts/${r.body.id}/events`);
    expect(events.body.data.map((e: { topic: string }) => e.topic)).toEqual(['account.created']);
  });

  it('opens a billing account with settings when asked', async () => {
    const r = await h.call('POST', '/v1/accounts', { name: 'Yen Co', currency: 'JPY', type: 'billing', credit_enabled: true, low_balance_threshold: '500', low_balance_threshold_days: 7 });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ type: 'billing', currency: 'JPY', credit_enabled: true, credit_limit: '0', low_balance_threshold: '500', low_balance_threshold_days: 7 });
  });

  it('refuses a second account with the same external_ref', async () => {
    const before = await countAccounts();
    const r = await h.call('POST', '/v1/accounts', { name: 'Acme again', currency: 'EUR', external_ref: 'crm-1' });
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ code: 'already_exists', field: '/external_ref' });
    expect(await countAccounts()).toBe(before);
  });
});

describe('listing accounts', () => {
  it('pages through accounts by cursor and finds one by external_ref', async () => {
    for (const name of ['L1', 'L2', 'L3']) await h.call('POST', '/v1/accounts', { name, currency: 'USD' });
    const total = await countAccounts();
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const r: { status: number; body: { data: { id: number }[]; next_cursor: string | null } } = await h.call('GET', `/v1/accounts?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(r.status).toBe(200);
      expect(r.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...r.body.data.map((a) => a.id));
      cursor = r.body.next_cursor;
    } while (cursor);
    expect(seen).toHaveLength(total);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    const byRef = await h.call('GET', '/v1/accounts?external_ref=crm-1');
    expect(byRef.body.data.map((a: { name: string }) => a.name)).toEqual(['Acme GmbH']);
  });
});

describe('financial settings', () => {
  it('changes name, thresholds and billing e-mails, and clears a threshold with null', async () => {
    const id = await newAccount('EUR');
    const r = await h.call('PATCH', `/v1/accounts/${id}`, { name: 'Renamed', low_balance_threshold: '2500', billing_emails: ['a@x.example', 'b@x.example'] });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ name: 'Renamed', low_balance_threshold: '2500', billing_emails: ['a@x.example', 'b@x.example'] });
    const cleared = await h.call('PATCH', `/v1/accounts/${id}`, { low_balance_threshold: null });
    expect(cleared.body).toMatchObject({ name: 'Renamed', low_balance_threshold: null });
  });

  it('enabling credit computes the limit from the trailing 12 months of purchases', async () => {
    const id = await newAccount('EUR');
    // 2025-11 is 12 months before 2026-11 counted inclusively, so it falls out; 2025-12 counts.
    await recordPurchase(h.kassa.db, id, 900_000n, new Date('2025-11-15T00:00:00Z'));
    await recordPurchase(h.kassa.db, id, 120_000n, new Date('2025-12-15T00:00:00Z'));
    await recordPurchase(h.kassa.db, id, 80_000n, new Date('2026-10-02T00:00:00Z'));
    const r = await h.call('PATCH', `/v1/accounts/${id}`, { credit_enabled: true });
    expect(r.status).toBe(200);
    // (1200.00 + 800.00) x 10% = 200.00 EUR, under the 1000.00 cap
    expect(r.body).toMatchObject({ credit_enabled: true, credit_limit: '20000', balance: '0', available: '20000' });
    expect((await h.call('GET', `/v1/accounts/${id}/balance`)).body).toEqual({ currency: 'EUR', balance: '0', grants: [], granted: '0', credit_limit: '20000', credit_enabled: true, reserved: '0', available: '20000', pending_top_ups: '0' });
  });

  it('refuses to turn credit off while the balance is negative, and allows it once repaid', async () => {
    const id = await newAccount('EUR');
    await recordPurchase(h.kassa.db, id, 50_000n, new Date('2026-10-02T00:00:00Z'));
    await h.call('PATCH', `/v1/accounts/${id}`, { credit_enabled: true }); // limit 500.00 x 10% = 50.00
    expect((await adjust(id, 'debit', '3000')).status).toBe(201); // 0 - 30.00 = -30.00, inside the 50.00 credit
    const refused = await h.call('PATCH', `/v1/accounts/${id}`, { credit_enabled: false, name: 'Not applied' });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ code: 'credit_in_use', field: '/credit_enabled', balance: '-3000', currency: 'EUR' });
    // Nothing of the refused PATCH was applied, not even the name.
    expect((await h.call('GET', `/v1/accounts/${id}`)).body).toMatchObject({ credit_enabled: true, name: 'acct EUR', balance: '-3000' });
    expect((await adjust(id, 'credit', '3000')).body.balance).toBe('0'); // -30.00 + 30.00
    const allowed = await h.call('PATCH', `/v1/accounts/${id}`, { credit_enabled: false });
    expect(allowed.status).toBe(200);
    // The computed limit stays visible but is no longer usable: available = balance.
    expect(allowed.body).toMatchObject({ credit_enabled: false, credit_limit: '5000', balance: '0', available: '0' });
  });
});

async function newAccount(currency: string): Promise<number> {
  const r = await h.call('POST', '/v1/accounts', { name: `acct ${currency}`, currency });
  expect(r.status).toBe(201);
  return r.body.id;
}

async function countAccounts(): Promise<number> {
  const [row] = await query<{ n: bigint }>(h.kassa.db, sql`select count(*) as n from accounts`);
  return Number(row!.n);
}
