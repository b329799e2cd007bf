// The audit log (SPEC 1): an account's entries for its owners, every entry for the provider's
// staff; newest first in cursor pages, with filters.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordAudit } from '../src/audit/record.js';
import { type Harness, startHarness } from './support/harness.js';
import { type Person, addPerson, join, openAccount } from './members-people.js';

let h: Harness;
let a: number;
let b: number;
let owner: Person;
let admin: Person;

beforeAll(async () => {
  h = await startHarness();
  a = await openAccount(h, 'A');
  b = await openAccount(h, 'B');
  owner = await addPerson(h, 'owner@a.example');
  admin = await addPerson(h, 'admin@a.example');
  await join(h, a, owner, 'owner');
  await join(h, a, admin, 'admin');
  const at = h.kassa.clock.now();
  for (let i = 0; i < 5; i++) await recordAudit(h.kassa.db, { kind: 'system' }, { action: 'login.succeeded', accountId: a, target: `user:${owner.id}`, at });
  await recordAudit(h.kassa.db, { kind: 'system' }, { action: 'login.succeeded', accountId: b, at });
  await owner.call('PATCH', `/v1/accounts/${a}/members/${admin.id}`, { role: 'billing' });
});
afterAll(async () => h.close());

describe("an account's audit log", () => {
  it('is read by its owner, newest first, and holds only its own entries', async () => {
    const page = await owner.call('GET', `/v1/accounts/${a}/audit`);
    expect(page.status).toBe(200);
    expect(page.body.data).toHaveLength(6);
    expect(page.body.data[0]).toMatchObject({ account_id: a, actor_kind: 'user', actor_id: owner.id, action: 'member.role_changed', data: { from: 'admin', to: 'billing' } });
    expect(page.body.data.every((e: { account_id: number }) => e.account_id === a)).toBe(true);
  });

  it('is refused to an admin (owners only)', async () => {
    const billing = await owner.call('PATCH', `/v1/accounts/${a}/members/${admin.id}`, { role: 'admin' });
    expect(billing.status).toBe(200);
    expect(await admin.call('GET', `/v1/accounts/${a}/audit`)).toMatchObject({ status: 403, body: { permission: 'audit:read' } });
  });

  it('pages with a cursor and filters by action family', async () => {
    const first = await owner.call('GET', `/v1/accounts/${a}/audit?action=login.succeeded&limit=3`);
    expect(first.body.data).toHaveLength(3);
    const second = await owner.call('GET', `/v1/accounts/${a}/audit?action=login.succeeded&limit=3&cursor=${first.body.next_cursor}`);
    expect(second.body.data).toHaveLength(2);
    expect(second.body.next_cursor).toBeNull();
    const ids = [...first.body.data, ...second.body.data].map((e: { id: number }) => e.id);
    expect(ids).toEqual([...ids].sort((x, y) => y - x));
    const family = await owner.call('GET', `/v1/accounts/${a}/audit?action=member.`);
    expect(family.body.data.map((e: { action: string }) => e.action)).toEqual(['member.role_changed', 'member.role_changed']);
  });
});

describe('the whole audit log', () => {
  it('is read by staff across accounts, filtered by account or actor', async () => {
    const all = await h.call('GET', '/v1/audit?limit=200');
    expect(all.status).toBe(200);
    expect(new Set(all.body.data.map((e: { account_id: number }) => e.account_id))).toEqual(new Set([a, b]));
    expect((await h.call('GET', `/v1/audit?account_id=${b}`)).body.data).toHaveLength(1);
    expect((await h.call('GET', `/v1/audit?actor_kind=user&actor_id=${owner.id}`)).body.data).toHaveLength(2);
  });

  it('is refused to an owner', async () => {
    expect((await owner.call('GET', '/v1/audit')).status).toBe(403);
  });
});
