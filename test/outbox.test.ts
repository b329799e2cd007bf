// The event feed: per account and across accounts, with topic filters and cursors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './support/harness.js';

let h: Harness;
let a: number;
let b: number;
beforeAll(async () => {
  h = await startHarness({ clockStart: '2026-11-02T00:00:00Z' });
  a = (await h.call('POST', '/v1/accounts', { name: 'A', currency: 'EUR', low_balance_threshold: '1000' })).body.id;
  b = (await h.call('POST', '/v1/accounts', { name: 'B', currency: 'USD' })).body.id;
  await h.call('POST', `/v1/accounts/${a}/adjustments`, { direction: 'credit', amount: '500', reason: 'x' }, { 'idempotency-key': 'e1' }); // 5.00 < 10.00: balance.low
  await h.call('POST', `/v1/accounts/${b}/adjustments`, { direction: 'credit', amount: '700', reason: 'y' }, { 'idempotency-key': 'e2' });
});
afterAll(() => h.close());

const topics = (r: { body: { data: { topic: string }[] } }) => r.body.data.map((e) => e.topic);

describe("an account's events", () => {
  // In the order things happened: the credit, then what it left the balance at.
  it('lists them in order, filtered by topic on request', async () => {
    const all = await h.call('GET', `/v1/accounts/${a}/events`);
    expect(topics(all)).toEqual(['account.created', 'balance.adjusted', 'balance.low']);
    expect(all.body.data[0]).toEqual({ id: expect.any(Number), account_id: a, topic: 'account.created', payload: { account_id: a, name: 'A', currency: 'EUR', type: 'trial' }, created_at: '2026-11-02T00:00:00.000Z' });
    expect(topics(await h.call('GET', `/v1/accounts/${a}/events?topic=balance.low`))).toEqual(['balance.low']);
  });

  it('pages by cursor', async () => {
    const first = await h.call('GET', `/v1/accounts/${a}/events?limit=2`);
    const second = await h.call('GET', `/v1/accounts/${a}/events?limit=2&cursor=${first.body.next_cursor}`);
    expect([...topics(first), ...topics(second)]).toEqual(['account.created', 'balance.adjusted', 'balance.low']);
    expect(second.body.next_cursor).toBeNull();
  });
});

describe('the provider feed', () => {
  it('lists every account, or one account and one topic', async () => {
    const all = await h.call('GET', '/v1/events');
    expect(all.body.data.map((e: { account_id: number; topic: string }) => `${e.account_id}:${e.topic}`)).toEqual([
      `${a}:account.created`,
      `${b}:account.created`,
      `${a}:balance.adjusted`,
      `${a}:balance.low`,
      `${b}:balance.adjusted`,
    ]);
    const onlyB = await h.call('GET', `/v1/events?account_id=${b}&topic=balance.adjusted`);
    expect(onlyB.body.data.map((e: { payload: { amount: string } }) => e.payload.amount)).toEqual(['700']);
  });

  it('refuses a malformed filter', async () => {
    const r = await h.call('GET', '/v1/events?topic=DROP%20TABLE');
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 'validation_failed', field: '/querystring/topic' });
  });
});

describe('the API document', () => {
  it('documents every accounts, ledger and events route with its errors', async () => {
    const doc = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const routes: [string, string, string[]][] = [
      ['/v1/accounts', 'post', ['201', '400', '409']],
      ['/v1/accounts', 'get', ['200', '400']],
      ['/v1/accounts/{id}', 'get', ['200', '404']],
      ['/v1/accounts/{id}', 'patch', ['200', '404', '422']],
      ['/v1/accounts/{id}/balance', 'get', ['200', '404']],
      ['/v1/accounts/{id}/adjustments', 'post', ['201', '404', '409', '422']],
      ['/v1/accounts/{id}/ledger', 'get', ['200', '404']],
      ['/v1/accounts/{id}/events', 'get', ['200', '404']],
      ['/v1/events', 'get', ['200', '400']],
    ];
    for (const [path, method, statuses] of routes) {
      const operation = doc.paths[path]?.[method];
      expect(operation, `${method} ${path}`).toBeDefined();
      expect(operation.summary).toBeTruthy();
      expect(operation.tags.length).toBeGreaterThan(0);
      for (const status of statuses) expect(operation.responses[status], `${method} ${path} ${status}`).toBeDefined();
    }
  });
});
