// Object counts (SPEC 7, 11): gauges the provider's product reports, checked against quotas.
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockAccount } from '../src/accounts/lock.js';
import type { Db } from '../src/db/client.js';
import { accounts, mails, outbox, planVersions, plans } from '../src/db/schema.js';
import { queueNotices } from '../src/notifications/notifier.js';
import { postLedgerTransaction } from '../src/ledger/post.js';
import { type Harness, startHarness } from './support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ clockStart: '2026-11-02T09:00:00Z' });
});
afterAll(() => h.close());

let made = 0;
async function accountWithPlan(quotas: Record<string, number>): Promise<{ accountId: number; subscriptionId: number }> {
  const [plan] = await h.kassa.db.insert(plans).values({ code: `counted_${++made}`, name: 'Counted', kind: 'preset', cadence: 'daily', timing: 'in_advance', createdAt: new Date('2026-01-01') }).returning();
  await h.kassa.db.insert(planVersions).values({ planId: plan!.id, version: 1, currency: 'EUR', effectiveFrom: new Date('2026-01-01'), definition: { base_price: '1', items: [], quotas, features: [] }, createdAt: new Date('2026-01-01') });
  const [account] = await h.kassa.db.insert(accounts).values({ name: 'Acme', currency: 'EUR', createdAt: new Date('2026-11-01') }).returning();
  await h.kassa.db.transaction(async (txn) => {
    const tx = txn as unknown as Db;
    await lockAccount(tx, account!.id);
    await postLedgerTransaction(tx, { accountId: account!.id, kind: 'adjustment', description: 'test credit', at: h.kassa.clock.now(), postings: [{ ledgerAccount: 'customer', amount: 10000n }, { ledgerAccount: 'adjustments', amount: -10000n }] });
  });
  const created = await h.call('POST', `/v1/accounts/${account!.id}/subscriptions`, { plan_id: plan!.id }, { 'idempotency-key': `counted-${made}` });
  expect(created.status).toBe(201);
  return { accountId: account!.id, subscriptionId: created.body.subscription.id };
}

const put = (accountId: number, counts: Record<string, unknown>) => h.call('PUT', `/v1/accounts/${accountId}/object-counts`, { counts });
const overLimitEvents = (accountId: number) => h.kassa.db.select().from(outbox).where(and(eq(outbox.accountId, accountId), eq(outbox.topic, 'object_count.over_limit')));

describe('object counts', () => {
  it('a report replaces each metric it names and leaves the others; reading returns the latest values', async () => {
    const { accountId } = await accountWithPlan({});
    expect((await put(accountId, { sites: 3, users: 12 })).status).toBe(200);
    const r = await put(accountId, { sites: 4 });
    expect(r.body).toEqual({ account_id: accountId, counts: { sites: 4, users: 12 }, over_limit: [], seats: [] });
    expect((await h.call('GET', `/v1/accounts/${accountId}/object-counts`)).body).toEqual({ account_id: accountId, counts: { sites: 4, users: 12 } });
  });

  it.each([
    ['a negative count', { sites: -1 }],
    ['a fractional count', { sites: 1.5 }],
    ['a count that is not a number', { sites: 'many' }],
    ['a metric name that is not a code', { 'Sites!': 3 }],
  ])('refuses %s and changes nothing', async (_name, counts) => {
    const { accountId } = await accountWithPlan({});
    await put(accountId, { sites: 2 });
    const r = await put(accountId, counts);
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('validation_failed');
    expect((await h.call('GET', `/v1/accounts/${accountId}/object-counts`)).body.counts).toEqual({ sites: 2 });
  });

  it('going over an active plan quota notifies the account once per crossing', async () => {
    const { accountId } = await accountWithPlan({ contacts: 100 });
    expect((await put(accountId, { contacts: 100 })).body.over_limit).toEqual([]); // at the limit is not over it
    expect((await put(accountId, { contacts: 101 })).body.over_limit).toEqual([{ metric: 'contacts', limit: 100, count: 101 }]);
    expect((await put(accountId, { contacts: 150 })).body.over_limit).toEqual([]); // still over: same crossing
    await put(accountId, { contacts: 90 });
    expect((await put(accountId, { contacts: 120 })).body.over_limit).toHaveLength(1); // a new crossing
    const events = await overLimitEvents(accountId);
    expect(events.map((e) => e.payload)).toEqual([
      expect.objectContaining({ metric: 'contacts', limit: 100, count: 101 }),
      expect.objectContaining({ metric: 'contacts', limit: 100, count: 120 }),
    ]);
    // Each crossing is mailed to the account's billing addresses once (seed 004: contacts over-limit).
    await h.kassa.db.update(accounts).set({ billingEmails: ['billing@counted.test'] }).where(eq(accounts.id, accountId));
    await queueNotices(h.kassa, h.kassa.clock.now());
    await queueNotices(h.kassa, h.kassa.clock.now());
    const sent = await h.kassa.db.select().from(mails).where(and(eq(mails.accountId, accountId), eq(mails.template, 'over_limit'))).orderBy(mails.id);
    expect(sent.map((m) => [m.to, m.subject])).toEqual([
      ['billing@counted.test', 'Acme is over its contacts limit'],
      ['billing@counted.test', 'Acme is over its contacts limit'],
    ]);
    expect(sent.map((m) => m.text)).toEqual([expect.stringContaining('Acme has 101 contacts, over the 100 its plan allows'), expect.stringContaining('Acme has 120 contacts')]);
  });

  it('a quota of a disabled subscription notifies nothing', async () => {
    const { accountId, subscriptionId } = await accountWithPlan({ contacts: 100 });
    await h.call('POST', `/v1/subscriptions/${subscriptionId}/disable`, {}, { 'idempotency-key': `disable-${subscriptionId}` });
    expect((await put(accountId, { contacts: 500 })).body.over_limit).toEqual([]);
    expect(await overLimitEvents(accountId)).toHaveLength(0);
  });

  it('answers 404 for an account that does not exist', async () => {
    expect((await put(424242, { sites: 1 })).status).toBe(404);
    expect((await h.call('GET', '/v1/accounts/424242/object-counts')).status).toBe(404);
  });
});
