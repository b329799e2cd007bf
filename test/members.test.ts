// Members and roles (SPEC 1, seed 002): invitations by e-mail, role changes, removal,
// ownership transfer, an owner that always remains, and the owner-only plan and seats view.
import { and, desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, mails } from '../src/db/schema.js';
import type { SimulatedClock } from '../src/time/clock.js';
import { insertPlanVersion, reportCount, subscribe } from './support/entitlement-fixtures.js';
import { type Harness, startHarness } from './support/harness.js';
import { type Person, addPerson, join, openAccount } from './members-people.js';

let h: Harness;
let accountId: number;
let owner: Person;
let admin: Person;
let viewer: Person;

beforeAll(async () => {
  h = await startHarness();
  accountId = await openAccount(h);
  owner = await addPerson(h, 'olivia@acme.example');
  admin = await addPerson(h, 'adam@acme.example');
  viewer = await addPerson(h, 'vera@acme.example');
  await join(h, accountId, owner, 'owner');
  await join(h, accountId, admin, 'admin');
  await join(h, accountId, viewer, 'viewer');
});
afterAll(async () => h.close());

async function lastInvitationToken(to: string): Promise<string> {
  const [mail] = await h.kassa.db.select().from(mails).where(and(eq(mails.to, to), eq(mails.template, 'invitation'))).orderBy(desc(mails.id)).limit(1);
  const token = /\/invitations\/accept\?token=([A-Za-z0-9_%-]+)/.exec(mail!.text)?.[1];
  if (!token) throw new Error(`no invitation link in ${mail?.text}`);
  return decodeURIComponent(token);
}

async function auditActions(action: string) {
  return h.kassa.db.select().from(auditLog).where(and(eq(auditLog.accountId, accountId), eq(auditLog.action, action)));
}

const roleOf = async (person: Person) => (await h.call('GET', `/v1/accounts/${accountId}/members`)).body.data.find((m: { user_id: number }) => m.user_id === person.id)?.role;

describe('the member list', () => {
  it('shows every member with their role to anyone who may read members', async () => {
    const listed = await admin.call('GET', `/v1/accounts/${accountId}/members`);
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((m: { email: string; role: string }) => [m.email, m.role])).toEqual([
      ['olivia@acme.example', 'owner'],
      ['adam@acme.example', 'admin'],
      ['vera@acme.example', 'viewer'],
    ]);
  });

  it("is not found for someone outside the account (no one learns it exists)", async () => {
    const stranger = await addPerson(h, 'stranger@elsewhere.example');
    expect((await stranger.call('GET', `/v1/accounts/${accountId}/members`)).status).toBe(404);
  });
});

describe('an invitation by e-mail', () => {
  let ian: Person;
  beforeAll(async () => {
    ian = await addPerson(h, 'ian@acme.example');
  });

  it('queues a mail with a single-use link; following it, the invited person joins with the role', async () => {
    const invited = await admin.call('POST', `/v1/accounts/${accountId}/invitations`, { email: 'Ian@Acme.example', role: 'member' });
    expect(invited.status).toBe(201);
    expect(invited.body).toMatchObject({ email: 'ian@acme.example', role: 'member', expires_at: '2026-11-09T00:00:00.000Z' });
    const [mail] = await h.kassa.db.select().from(mails).where(eq(mails.to, 'ian@acme.example'));
    expect(mail).toMatchObject({ template: 'invitation', subject: 'You are invited to Acme GmbH', accountId });
    expect(mail!.text).toContain('adam invited you to join Acme GmbH on Kassa as member');
    expect((await admin.call('GET', `/v1/accounts/${accountId}/invitations`)).body.data).toHaveLength(1);

    const accepted = await ian.call('POST', '/v1/invitations/accept', { token: await lastInvitationToken('ian@acme.example') });
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ account_id: accountId, user_id: ian.id, role: 'member' });
    expect(await roleOf(ian)).toBe('member');
    expect((await ian.call('GET', `/v1/accounts/${accountId}`)).status).toBe(200);
    expect(await auditActions('member.invited')).toHaveLength(1);
    expect(await auditActions('member.joined')).toMatchObject([{ actorKind: 'user', actorId: ian.id, data: { role: 'member' } }]);
    expect((await admin.call('GET', `/v1/accounts/${accountId}/invitations`)).body.data).toHaveLength(0);
  });

  it('works once: the same link a second time is refused', async () => {
    const eve = await addPerson(h, 'eve@acme.example');
    await owner.call('POST', `/v1/accounts/${accountId}/invitations`, { email: eve.email, role: 'viewer' });
    const token = await lastInvitationToken(eve.email);
    expect((await eve.call('POST', '/v1/invitations/accept', { token })).status).toBe(200);
    const again = await eve.call('POST', '/v1/invitations/accept', { token });
    expect(again).toMatchObject({ status: 410, body: { code: 'invitation_invalid' } });
  });

  it('expires after 7 days', async () => {
    const late = await addPerson(h, 'late@acme.example');
    await admin.call('POST', `/v1/accounts/${accountId}/invitations`, { email: late.email, role: 'viewer' });
    const token = await lastInvitationToken(late.email);
    const clock = h.kassa.clock as SimulatedClock;
    clock.set(new Date(clock.now().getTime() + 7 * 86_400_000));
    const refused = await late.call('POST', '/v1/invitations/accept', { token });
    expect(refused).toMatchObject({ status: 410, body: { code: 'invitation_invalid', detail: expect.stringContaining('expired') } });
    expect(await roleOf(late)).toBeUndefined();
  });

  it('is accepted only by the person it was sent to, with a verified address', async () => {
    await admin.call('POST', `/v1/accounts/${accountId}/invitations`, { email: 'someone@acme.example', role: 'admin' });
    const token = await lastInvitationToken('someone@acme.example');
    const other = await addPerson(h, 'other@acme.example');
    expect((await other.call('POST', '/v1/invitations/accept', { token })).status).toBe(403);
    const unverified = await addPerson(h, 'someone@acme.example', { verified: false });
    // An unverified address cannot even hold a session; the invitation stays open.
    expect((await unverified.call('POST', '/v1/invitations/accept', { token })).status).toBe(401);
    expect(await roleOf(other)).toBeUndefined();
  });

  it('refuses a made-up token', async () => {
    expect((await viewer.call('POST', '/v1/invitations/accept', { token: 'x'.repeat(43) })).status).toBe(410);
  });

  it('to the owner role is for owners only: an admin is refused', async () => {
    const refused = await admin.call('POST', `/v1/accounts/${accountId}/invitations`, { email: 'boss@acme.example', role: 'owner' });
    expect(refused).toMatchObject({ status: 403, body: { code: 'forbidden', permission: 'owners:write' } });
    expect((await owner.call('POST', `/v1/accounts/${accountId}/invitations`, { email: 'boss@acme.example', role: 'owner' })).status).toBe(201);
  });

  it('is refused to a viewer, and for someone who is already a member', async () => {
    expect((await viewer.call('POST', `/v1/accounts/${accountId}/invitations`, { email: 'x@acme.example', role: 'viewer' })).status).toBe(403);
    expect((await admin.call('POST', `/v1/accounts/${accountId}/invitations`, { email: viewer.email, role: 'viewer' })).body.code).toBe('already_exists');
  });

  it('can be revoked: its link stops working', async () => {
    const pat = await addPerson(h, 'pat@acme.example');
    const invited = await admin.call('POST', `/v1/accounts/${accountId}/invitations`, { email: pat.email, role: 'viewer' });
    const token = await lastInvitationToken(pat.email);
    expect((await admin.call('DELETE', `/v1/accounts/${accountId}/invitations/${invited.body.id}`)).status).toBe(204);
    expect((await pat.call('POST', '/v1/invitations/accept', { token })).status).toBe(410);
  });
});

describe('role changes and removal', () => {
  let bill: Person;
  beforeAll(async () => {
    bill = await addPerson(h, 'bill@acme.example');
    await join(h, accountId, bill, 'viewer');
  });

  it('an admin changes a role below owner, and it is audited', async () => {
    const changed = await admin.call('PATCH', `/v1/accounts/${accountId}/members/${bill.id}`, { role: 'billing' });
    expect(changed).toMatchObject({ status: 200, body: { user_id: bill.id, role: 'billing' } });
    expect(await auditActions('member.role_changed')).toContainEqual(expect.objectContaining({ actorKind: 'user', actorId: admin.id, target: `user:${bill.id}`, data: { from: 'viewer', to: 'billing' }, ip: expect.any(String) }));
  });

  it('an admin may neither grant nor take the owner role', async () => {
    expect((await admin.call('PATCH', `/v1/accounts/${accountId}/members/${bill.id}`, { role: 'owner' })).status).toBe(403);
    expect((await admin.call('PATCH', `/v1/accounts/${accountId}/members/${owner.id}`, { role: 'viewer' })).status).toBe(403);
    expect((await admin.call('DELETE', `/v1/accounts/${accountId}/members/${owner.id}`)).status).toBe(403);
  });

  it('a viewer changes nothing', async () => {
    expect((await viewer.call('PATCH', `/v1/accounts/${accountId}/members/${bill.id}`, { role: 'admin' })).status).toBe(403);
  });

  it('the last owner can be neither demoted nor removed', async () => {
    const demoted = await owner.call('PATCH', `/v1/accounts/${accountId}/members/${owner.id}`, { role: 'admin' });
    expect(demoted).toMatchObject({ status: 409, body: { code: 'last_owner' } });
    const removed = await h.call('DELETE', `/v1/accounts/${accountId}/members/${owner.id}`);
    expect(removed).toMatchObject({ status: 409, body: { code: 'last_owner' } });
    expect(await roleOf(owner)).toBe('owner');
  });

  it('removes a member, who then has no access', async () => {
    expect((await admin.call('DELETE', `/v1/accounts/${accountId}/members/${bill.id}`)).status).toBe(204);
    expect((await bill.call('GET', `/v1/accounts/${accountId}`)).status).toBe(404);
    expect(await auditActions('member.removed')).toMatchObject([{ target: `user:${bill.id}`, data: { role: 'billing' } }]);
  });

  it('answers 404 for someone who is not a member', async () => {
    expect((await admin.call('PATCH', `/v1/accounts/${accountId}/members/999999`, { role: 'viewer' })).status).toBe(404);
  });
});

describe('ownership transfer', () => {
  it('is for owners only', async () => {
    expect((await admin.call('POST', `/v1/accounts/${accountId}/ownership`, { user_id: admin.id })).status).toBe(403);
  });

  it('makes the chosen member owner and the owner handing over an admin', async () => {
    const moved = await owner.call('POST', `/v1/accounts/${accountId}/ownership`, { user_id: admin.id });
    expect(moved.status).toBe(200);
    expect(await roleOf(admin)).toBe('owner');
    expect(await roleOf(owner)).toBe('admin');
    expect(await auditActions('account.ownership_transferred')).toMatchObject([{ actorId: owner.id, target: `user:${admin.id}`, data: { from_user_ids: [owner.id] } }]);
    // The old owner can no longer act as one; the new one can hand it back.
    expect((await owner.call('POST', `/v1/accounts/${accountId}/ownership`, { user_id: owner.id })).status).toBe(403);
    expect((await admin.call('POST', `/v1/accounts/${accountId}/ownership`, { user_id: owner.id })).status).toBe(200);
    expect(await roleOf(owner)).toBe('owner');
    expect(await roleOf(admin)).toBe('admin');
  });

  it('to someone outside the account is not found', async () => {
    expect((await owner.call('POST', `/v1/accounts/${accountId}/ownership`, { user_id: 999999 })).status).toBe(404);
  });
});

describe('the plan and seats view (seed 002)', () => {
  beforeAll(async () => {
    const team = await insertPlanVersion(h.kassa.db, 'team', {
      items: [
        { service: 'users', unit_price: '5', tier_mode: 'flat', included: 0, min: 0, max: null, default: 5, decrease: 'none' },
        { service: 'numbers', unit_price: '2', tier_mode: 'flat', included: 0, min: 0, max: null, default: 1, decrease: 'none' },
      ],
    });
    await subscribe(h.kassa.db, accountId, team, { users: 10, numbers: 3 });
    await reportCount(h.kassa.db, accountId, 'users', 12);
    await reportCount(h.kassa.db, accountId, 'numbers', 2);
  });

  it('shows owners the units created, included in the plan, and additional', async () => {
    const view = await owner.call('GET', `/v1/accounts/${accountId}/plan`);
    expect(view.status).toBe(200);
    expect(view.body.seats).toEqual([
      { service: 'numbers', name: 'numbers', unit: 'unit', created: 2, included_in_plan: 3, additional: 0, paid_this_period: 3 },
      { service: 'users', name: 'users', unit: 'unit', created: 12, included_in_plan: 10, additional: 2, paid_this_period: 10 },
    ]);
  });

  it('is refused to an admin (403), and to anyone outside (404)', async () => {
    expect(await admin.call('GET', `/v1/accounts/${accountId}/plan`)).toMatchObject({ status: 403, body: { code: 'forbidden', permission: 'plan:read' } });
    const outsider = await addPerson(h, 'outsider@elsewhere.example');
    expect((await outsider.call('GET', `/v1/accounts/${accountId}/plan`)).status).toBe(404);
  });
});
