// Personal access tokens (SPEC 1, issue 3 item 5): created from a signed-in session only,
// shown once, stored hashed with a recognisable prefix, scoped, never more than the user's
// role, expiring, revocable at once, last use recorded about once a minute.
import { createHash, randomBytes } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../src/time/clock.js';
import { auditLog, memberships, personalAccessTokens, sessions, users, type Role } from '../src/db/schema.js';
import { PERMISSIONS } from '../src/auth/permissions.js';
import { forgetPersonalTokens } from '../src/identity/tokens/authenticate.js';
import { createPersonalToken } from '../src/identity/tokens/create.js';
import { type Harness, startHarness } from './support/harness.js';

let h: Harness;
let accountId: number;
beforeAll(async () => {
  h = await startHarness({ clockStart: '2026-11-02T13:00:00Z' });
  accountId = (await h.call('POST', '/v1/accounts', { name: 'Acme', currency: 'EUR' })).body.id;
});
afterAll(() => h.close());

// ---------- people, sessions and calls ----------

const clock = () => h.kassa.clock as SimulatedClock;
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
let people = 0;

async function person(role: Role | null, over: Partial<typeof users.$inferInsert> = {}) {
  const now = h.kassa.clock.now();
  const [user] = await h.kassa.db.insert(users).values({ email: `t${++people}@example.test`, emailVerifiedAt: now, createdAt: now, ...over }).returning();
  if (role) await h.kassa.db.insert(memberships).values({ accountId, userId: user!.id, role, createdAt: now });
  return user!;
}

interface Session { cookie: string; csrf: string }

/** A signed-in session, as the login route would make it (the table holds only hashes). */
async function signIn(userId: number): Promise<Session> {
  const now = h.kassa.clock.now();
  const cookie = randomBytes(24).toString('base64url');
  const csrf = randomBytes(24).toString('base64url');
  await h.kassa.db.insert(sessions).values({
    userId, tokenHash: sha256(cookie), csrfTokenHash: sha256(csrf), createdAt: now, expiresAt: new Date(now.getTime() + 7 * 86_400_000), lastSeenAt: now,
  });
  return { cookie, csrf };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Reply = { status: number; body: any };

async function inject(method: string, url: string, headers: Record<string, string>, body?: unknown, cookies?: Record<string, string>): Promise<Reply> {
  const response = await h.app.inject({
    method: method as 'GET',
    url,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    cookies,
    payload: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : undefined };
}

const asSession = (s: Session, method: string, url: string, body?: unknown) => inject(method, url, { 'x-csrf-token': s.csrf }, body, { kassa_session: s.cookie });
const asBearer = (secret: string, method: string, url: string, body?: unknown) => inject(method, url, { authorization: `Bearer ${secret}`, 'idempotency-key': randomBytes(8).toString('hex') }, body);

async function tokenFor(s: Session, scopes: readonly string[], extra: Record<string, unknown> = {}) {
  const created = await asSession(s, 'POST', '/v1/me/tokens', { name: 'test', scopes, ...extra });
  expect(created.status).toBe(201);
  return created.body as { id: number; token: string; prefix: string; scopes: string[]; expires_at: string };
}

// ---------- tests ----------

describe('creating a personal access token', () => {
  it('shows the secret once and stores only its SHA-256 with a recognisable prefix', async () => {
    const owner = await person('owner');
    const s = await signIn(owner.id);
    const created = await asSession(s, 'POST', '/v1/me/tokens', { name: 'nightly export', scopes: ['billing:read', 'account:read'], expires_in_days: 30 });
    expect(created.status).toBe(201);
    const { token, prefix, id } = created.body;
    expect(token).toMatch(/^kassa_pat_[A-Za-z0-9_-]{43}$/);
    expect(prefix).toBe(token.slice(0, 16));
    // Canonical order, whatever was sent.
    expect(created.body.scopes).toEqual(['account:read', 'billing:read']);
    expect(created.body.expires_at).toBe('2026-12-02T13:00:00.000Z');
    expect(created.body.last_used_at).toBeNull();

    const [row] = await h.kassa.db.select().from(personalAccessTokens).where(eq(personalAccessTokens.id, id));
    expect(row!.tokenHash).toBe(sha256(token));
    expect(JSON.stringify(row)).not.toContain(token.slice(16));

    const listed = await asSession(s, 'GET', '/v1/me/tokens');
    expect(listed.status).toBe(200);
    expect(listed.body.data).toHaveLength(1);
    expect(listed.body.data[0]).toMatchObject({ id, name: 'nightly export', prefix, scopes: ['account:read', 'billing:read'], revoked_at: null });
    expect(listed.body.data[0].token).toBeUndefined();
    expect(JSON.stringify(listed.body)).not.toContain(token.slice(16));

    const [audit] = await h.kassa.db.select().from(auditLog).where(and(eq(auditLog.action, 'token.created'), eq(auditLog.target, `token:${id}`)));
    expect(audit).toMatchObject({ actorKind: 'user', actorId: owner.id });
    expect(JSON.stringify(audit!.data)).not.toContain(token.slice(16));
  });

  it('defaults to 90 days and refuses bad names, scopes and expiries', async () => {
    const s = await signIn((await person('owner')).id);
    expect((await tokenFor(s, ['account:read'])).expires_at).toBe(new Date(h.kassa.clock.now().getTime() + 90 * 86_400_000).toISOString());
    for (const body of [
      { name: 'x', scopes: ['billing:read'], expires_in_days: 0 },
      { name: 'x', scopes: ['billing:read'], expires_in_days: 366 },
      { name: 'x', scopes: [] },
      { name: 'x', scopes: ['root'] },
      { name: 'x', scopes: ['staff'] },
      { name: 'x', scopes: ['billing:read', 'billing:read'] },
      { name: '  ', scopes: ['billing:read'] },
      { scopes: ['billing:read'] },
      { name: 'x', scopes: ['billing:read'], user_id: 1 },
    ]) {
      const refused = await asSession(s, 'POST', '/v1/me/tokens', body);
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(refused.body.code).toBe('validation_failed');
    }
  });

  it('holds at most 50 live tokens per user', async () => {
    const user = await person('owner');
    for (let i = 0; i < 50; i++) await createPersonalToken(h.kassa.db, user.id, { name: `t${i}`, scopes: ['account:read'] }, h.kassa.clock.now());
    const refused = await asSession(await signIn(user.id), 'POST', '/v1/me/tokens', { name: 'one more', scopes: ['account:read'] });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ code: 'quota_exceeded', quota: 'personal_access_tokens', limit: 50, current: 50 });
  });

  it('is refused with a provider key or another token: only a signed-in person manages tokens', async () => {
    const s = await signIn((await person('owner')).id);
    const { token, id } = await tokenFor(s, [...PERMISSIONS]);
    for (const [method, url, body] of [
      ['POST', '/v1/me/tokens', { name: 'more', scopes: ['billing:read'] }],
      ['GET', '/v1/me/tokens', undefined],
      ['DELETE', `/v1/me/tokens/${id}`, undefined],
    ] as const) {
      expect((await h.call(method, url, body)).status).toBe(403);
      const viaToken = await asBearer(token, method, url, body);
      expect(viaToken.status).toBe(403);
      expect(viaToken.body.code).toBe('forbidden');
    }
    expect((await inject('GET', '/v1/me/tokens', {})).status).toBe(401);
  });
});

describe('using a personal access token', () => {
  it('is narrowed to its scopes: billing:read reads the balance but may not create subscriptions', async () => {
    const s = await signIn((await person('owner')).id);
    const { token } = await tokenFor(s, ['billing:read']);
    expect((await asBearer(token, 'GET', `/v1/accounts/${accountId}/balance`)).status).toBe(200);
    const create = await asBearer(token, 'POST', `/v1/accounts/${accountId}/subscriptions`, { plan_id: 1 });
    expect(create.status).toBe(403);
    expect(create.body).toMatchObject({ code: 'forbidden', permission: 'subscriptions:write' });
    expect((await asBearer(token, 'GET', `/v1/accounts/${accountId}`)).status).toBe(403);
    expect((await asBearer(token, 'PATCH', `/v1/accounts/${accountId}`, { name: 'Renamed' })).status).toBe(403);
    // Staff routes stay the provider's.
    expect((await asBearer(token, 'GET', '/v1/accounts')).status).toBe(403);
    expect((await asBearer(token, 'POST', `/v1/accounts/${accountId}/adjustments`, { direction: 'credit', amount: '100', reason: 'x' })).status).toBe(403);
  });

  it('never exceeds its user\'s role: a viewer\'s all-scope token still only reads', async () => {
    const s = await signIn((await person('viewer')).id);
    const { token } = await tokenFor(s, [...PERMISSIONS]);
    expect((await asBearer(token, 'GET', `/v1/accounts/${accountId}/balance`)).status).toBe(200);
    expect((await asBearer(token, 'GET', `/v1/accounts/${accountId}`)).status).toBe(200);
    expect((await asBearer(token, 'POST', `/v1/accounts/${accountId}/subscriptions`, { plan_id: 1 })).status).toBe(403);
    expect((await asBearer(token, 'PATCH', `/v1/accounts/${accountId}`, { name: 'Renamed' })).status).toBe(403);
    expect((await asBearer(token, 'PUT', `/v1/accounts/${accountId}/security`, { require_two_factor: false })).status).toBe(403);
  });

  it('answers 404 for an account its user is not a member of', async () => {
    const s = await signIn((await person(null)).id);
    const { token } = await tokenFor(s, [...PERMISSIONS]);
    const other = await asBearer(token, 'GET', `/v1/accounts/${accountId}/balance`);
    expect(other.status).toBe(404);
    expect(other.body.code).toBe('not_found');
  });

  it('is refused once revoked, at once, and revoking is the owner\'s only', async () => {
    const user = await person('owner');
    const s = await signIn(user.id);
    const { token, id } = await tokenFor(s, ['billing:read']);
    expect((await asBearer(token, 'GET', `/v1/accounts/${accountId}/balance`)).status).toBe(200);

    // Someone else cannot revoke it (nor learn it exists).
    const stranger = await signIn((await person('owner')).id);
    expect((await asSession(stranger, 'DELETE', `/v1/me/tokens/${id}`)).status).toBe(404);
    expect((await asBearer(token, 'GET', `/v1/accounts/${accountId}/balance`)).status).toBe(200);

    expect((await asSession(s, 'DELETE', `/v1/me/tokens/${id}`)).status).toBe(204);
    const refused = await asBearer(token, 'GET', `/v1/accounts/${accountId}/balance`);
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('unauthorized');
    // Twice is harmless, and audited once.
    expect((await asSession(s, 'DELETE', `/v1/me/tokens/${id}`)).status).toBe(204);
    const audits = await h.kassa.db.select().from(auditLog).where(and(eq(auditLog.action, 'token.revoked'), eq(auditLog.target, `token:${id}`)));
    expect(audits).toHaveLength(1);
    const listed = await asSession(s, 'GET', '/v1/me/tokens');
    expect(listed.body.data.find((t: { id: number }) => t.id === id).revoked_at).toBe(h.kassa.clock.now().toISOString());
    expect((await asSession(s, 'DELETE', '/v1/me/tokens/999999')).status).toBe(404);
  });

  it('survives logout-all unless asked, and logout-all with revoke_tokens ends them at once', async () => {
    const user = await person('owner');
    const laptop = await signIn(user.id);
    const { token } = await tokenFor(laptop, ['billing:read']);
    const out = await asSession(laptop, 'POST', '/v1/auth/logout-all');
    expect(out.body).toMatchObject({ status: 'signed_out', revoked_sessions: 1, revoked_tokens: 0 });
    expect((await asBearer(token, 'GET', `/v1/accounts/${accountId}/balance`)).status).toBe(200); // a script keeps running

    const phone = await signIn(user.id);
    const lost = await asSession(phone, 'POST', '/v1/auth/logout-all', { revoke_tokens: true });
    expect(lost.body).toMatchObject({ status: 'signed_out', revoked_sessions: 1, revoked_tokens: 1 });
    expect((await asBearer(token, 'GET', `/v1/accounts/${accountId}/balance`)).status).toBe(401);
    const [audit] = await h.kassa.db.select().from(auditLog).where(and(eq(auditLog.action, 'logout.all'), eq(auditLog.actorId, user.id))).orderBy(auditLog.id);
    expect(audit).toBeDefined();
  });

  it('is refused without CSRF token when a session revokes (a cookie alone is not enough)', async () => {
    const s = await signIn((await person('owner')).id);
    const { id } = await tokenFor(s, ['billing:read']);
    const noCsrf = await inject('DELETE', `/v1/me/tokens/${id}`, {}, undefined, { kassa_session: s.cookie });
    expect(noCsrf.status).toBe(403);
    const [row] = await h.kassa.db.select().from(personalAccessTokens).where(eq(personalAccessTokens.id, id));
    expect(row!.revokedAt).toBeNull();
  });

  it('stops working when its user is disabled or loses verification (after the cache re-checks)', async () => {
    const user = await person('owner');
    const s = await signIn(user.id);
    const { token } = await tokenFor(s, ['billing:read']);
    expect((await asBearer(token, 'GET', `/v1/accounts/${accountId}/balance`)).status).toBe(200);
    await h.kassa.db.update(users).set({ status: 'disabled' }).where(eq(users.id, user.id));
    forgetPersonalTokens(h.kassa, user.id); // what the 5-second re-check does
    expect((await asBearer(token, 'GET', `/v1/accounts/${accountId}/balance`)).status).toBe(401);
    await h.kassa.db.update(users).set({ status: 'active', emailVerifiedAt: null }).where(eq(users.id, user.id));
    forgetPersonalTokens(h.kassa);
    expect((await asBearer(token, 'GET', `/v1/accounts/${accountId}/balance`)).status).toBe(401);
  });

  it('refuses garbage and unknown secrets', async () => {
    for (const secret of ['kassa_pat_', 'kassa_pat_nope', `kassa_pat_${'A'.repeat(43)}`, `kassa_pat_${'A'.repeat(500)}`, 'nope']) {
      expect((await asBearer(secret, 'GET', `/v1/accounts/${accountId}/balance`)).status).toBe(401);
    }
  });

  it('works through the function the routes use, acting as its user (an operator stays one)', async () => {
    const op = await person(null, { operator: true });
    const { secret } = await createPersonalToken(h.kassa.db, op.id, { name: 'ops', scopes: ['account:read'] }, h.kassa.clock.now());
    expect((await asBearer(secret, 'GET', `/v1/accounts/${accountId}`)).status).toBe(200);
    // Its scopes still bind it.
    expect((await asBearer(secret, 'GET', `/v1/accounts/${accountId}/balance`)).status).toBe(403);
    // And a narrowed token is no staff credential: staff-only routes refuse it.
    expect((await asBearer(secret, 'POST', '/v1/accounts', { name: 'Sneaky', currency: 'EUR' })).status).toBe(403);
    expect((await asBearer(secret, 'POST', '/v1/clock/advance', { seconds: 60 })).status).toBe(403);
  });
});

// These move the clock forward, so they run last.
describe('expiry and last use', () => {
  it('records last_used_at at most once a minute', async () => {
    const s = await signIn((await person('owner')).id);
    const { token, id } = await tokenFor(s, ['billing:read']);
    const lastUsed = async () => (await h.kassa.db.select().from(personalAccessTokens).where(eq(personalAccessTokens.id, id)))[0]!.lastUsedAt?.toISOString() ?? null;
    expect(await lastUsed()).toBeNull();
    const first = h.kassa.clock.now();
    expect((await asBearer(token, 'GET', `/v1/accounts/${accountId}/balance`)).status).toBe(200);
    expect(await lastUsed()).toBe(first.toISOString());
    clock().set(new Date(first.getTime() + 30_000));
    expect((await asBearer(token, 'GET', `/v1/accounts/${accountId}/balance`)).status).toBe(200);
    expect(await lastUsed()).toBe(first.toISOString());
    const later = new Date(first.getTime() + 61_000);
    clock().set(later);
    expect((await asBearer(token, 'GET', `/v1/accounts/${accountId}/balance`)).status).toBe(200);
    expect(await lastUsed()).toBe(later.toISOString());
    const listed = await asSession(await signIn((await h.kassa.db.select().from(personalAccessTokens).where(eq(personalAccessTokens.id, id)))[0]!.userId), 'GET', '/v1/me/tokens');
    expect(listed.body.data[0].last_used_at).toBe(later.toISOString());
  });

  it('is refused once expired', async () => {
    const s = await signIn((await person('owner')).id);
    const { token, expires_at } = await tokenFor(s, ['billing:read'], { expires_in_days: 1 });
    expect((await asBearer(token, 'GET', `/v1/accounts/${accountId}/balance`)).status).toBe(200);
    clock().set(new Date(new Date(expires_at).getTime() - 1000));
    expect((await asBearer(token, 'GET', `/v1/accounts/${accountId}/balance`)).status).toBe(200);
    clock().set(new Date(expires_at));
    expect((await asBearer(token, 'GET', `/v1/accounts/${accountId}/balance`)).status).toBe(401);
  });
});
