// Operators (SPEC 1): the provider's staff, created from the command line, act across
// accounts through the same authorize rule as provider keys; they block and unblock accounts.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorize } from '../src/auth/principal.js';
import { accounts, auditLog, users } from '../src/db/schema.js';
import { harnessDatabase, kassaInProcess } from './support/cli.js';
import { verifyPassword } from '../src/identity/passwords/hash.js';
import { insertPlanVersion, subscribe } from './support/entitlement-fixtures.js';
import { type Harness, startHarness } from './support/harness.js';
import { type Person, addPerson, join, openAccount } from './members-people.js';

let h: Harness;
let a: number;
let b: number;
let operator: Person;
let owner: Person;

beforeAll(async () => {
  h = await startHarness();
  a = await openAccount(h, 'Account A');
  b = await openAccount(h, 'Account B');
  operator = await addPerson(h, 'ops@provider.example', { operator: true });
  owner = await addPerson(h, 'owner@a.example');
  await join(h, a, owner, 'owner');
  const plan = await insertPlanVersion(h.kassa.db, 'basic', { quotas: { users: 5 } });
  await subscribe(h.kassa.db, a, plan);
});
afterAll(async () => h.close());

describe('kassa operators create', () => {
  it('creates a verified operator with a random initial password, printed once and stored hashed', async () => {
    const run = await kassaInProcess(['operators', 'create', '--email', 'Nina@Provider.example', '--name', 'Nina'], {}, harnessDatabase(h));
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const password = run.stdout.trimEnd().split('\n').at(-1)!;
    const [nina] = await h.kassa.db.select().from(users).where(eq(users.email, 'nina@provider.example'));
    expect(nina).toMatchObject({ operator: true, name: 'Nina', emailVerifiedAt: expect.any(Date), passwordChangedAt: new Date(0) });
    expect(nina!.passwordHash).not.toContain(password);
    expect(await verifyPassword(password, nina!.passwordHash!)).toBe(true);
    const [audit] = await h.kassa.db.select().from(auditLog).where(eq(auditLog.action, 'operator.created'));
    expect(audit).toMatchObject({ actorKind: 'system', target: `user:${nina!.id}` });
  });
});

describe('an operator', () => {
  it('acts on every account, as the authorize rule says', async () => {
    const principal = { kind: 'user' as const, userId: operator.id, operator: true, via: 'session' as const, scope: `user:${operator.id}` };
    for (const id of [a, b]) {
      expect(await authorize(h.kassa.db, principal, 'plan:read', id)).toBeUndefined();
      expect(await authorize(h.kassa.db, principal, 'staff', id)).toBeUndefined();
      expect((await operator.call('GET', `/v1/accounts/${id}/members`)).status).toBe(200);
    }
    expect((await operator.call('GET', '/v1/accounts')).status).toBe(200);
  });

  it('blocks an account: entitlements answer not allowed at once, members may read but not write, and it is audited', async () => {
    expect((await h.call('GET', `/v1/accounts/${a}/entitlements/api`)).body.allowed).toBe(true); // cached now
    const blocked = await operator.call('POST', `/v1/accounts/${a}/block`, { reason: 'fraud under investigation' });
    expect(blocked).toMatchObject({ status: 200, body: { status: 'blocked' } });
    expect((await h.call('GET', `/v1/accounts/${a}/entitlements/api`)).body).toMatchObject({ allowed: false, reason: 'account_blocked' });
    expect((await h.call('GET', `/v1/accounts/${a}/entitlements/users`)).body).toMatchObject({ allowed: false, reason: 'account_blocked' });

    expect((await owner.call('GET', `/v1/accounts/${a}`)).status).toBe(200);
    expect((await owner.call('GET', `/v1/accounts/${a}/members`)).status).toBe(200);
    const write = await owner.call('PATCH', `/v1/accounts/${a}`, { name: 'Renamed' });
    expect(write).toMatchObject({ status: 403, body: { code: 'account_blocked' } });
    expect((await owner.call('POST', `/v1/accounts/${a}/invitations`, { email: 'x@a.example', role: 'viewer' })).body.code).toBe('account_blocked');

    const [entry] = await h.kassa.db.select().from(auditLog).where(eq(auditLog.action, 'account.blocked'));
    expect(entry).toMatchObject({ accountId: a, actorKind: 'operator', actorId: operator.id, data: { reason: 'fraud under investigation', previous_status: 'active' } });
    expect((await operator.call('POST', `/v1/accounts/${a}/block`, { reason: 'again' })).status).toBe(409);
  });

  it('unblocks it back to the status it had before', async () => {
    const unblocked = await operator.call('POST', `/v1/accounts/${a}/unblock`);
    expect(unblocked).toMatchObject({ status: 200, body: { status: 'active' } });
    expect((await h.call('GET', `/v1/accounts/${a}/entitlements/api`)).body.allowed).toBe(true);
    expect((await owner.call('PATCH', `/v1/accounts/${a}`, { name: 'Renamed' })).status).toBe(200);

    await h.kassa.db.update(accounts).set({ status: 'suspended' }).where(eq(accounts.id, b));
    await h.call('POST', `/v1/accounts/${b}/block`, { reason: 'chargeback' });
    expect((await h.call('POST', `/v1/accounts/${b}/unblock`, {})).body.status).toBe('suspended');
    const actions = (await h.kassa.db.select().from(auditLog).where(eq(auditLog.accountId, b))).map((e) => [e.action, e.actorKind]);
    expect(actions).toEqual([['account.blocked', 'provider_key'], ['account.unblocked', 'provider_key']]);
  });

  it('is the only kind of person who may block: an owner is refused, a stranger learns nothing', async () => {
    expect((await owner.call('POST', `/v1/accounts/${a}/block`, { reason: 'x' })).status).toBe(403);
    const stranger = await addPerson(h, 'stranger@c.example');
    expect((await stranger.call('POST', `/v1/accounts/${a}/block`, { reason: 'x' })).status).toBe(404);
  });
});
