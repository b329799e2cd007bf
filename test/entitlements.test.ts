// Entitlement checks over HTTP: what the provider's product sees on every request.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/db/client.js';
import { accounts } from '../src/db/schema.js';
import { EntitlementCache } from '../src/entitlements/cache.js';
import { type Harness, startHarness } from './support/harness.js';
import { insertAccount, insertPlanVersion, reportCount, setSubscriptionStatus, subscribe } from './support/entitlement-fixtures.js';

let h: Harness;
let starter: { planId: number; versionId: number };
let devices: { planId: number; versionId: number };

beforeAll(async () => {
  h = await startHarness();
  starter = await insertPlanVersion(h.kassa.db, 'starter', { quotas: { users: 5, sites: 2 }, features: ['sso'] });
  devices = await insertPlanVersion(h.kassa.db, 'devices', {
    items: [{ service: 'cpe_devices', unit_price: '0.5', tier_mode: 'flat', included: 0, min: 0, max: null, default: 10, decrease: 'refund' }],
  });
});
afterAll(async () => h.close());

const entitlement = (accountId: number, feature: string) => h.call('GET', `/v1/accounts/${accountId}/entitlements/${feature}`);

describe('entitlements of an account on an active plan', () => {
  let id: number;
  beforeAll(async () => {
    id = await insertAccount(h.kassa.db);
    await subscribe(h.kassa.db, id, starter);
    await subscribe(h.kassa.db, id, devices, { cpe_devices: 100 });
    await reportCount(h.kassa.db, id, 'users', 3);
    await reportCount(h.kassa.db, id, 'cpe_devices', 100);
  });

  it('lists API access first, then every feature its plans name with what is left', async () => {
    const response = await h.call('GET', `/v1/accounts/${id}/entitlements`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      account_id: id,
      status: 'active',
      type: 'billing',
      features: [
        { feature: 'api', allowed: true, limit: null, used: 0, remaining: null },
        { feature: 'cpe_devices', allowed: false, limit: 100, used: 100, remaining: 0, reason: 'quota_reached' },
        { feature: 'sites', allowed: true, limit: 2, used: 0, remaining: 2 },
        { feature: 'sso', allowed: true, limit: null, used: 0, remaining: null },
        { feature: 'users', allowed: true, limit: 5, used: 3, remaining: 2 },
      ],
    });
  });

  it('answers one quota: 3 of 5 users leaves 2', async () => {
    expect((await entitlement(id, 'users')).body).toEqual({ feature: 'users', allowed: true, limit: 5, used: 3, remaining: 2 });
  });

  it('refuses a quota once the configured quantity is reached (100 of 100 devices)', async () => {
    expect((await entitlement(id, 'cpe_devices')).body).toEqual({ feature: 'cpe_devices', allowed: false, limit: 100, used: 100, remaining: 0, reason: 'quota_reached' });
  });

  it('answers a feature no plan names with not_in_plan, not 404', async () => {
    const response = await entitlement(id, 'public_ip');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ feature: 'public_ip', allowed: false, limit: 0, used: 0, remaining: 0, reason: 'not_in_plan' });
  });
});

describe('accounts that may not use the API', () => {
  it('refuses everything to a blocked account, naming the status', async () => {
    const id = await insertAccount(h.kassa.db, { status: 'blocked' });
    await subscribe(h.kassa.db, id, starter);
    expect((await entitlement(id, 'api')).body).toEqual({ feature: 'api', allowed: false, limit: null, used: 0, remaining: null, reason: 'account_blocked' });
    expect((await entitlement(id, 'sso')).body).toMatchObject({ allowed: false, reason: 'account_blocked' });
    expect((await entitlement(id, 'users')).body).toMatchObject({ allowed: false, limit: 5, reason: 'account_blocked' });
  });

  it('refuses API access while no plan is active (SPEC 3)', async () => {
    const id = await insertAccount(h.kassa.db);
    const response = await h.call('GET', `/v1/accounts/${id}/entitlements`);
    expect(response.body).toEqual({
      account_id: id,
      status: 'active',
      type: 'billing',
      features: [{ feature: 'api', allowed: false, limit: null, used: 0, remaining: null, reason: 'no_active_plan' }],
    });
  });

  it('refuses API access to a suspended account', async () => {
    const id = await insertAccount(h.kassa.db, { status: 'suspended' });
    await subscribe(h.kassa.db, id, starter);
    expect((await entitlement(id, 'api')).body).toMatchObject({ allowed: false, reason: 'account_suspended' });
  });
});

describe('bad requests', () => {
  it('answers 404 not_found for an unknown account, on both routes', async () => {
    for (const url of ['/v1/accounts/987654321/entitlements', '/v1/accounts/987654321/entitlements/api']) {
      const response = await h.call('GET', url);
      expect(response.status).toBe(404);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.body).toMatchObject({ code: 'not_found', status: 404 });
    }
  });

  it('refuses a malformed account id or feature name with validation_failed', async () => {
    for (const url of ['/v1/accounts/abc/entitlements', '/v1/accounts/0/entitlements/api', '/v1/accounts/1/entitlements/Not-A-Feature', '/v1/accounts/99999999999999999999/entitlements']) {
      const response = await h.call('GET', url);
      expect(response.status, url).toBe(400);
      expect(response.body.code).toBe('validation_failed');
    }
  });

  it('refuses a caller without an API key', async () => {
    const response = await h.call('GET', '/v1/accounts/1/entitlements/api', undefined, { authorization: '' });
    expect(response.status).toBe(401);
  });

  it('documents both routes in the OpenAPI document', async () => {
    const openapi = (await h.call('GET', '/openapi.json')).body;
    expect(openapi.paths['/v1/accounts/{id}/entitlements'].get.responses).toHaveProperty('404');
    expect(openapi.paths['/v1/accounts/{id}/entitlements/{feature}'].get.tags).toEqual(['entitlements']);
  });
});

describe('never stale after a change Kassa made', () => {
  it('a new object count shows on the next check', async () => {
    const id = await insertAccount(h.kassa.db);
    await subscribe(h.kassa.db, id, starter);
    expect((await entitlement(id, 'users')).body).toMatchObject({ allowed: true, used: 0 });
    await reportCount(h.kassa.db, id, 'users', 5);
    h.kassa.entitlements.invalidate(id);
    expect((await entitlement(id, 'users')).body).toMatchObject({ allowed: false, used: 5, remaining: 0, reason: 'quota_reached' });
  });

  it('disabling the only subscription refuses API access at once; enabling restores it', async () => {
    const id = await insertAccount(h.kassa.db);
    const subscription = await subscribe(h.kassa.db, id, starter);
    expect((await entitlement(id, 'api')).body.allowed).toBe(true);
    await setSubscriptionStatus(h.kassa.db, id, subscription, 'disabled');
    h.kassa.entitlements.invalidate(id);
    expect((await entitlement(id, 'api')).body).toMatchObject({ allowed: false, reason: 'no_active_plan' });
    await setSubscriptionStatus(h.kassa.db, id, subscription, 'active');
    h.kassa.entitlements.invalidate(id);
    expect((await entitlement(id, 'api')).body.allowed).toBe(true);
  });

  it('blocking and upgrading show on the next check', async () => {
    const id = await insertAccount(h.kassa.db, { type: 'trial' });
    await subscribe(h.kassa.db, id, starter);
    expect((await h.call('GET', `/v1/accounts/${id}/entitlements`)).body.type).toBe('trial');
    await h.kassa.db.update(accounts).set({ type: 'billing', status: 'blocked' }).where(eq(accounts.id, id));
    h.kassa.entitlements.invalidate(id);
    expect((await h.call('GET', `/v1/accounts/${id}/entitlements`)).body).toMatchObject({ type: 'billing', status: 'blocked' });
  });

  it('answers from memory until invalidated: one query per miss, none per hit', async () => {
    const id = await insertAccount(h.kassa.db);
    await subscribe(h.kassa.db, id, starter);
    const before = h.kassa.entitlements.loads;
    await Promise.all(Array.from({ length: 20 }, () => entitlement(id, 'users')));
    expect(h.kassa.entitlements.loads - before).toBe(1);
    h.kassa.entitlements.invalidate(id);
    await entitlement(id, 'users');
    expect(h.kassa.entitlements.loads - before).toBe(2);
  });
});

describe('refresh after a batch of changes', () => {
  it('reads again, in one query, only the accounts that were in memory', async () => {
    const db = h.kassa.db;
    const cache = new EntitlementCache();
    const [inMemory, alsoInMemory, notInMemory] = [await insertAccount(db), await insertAccount(db), await insertAccount(db)];
    await cache.get(db, inMemory);
    await cache.get(db, alsoInMemory);
    await reportCount(db, inMemory, 'users', 4); // changed under the cache, as a batch changes accounts

    await cache.refresh(db, [inMemory, alsoInMemory, notInMemory]);
    expect(cache.loads).toBe(3); // two single loads, then one for both
    expect(cache.peek(inMemory)?.counts).toEqual({ users: 4 });
    expect(cache.peek(alsoInMemory)).toBeDefined();
    expect(cache.peek(notInMemory)).toBeUndefined(); // nobody asked for it: nothing read

    await cache.refresh(db, [notInMemory]);
    expect(cache.loads).toBe(3);
  });
});

describe('a load racing an invalidation', () => {
  it('a load that read before the write committed is never stored, even when it finishes last', async () => {
    const db = h.kassa.db;
    const cache = new EntitlementCache();
    const id = await insertAccount(db);
    await subscribe(db, id, starter);

    // A slow load: it reads the account now, before the write, and answers only when released.
    let readDone!: () => void;
    let release!: () => void;
    const read = new Promise<void>((resolve) => (readDone = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    const slowDb = {
      execute: async (statement: unknown) => {
        const result = await db.execute(statement as never);
        readDone();
        await released;
        return result;
      },
    } as unknown as Db;
    const stale = cache.get(slowDb, id);
    await read;

    await reportCount(db, id, 'users', 5); // the write commits...
    cache.invalidate(id); // ...and its invalidation arrives while the slow load is in flight
    const fresh = await cache.get(db, id); // a new caller does not join the stale load
    expect(fresh?.byFeature.get('users')).toMatchObject({ used: 5, allowed: false });

    release();
    expect((await stale)?.byFeature.get('users')).toMatchObject({ used: 0 }); // its own caller asked before the write
    expect(cache.peek(id)?.byFeature.get('users')).toMatchObject({ used: 5, allowed: false }); // but it was not stored
    expect(cache.loads).toBe(2);
  });

  it('an invalidation during the only load leaves the account uncached', async () => {
    const db = h.kassa.db;
    const cache = new EntitlementCache();
    const id = await insertAccount(db);
    const load = cache.get(db, id);
    cache.invalidate(id);
    expect(await load).toBeDefined();
    expect(cache.peek(id)).toBeUndefined();
  });

  it('clear() during a load stores nothing either', async () => {
    const db = h.kassa.db;
    const cache = new EntitlementCache();
    const id = await insertAccount(db);
    const load = cache.get(db, id);
    cache.clear();
    await load;
    expect(cache.peek(id)).toBeUndefined();
  });

  it('keeps at most maxEntries accounts, dropping the least recently used', async () => {
    const db = h.kassa.db;
    const cache = new EntitlementCache({ maxEntries: 2 });
    const [a, b, c] = [await insertAccount(db), await insertAccount(db), await insertAccount(db)];
    await cache.get(db, a);
    await cache.get(db, b);
    cache.peek(a); // a is now more recent than b
    await cache.get(db, c);
    expect(cache.size).toBe(2);
    expect(cache.peek(a)).toBeDefined();
    expect(cache.peek(b)).toBeUndefined();
    expect(cache.peek(c)).toBeDefined();
  });

  it('reloads an entry older than maxAge_ms', async () => {
    const db = h.kassa.db;
    const cache = new EntitlementCache({ maxAge_ms: 0 });
    const id = await insertAccount(db);
    await cache.get(db, id);
    await new Promise((resolve) => setTimeout(resolve, 2));
    expect(cache.peek(id)).toBeUndefined();
  });

  it('does not remember accounts that do not exist', async () => {
    const cache = new EntitlementCache();
    expect(await cache.get(h.kassa.db, 987654321)).toBeUndefined();
    expect(cache.size).toBe(0);
  });
});

describe('speed', () => {
  it('answers a cached check in-process in well under a millisecond', async () => {
    const id = await insertAccount(h.kassa.db);
    await subscribe(h.kassa.db, id, starter);
    const cache = h.kassa.entitlements;
    await cache.get(h.kassa.db, id);
    const checks = 200_000;
    const started = performance.now();
    for (let i = 0; i < checks; i++) cache.peek(id)!.byFeature.get('users');
    const perCheck_us = ((performance.now() - started) * 1000) / checks;
    expect(perCheck_us).toBeLessThan(10); // measured well under 1 µs; the bar leaves room for slow CI
  });
});
