// Account types and statuses (SPEC 1, 11, seed 003): a trial is held to the provider's
// stricter limits, refused beyond them with the quota, the limit and the current count, and
// upgrading lifts them at once, entitlement cache included.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorize } from '../src/auth/principal.js';
import { accounts, auditLog } from '../src/db/schema.js';
import type { Permission } from '../src/auth/permissions.js';
import { insertPlanVersion, reportCount } from './support/entitlement-fixtures.js';
import { type Harness, startHarness } from './support/harness.js';
import { addPerson, join, openAccount } from './members-people.js';

let h: Harness;
let team: { planId: number };
let devices: { planId: number };

beforeAll(async () => {
  h = await startHarness();
  team = await insertPlanVersion(h.kassa.db, 'team', { quotas: { users: 10 } });
  devices = await insertPlanVersion(h.kassa.db, 'devices', {
    items: [
      { service: 'cpe_devices', unit_price: '0.01', tier_mode: 'flat', included: 0, min: 0, max: null, default: 10, decrease: 'refund' },
      { service: 'public_ip', unit_price: '0.01', tier_mode: 'flat', included: 0, min: 0, max: null, default: 0, decrease: 'refund' },
    ],
  });
  const limits = await h.call('PUT', '/v1/settings/trial-limits', { quotas: { users: 3, cpe_devices: 50, subscriptions: 2 }, denied_features: ['public_ip'] });
  expect(limits.status).toBe(200);
});
afterAll(async () => h.close());

let keys = 0;
const subscribe = (accountId: number, planId: number, quantities?: Record<string, number>) =>
  h.call('POST', `/v1/accounts/${accountId}/subscriptions`, { plan_id: planId, ...(quantities ? { quantities } : {}) }, { 'idempotency-key': `k${++keys}` });

async function fundedTrial(): Promise<number> {
  const id = await openAccount(h);
  await h.call('POST', `/v1/accounts/${id}/adjustments`, { direction: 'credit', amount: '100000', reason: 'test funds' }, { 'idempotency-key': `k${++keys}` });
  return id;
}

describe('a trial account', () => {
  let id: number;
  beforeAll(async () => {
    id = await fundedTrial();
  });

  it('may not configure items beyond the trial cap: refused naming the quota, the limit and the current count', async () => {
    await reportCount(h.kassa.db, id, 'cpe_devices', 7);
    const refused = await subscribe(id, devices.planId, { cpe_devices: 150 });
    expect(refused).toMatchObject({ status: 422, body: { code: 'quota_exceeded', quota: 'cpe_devices', limit: 50, current: 7 } });
    expect(refused.body.quotas).toEqual([{ quota: 'cpe_devices', limit: 50, current: 7, requested: 150 }]);
  });

  it('may not buy a feature the trial withholds (no public IP)', async () => {
    const refused = await subscribe(id, devices.planId, { cpe_devices: 10, public_ip: 1 });
    expect(refused.body).toMatchObject({ code: 'quota_exceeded', quota: 'public_ip', limit: 0, current: 0 });
    expect((await subscribe(id, devices.planId, { cpe_devices: 40 })).status).toBe(201);
  });

  it('is held to the trial cap on plan quotas in its entitlements, and to fewer subscriptions', async () => {
    expect((await subscribe(id, team.planId)).status).toBe(201);
    await reportCount(h.kassa.db, id, 'users', 3);
    h.kassa.entitlements.invalidate(id);
    expect((await h.call('GET', `/v1/accounts/${id}/entitlements/users`)).body).toEqual({ feature: 'users', allowed: false, limit: 3, used: 3, remaining: 0, reason: 'trial_limit' });
    const third = await subscribe(id, team.planId);
    expect(third).toMatchObject({ status: 422, body: { quota: 'subscriptions', limit: 2, current: 2 } });
  });

  it('upgraded by its owner, has the trial limits lifted at once (cached entitlements included)', async () => {
    const owner = await addPerson(h, `owner${id}@acme.example`);
    const admin = await addPerson(h, `admin${id}@acme.example`);
    await join(h, id, owner, 'owner');
    await join(h, id, admin, 'admin');
    expect((await admin.call('POST', `/v1/accounts/${id}/upgrade`)).status).toBe(403);
    const upgraded = await owner.call('POST', `/v1/accounts/${id}/upgrade`);
    expect(upgraded).toMatchObject({ status: 200, body: { type: 'billing' } });
    expect((await h.call('GET', `/v1/accounts/${id}/entitlements/users`)).body).toEqual({ feature: 'users', allowed: true, limit: 10, used: 3, remaining: 7 });
    expect((await subscribe(id, devices.planId, { cpe_devices: 150, public_ip: 1 })).status).toBe(201);
    const [entry] = await h.kassa.db.select().from(auditLog).where(eq(auditLog.action, 'account.upgraded'));
    expect(entry).toMatchObject({ accountId: id, actorKind: 'user', actorId: owner.id, data: { trigger: 'explicit' } });
    expect((await owner.call('POST', `/v1/accounts/${id}/upgrade`)).status).toBe(409);
  });
});

describe('the trial limits setting', () => {
  it('drops cached entitlements when it changes', async () => {
    const id = await fundedTrial();
    expect((await subscribe(id, team.planId)).status).toBe(201);
    expect((await h.call('GET', `/v1/accounts/${id}/entitlements/users`)).body.limit).toBe(3);
    await h.call('PUT', '/v1/settings/trial-limits', { quotas: { users: 4, cpe_devices: 50, subscriptions: 2 }, denied_features: ['public_ip'] });
    expect((await h.call('GET', `/v1/accounts/${id}/entitlements/users`)).body.limit).toBe(4);
    expect((await h.call('GET', '/v1/settings/trial-limits')).body.quotas.users).toBe(4);
  });

  it('is set by staff only', async () => {
    const someone = await addPerson(h, 'someone@acme.example');
    expect((await someone.call('PUT', '/v1/settings/trial-limits', { quotas: {}, denied_features: [] })).status).toBe(403);
  });
});

describe('upgrade on the first credit', () => {
  it('turns a trial into a billing account when the provider configures it', async () => {
    const before = await openAccount(h);
    await h.call('POST', `/v1/accounts/${before}/adjustments`, { direction: 'credit', amount: '100', reason: 'x' }, { 'idempotency-key': `k${++keys}` });
    expect((await h.call('GET', `/v1/accounts/${before}`)).body.type).toBe('trial');

    expect((await h.call('PUT', '/v1/settings/account-upgrade', { on_first_credit: true })).status).toBe(200);
    const id = await openAccount(h);
    expect((await h.call('GET', `/v1/accounts/${id}`)).body.type).toBe('trial');
    const credited = await h.call('POST', `/v1/accounts/${id}/adjustments`, { direction: 'credit', amount: '500', reason: 'first top-up' }, { 'idempotency-key': `k${++keys}` });
    expect(credited.status).toBe(201);
    expect((await h.call('GET', `/v1/accounts/${id}`)).body.type).toBe('billing');
    const [entry] = await h.kassa.db.select().from(auditLog).where(eq(auditLog.accountId, id));
    expect(entry).toMatchObject({ action: 'account.upgraded', actorKind: 'system', data: { trigger: 'first_credit' } });
  });
});

describe('what each status still allows its members', () => {
  it.each([
    ['active', 'subscriptions:write', undefined],
    ['suspended', 'billing:write', undefined], // can still top up
    ['suspended', 'account:read', undefined],
    ['blocked', 'account:read', undefined],
    ['blocked', 'billing:write', 'account_blocked'],
    ['blocked', 'members:write', 'account_blocked'],
    ['closed', 'billing:read', undefined],
    ['closed', 'account:write', 'invalid_state'],
  ] as const)('%s: %s -> %s', async (status, permission, code) => {
    const id = await openAccount(h);
    const owner = await addPerson(h, `o${id}-${permission}@acme.example`);
    await join(h, id, owner, 'owner');
    await h.kassa.db.update(accounts).set({ status }).where(eq(accounts.id, id));
    const principal = { kind: 'user' as const, userId: owner.id, operator: false, via: 'session' as const, scope: `user:${owner.id}` };
    expect((await authorize(h.kassa.db, principal, permission as Permission, id))?.code).toBe(code);
    expect(await authorize(h.kassa.db, { kind: 'provider_key', keyId: 1, scope: 'key:1' }, permission as Permission, id)).toBeUndefined();
  });
});
