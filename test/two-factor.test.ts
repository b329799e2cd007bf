// Two-factor authentication (SPEC 1, issue 3 item 4): TOTP enrolment with an otpauth URI,
// confirmation by a first code, ten one-time recovery codes stored hashed, disable with a
// fresh code; a password alone is not enough once on; a code never works twice; an owner can
// require 2FA of every member of the account.
import { createHash, randomBytes } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../src/time/clock.js';
import { accounts, auditLog, memberships, recoveryCodes, sessions, users, type Role } from '../src/db/schema.js';
import { PERMISSIONS } from '../src/auth/permissions.js';
import { hashPassword } from '../src/identity/passwords/hash.js';
import { login } from '../src/identity/sessions/login.js';
import { createPersonalToken } from '../src/identity/tokens/create.js';
import { hashRecoveryCode, totpCode } from '../src/identity/two-factor/totp.js';
import { verifySecondFactor } from '../src/identity/two-factor/verify.js';
import { type Harness, startHarness } from './support/harness.js';

let h: Harness;
let accountId: number;
beforeAll(async () => {
  h = await startHarness({ clockStart: '2026-11-02T13:00:00Z' });
  accountId = (await h.call('POST', '/v1/accounts', { name: 'Acme', currency: 'EUR' })).body.id;
});
afterAll(() => h.close());

// ---------- people, sessions, calls and time ----------

const clock = () => h.kassa.clock as SimulatedClock;
/** Moves the simulated clock on by whole TOTP steps (30 s), so a new code is due. */
const nextStep = (steps = 1) => clock().set(new Date(h.kassa.clock.now().getTime() + steps * 30_000));
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
let people = 0;

async function person(role: Role | null, account = accountId, over: Partial<typeof users.$inferInsert> = {}) {
  const now = h.kassa.clock.now();
  const [user] = await h.kassa.db.insert(users).values({ email: `f${++people}@example.test`, emailVerifiedAt: now, createdAt: now, ...over }).returning();
  if (role) await h.kassa.db.insert(memberships).values({ accountId: account, userId: user!.id, role, createdAt: now });
  return user!;
}

const userRow = async (id: number) => (await h.kassa.db.select().from(users).where(eq(users.id, id)))[0]!;

interface Session { cookie: string; csrf: string }

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
type Reply = { status: number; body: any; headers: Record<string, unknown> };

async function inject(method: string, url: string, headers: Record<string, string>, body?: unknown, cookies?: Record<string, string>): Promise<Reply> {
  const response = await h.app.inject({
    method: method as 'GET',
    url,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    cookies,
    payload: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : undefined, headers: response.headers };
}

const asSession = (s: Session, method: string, url: string, body?: unknown) => inject(method, url, { 'x-csrf-token': s.csrf }, body, { kassa_session: s.cookie });
const asBearer = (secret: string, method: string, url: string, body?: unknown) => inject(method, url, { authorization: `Bearer ${secret}` }, body);

/** Enrols and confirms through the API; answers the secret and the recovery codes. */
async function turnOn(s: Session): Promise<{ secret: string; codes: string[] }> {
  const enrolled = await asSession(s, 'POST', '/v1/me/two-factor/enrol');
  expect(enrolled.status).toBe(200);
  const confirmed = await asSession(s, 'POST', '/v1/me/two-factor/confirm', { code: totpCode(enrolled.body.secret, h.kassa.clock.now()) });
  expect(confirmed.status).toBe(200);
  return { secret: enrolled.body.secret, codes: confirmed.body.recovery_codes };
}

const audits = (action: string, target: string) => h.kassa.db.select().from(auditLog).where(and(eq(auditLog.action, action), eq(auditLog.target, target)));

// ---------- tests ----------

describe('enrolling', () => {
  it('gives a secret and an otpauth URI, not in force until a first code confirms it', async () => {
    const user = await person('owner');
    const s = await signIn(user.id);
    expect((await asSession(s, 'GET', '/v1/me/two-factor')).body).toEqual({ enabled: false, enabled_at: null, pending: false, recovery_codes_remaining: 0 });

    const enrolled = await asSession(s, 'POST', '/v1/me/two-factor/enrol');
    expect(enrolled.status).toBe(200);
    expect(enrolled.headers['cache-control']).toBe('no-store');
    const { secret, otpauth_uri } = enrolled.body;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const uri = new URL(otpauth_uri);
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe(`/Kassa:${user.email}`);
    expect(Object.fromEntries(uri.searchParams)).toMatchObject({ issuer: 'Kassa', secret, algorithm: 'SHA1', digits: '6', period: '30' });
    expect((await asSession(s, 'GET', '/v1/me/two-factor')).body).toMatchObject({ enabled: false, pending: true });
    // Stored sealed under KASSA_SECRET_KEY (src/shared/secret-box.ts), never in clear.
    const storedSecret = (await userRow(user.id)).totpSecret!;
    expect(storedSecret).toMatch(new RegExp(`^kassa:v1:${h.kassa.secrets.currentKeyId}:`));
    expect(storedSecret).not.toContain(secret);
    // Pending is not on: the password alone still signs in.
    expect(await verifySecondFactor(h.kassa.db, h.kassa.secrets, await userRow(user.id), {}, h.kassa.clock.now())).toBe(true);

    const wrong = await asSession(s, 'POST', '/v1/me/two-factor/confirm', { code: totpCode(secret, new Date(h.kassa.clock.now().getTime() - 5 * 60_000)) });
    expect(wrong.status).toBe(422);
    expect(wrong.body).toMatchObject({ code: 'invalid_code', field: '/code' });
    expect((await userRow(user.id)).totpEnabledAt).toBeNull();

    const confirmed = await asSession(s, 'POST', '/v1/me/two-factor/confirm', { code: totpCode(secret, h.kassa.clock.now()) });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.enabled_at).toBe(h.kassa.clock.now().toISOString());
    const codes: string[] = confirmed.body.recovery_codes;
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}$/);

    // Stored hashed only.
    const stored = await h.kassa.db.select().from(recoveryCodes).where(eq(recoveryCodes.userId, user.id));
    expect(stored.map((r) => r.codeHash).sort()).toEqual(codes.map((c) => hashRecoveryCode(c)!).sort());
    expect(JSON.stringify(stored)).not.toContain(codes[0]!.replaceAll('-', '').slice(0, 8));

    expect((await asSession(s, 'GET', '/v1/me/two-factor')).body).toEqual({ enabled: true, enabled_at: confirmed.body.enabled_at, pending: false, recovery_codes_remaining: 10 });
    expect(await audits('two_factor.enabled', `user:${user.id}`)).toHaveLength(1);

    // On is on: neither a new enrolment nor a second confirmation.
    expect((await asSession(s, 'POST', '/v1/me/two-factor/enrol')).status).toBe(409);
    nextStep();
    expect((await asSession(s, 'POST', '/v1/me/two-factor/confirm', { code: totpCode(secret, h.kassa.clock.now()) })).status).toBe(409);
  });

  it('confirming without enrolling is refused', async () => {
    const s = await signIn((await person('owner')).id);
    const refused = await asSession(s, 'POST', '/v1/me/two-factor/confirm', { code: '123456' });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('invalid_state');
  });

  it('is the signed-in person\'s own: provider keys and tokens are refused', async () => {
    const user = await person('owner');
    const { secret } = await createPersonalToken(h.kassa.db, user.id, { name: 'all', scopes: [...PERMISSIONS] }, h.kassa.clock.now());
    for (const [method, url, body] of [
      ['GET', '/v1/me/two-factor', undefined],
      ['POST', '/v1/me/two-factor/enrol', undefined],
      ['POST', '/v1/me/two-factor/confirm', { code: '123456' }],
      ['POST', '/v1/me/two-factor/disable', { code: '123456' }],
      ['POST', '/v1/me/two-factor/recovery-codes', { code: '123456' }],
    ] as const) {
      expect((await h.call(method, url, body)).status, url).toBe(403);
      expect((await asBearer(secret, method, url, body)).status, url).toBe(403);
    }
    expect((await userRow(user.id)).totpSecret).toBeNull();
  });
});

describe('the second factor', () => {
  it('is required once on: the password alone is not enough, a current code is, and only once', async () => {
    const user = await person('owner');
    const s = await signIn(user.id);
    const { secret } = await turnOn(s);
    const row = await userRow(user.id);
    const now = () => h.kassa.clock.now();

    expect(await verifySecondFactor(h.kassa.db, h.kassa.secrets, row, {}, now())).toBe(false);
    expect(await verifySecondFactor(h.kassa.db, h.kassa.secrets, row, { totp_code: '000000' }, now())).toBe(false);
    // The confirming code's step is spent.
    expect(await verifySecondFactor(h.kassa.db, h.kassa.secrets, row, { totp_code: totpCode(secret, now()) }, now())).toBe(false);

    nextStep();
    const code = totpCode(secret, now());
    expect(await verifySecondFactor(h.kassa.db, h.kassa.secrets, row, { totp_code: code }, now())).toBe(true);
    // Replayed within its window: refused.
    expect(await verifySecondFactor(h.kassa.db, h.kassa.secrets, row, { totp_code: code }, now())).toBe(false);
    nextStep();
    expect(await verifySecondFactor(h.kassa.db, h.kassa.secrets, row, { totp_code: code }, now())).toBe(false);
    // The clock drift window: a code of the next step is accepted now; then the current one (older) is not.
    const ahead = totpCode(secret, new Date(now().getTime() + 30_000));
    const current = totpCode(secret, now());
    expect(await verifySecondFactor(h.kassa.db, h.kassa.secrets, row, { totp_code: ahead }, now())).toBe(true);
    expect(await verifySecondFactor(h.kassa.db, h.kassa.secrets, row, { totp_code: current }, now())).toBe(false);
    // Two steps old: out of the window.
    nextStep(3);
    expect(await verifySecondFactor(h.kassa.db, h.kassa.secrets, row, { totp_code: totpCode(secret, new Date(now().getTime() - 60_000)) }, now())).toBe(false);
  });

  it('accepts each recovery code exactly once (any case, with or without dashes)', async () => {
    const user = await person('owner');
    const s = await signIn(user.id);
    const { codes } = await turnOn(s);
    const row = await userRow(user.id);
    const now = h.kassa.clock.now();
    expect(await verifySecondFactor(h.kassa.db, h.kassa.secrets, row, { recovery_code: codes[0] }, now)).toBe(true);
    expect(await verifySecondFactor(h.kassa.db, h.kassa.secrets, row, { recovery_code: codes[0] }, now)).toBe(false);
    expect(await verifySecondFactor(h.kassa.db, h.kassa.secrets, row, { recovery_code: codes[1]!.replaceAll('-', '').toUpperCase() }, now)).toBe(true);
    expect(await verifySecondFactor(h.kassa.db, h.kassa.secrets, row, { recovery_code: codes[1] }, now)).toBe(false);
    expect(await verifySecondFactor(h.kassa.db, h.kassa.secrets, row, { recovery_code: 'aaaa-bbbb-cccc-dddd' }, now)).toBe(false);
    expect(await verifySecondFactor(h.kassa.db, h.kassa.secrets, row, { recovery_code: '' }, now)).toBe(false);
    expect((await asSession(s, 'GET', '/v1/me/two-factor')).body.recovery_codes_remaining).toBe(8);
    const used = await audits('recovery_code.used', `user:${user.id}`);
    expect(used.map((a) => a.data)).toEqual([{ remaining: 9 }, { remaining: 8 }]);
  });

  it('is asked for at login once on, and a recovery code signs in once', async () => {
    const password = 'correct horse battery staple 42';
    const user = await person('owner', accountId, { passwordHash: await hashPassword(password), passwordChangedAt: h.kassa.clock.now() });
    const { secret, codes } = await turnOn(await signIn(user.id));
    const client = { ip: '192.0.2.1', userAgent: 'test' };
    const alone = await login(h.kassa, { email: user.email, password }, client);
    expect(alone.ok).toBe(false);
    if (!alone.ok) expect(alone.failure.code).toBe('second_factor_required');
    const wrong = await login(h.kassa, { email: user.email, password, totp_code: '000000' }, client);
    expect(wrong.ok).toBe(false);
    nextStep();
    const code = totpCode(secret, h.kassa.clock.now());
    expect((await login(h.kassa, { email: user.email, password, totp_code: code }, client)).ok).toBe(true);
    expect((await login(h.kassa, { email: user.email, password, totp_code: code }, client)).ok).toBe(false); // replayed
    expect((await login(h.kassa, { email: user.email, password, recovery_code: codes[3] }, client)).ok).toBe(true);
    expect((await login(h.kassa, { email: user.email, password, recovery_code: codes[3] }, client)).ok).toBe(false);
  });

  it('limits wrong codes: after ten, even a right one waits', async () => {
    const user = await person('owner');
    const s = await signIn(user.id);
    const { secret } = await turnOn(s);
    for (let i = 0; i < 10; i++) expect((await asSession(s, 'POST', '/v1/me/two-factor/disable', { code: '000000' })).status).toBe(422);
    nextStep();
    const limited = await asSession(s, 'POST', '/v1/me/two-factor/disable', { code: totpCode(secret, h.kassa.clock.now()) });
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe('rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    clock().set(new Date(h.kassa.clock.now().getTime() + 15 * 60_000));
    expect((await asSession(await signIn(user.id), 'POST', '/v1/me/two-factor/disable', { code: totpCode(secret, h.kassa.clock.now()) })).status).toBe(200);
  });
  it('never locks the owner out: after ten wrong codes a recovery code still signs in', async () => {
    const password = 'a long enough password 9';
    const user = await person('owner', accountId, { passwordHash: await hashPassword(password), passwordChangedAt: h.kassa.clock.now() });
    const { secret, codes } = await turnOn(await signIn(user.id));
    const client = { ip: '192.0.2.9', userAgent: 'test' };
    // Someone who knows the password guesses six-digit codes until they are held back.
    for (let i = 0; i < 10; i++) expect((await login(h.kassa, { email: user.email, password, totp_code: '000000' }, client)).ok).toBe(false);
    nextStep();
    const held = await login(h.kassa, { email: user.email, password, totp_code: totpCode(secret, h.kassa.clock.now()) }, client);
    expect(held.ok ? undefined : held.failure.code).toBe('rate_limited');
    // The owner still gets in with a recovery code, and may disable 2FA with another.
    expect((await login(h.kassa, { email: user.email, password, recovery_code: codes[0] }, client)).ok).toBe(true);
    const s = await signIn(user.id);
    expect((await asSession(s, 'POST', '/v1/me/two-factor/disable', { code: codes[1] })).status).toBe(200);
  });
});

describe('disabling and new recovery codes', () => {
  it('needs a fresh code; then the password alone is enough again', async () => {
    const user = await person('owner');
    const s = await signIn(user.id);
    const { secret, codes } = await turnOn(s);
    // The code that confirmed is spent; a made-up one is wrong.
    expect((await asSession(s, 'POST', '/v1/me/two-factor/disable', { code: totpCode(secret, h.kassa.clock.now()) })).status).toBe(422);
    expect((await asSession(s, 'POST', '/v1/me/two-factor/disable', { code: 'zzzz-zzzz-zzzz-zzzz' })).status).toBe(422);
    expect((await userRow(user.id)).totpEnabledAt).not.toBeNull();

    nextStep();
    const off = await asSession(s, 'POST', '/v1/me/two-factor/disable', { code: totpCode(secret, h.kassa.clock.now()) });
    expect(off.status).toBe(200);
    expect(off.body).toEqual({ accounts_requiring_two_factor: [] });
    const row = await userRow(user.id);
    expect(row).toMatchObject({ totpSecret: null, totpEnabledAt: null });
    expect(await h.kassa.db.select().from(recoveryCodes).where(eq(recoveryCodes.userId, user.id))).toEqual([]);
    expect(await verifySecondFactor(h.kassa.db, h.kassa.secrets, row, {}, h.kassa.clock.now())).toBe(true);
    expect(await verifySecondFactor(h.kassa.db, h.kassa.secrets, row, { recovery_code: codes[0] }, h.kassa.clock.now())).toBe(true); // no 2FA: nothing asked
    expect((await audits('two_factor.disabled', `user:${user.id}`))[0]!.data).toEqual({ with: 'totp' });
    expect((await asSession(s, 'POST', '/v1/me/two-factor/disable', { code: '123456' })).status).toBe(409);
  });

  it('takes a recovery code instead (which is then spent)', async () => {
    const user = await person('owner');
    const s = await signIn(user.id);
    const { codes } = await turnOn(s);
    expect((await asSession(s, 'POST', '/v1/me/two-factor/disable', { code: codes[5] })).status).toBe(200);
    expect((await audits('two_factor.disabled', `user:${user.id}`))[0]!.data).toEqual({ with: 'recovery_code' });
    expect(await audits('recovery_code.used', `user:${user.id}`)).toHaveLength(1);
  });

  it('regenerates the recovery codes for a fresh code: the old ones stop working', async () => {
    const user = await person('owner');
    const s = await signIn(user.id);
    const { secret, codes } = await turnOn(s);
    nextStep();
    const fresh = await asSession(s, 'POST', '/v1/me/two-factor/recovery-codes', { code: totpCode(secret, h.kassa.clock.now()) });
    expect(fresh.status).toBe(200);
    expect(fresh.body.recovery_codes).toHaveLength(10);
    const row = await userRow(user.id);
    expect(await verifySecondFactor(h.kassa.db, h.kassa.secrets, row, { recovery_code: codes[0] }, h.kassa.clock.now())).toBe(false);
    expect(await verifySecondFactor(h.kassa.db, h.kassa.secrets, row, { recovery_code: fresh.body.recovery_codes[0] }, h.kassa.clock.now())).toBe(true);
  });
});

describe('an account that requires 2FA', () => {
  it('refuses its members without 2FA (session or token) until they enrol, and not those with it', async () => {
    const account = (await h.call('POST', '/v1/accounts', { name: 'Strict', currency: 'EUR' })).body.id as number;
    const owner = await person('owner', account);
    const member = await person('member', account);
    const viewer = await person('viewer', account);
    const ownerSession = await signIn(owner.id);
    const memberSession = await signIn(member.id);
    const viewerSession = await signIn(viewer.id);
    const { secret: memberToken } = await createPersonalToken(h.kassa.db, member.id, { name: 'ci', scopes: [...PERMISSIONS] }, h.kassa.clock.now());
    const balance = `/v1/accounts/${account}/balance`;
    const security = `/v1/accounts/${account}/security`;

    // The owner must have 2FA to require it (else they would lock themselves out).
    const first = await asSession(ownerSession, 'PUT', security, { require_two_factor: true });
    expect(first.status).toBe(409);
    expect(first.body.code).toBe('invalid_state');
    await turnOn(ownerSession);
    // A viewer may read the setting but not change it.
    expect((await asSession(viewerSession, 'PUT', security, { require_two_factor: true })).status).toBe(403);
    expect((await asSession(viewerSession, 'GET', security)).body).toEqual({ account_id: account, require_two_factor: false, members_without_two_factor: 2 });

    const on = await asSession(ownerSession, 'PUT', security, { require_two_factor: true });
    expect(on.status).toBe(200);
    expect(on.body).toEqual({ account_id: account, require_two_factor: true, members_without_two_factor: 2 });
    const [audit] = await h.kassa.db.select().from(auditLog).where(and(eq(auditLog.action, 'account.require_two_factor_changed'), eq(auditLog.accountId, account)));
    expect(audit).toMatchObject({ actorKind: 'user', actorId: owner.id, data: { require_two_factor: true, previous: false } });
    expect((await h.kassa.db.select({ r: accounts.requireTwoFactor }).from(accounts).where(eq(accounts.id, account)))[0]!.r).toBe(true);

    // The owner (with 2FA) goes on; the member without it is refused, by session and by token.
    expect((await asSession(ownerSession, 'GET', balance)).status).toBe(200);
    const refused = await asSession(memberSession, 'GET', balance);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'two_factor_required', account_id: account });
    expect((await asBearer(memberToken, 'GET', balance)).body.code).toBe('two_factor_required');
    expect((await asBearer(memberToken, 'GET', `/v1/accounts/${account}`)).body.code).toBe('two_factor_required');
    // Other accounts of theirs are not affected.
    expect((await asSession(memberSession, 'GET', `/v1/accounts/${accountId}/balance`)).status).toBe(404);

    // /v1/me stays open so they can enrol; then they are let in.
    const { secret } = await turnOn(memberSession);
    expect((await asSession(memberSession, 'GET', balance)).status).toBe(200);
    expect((await asBearer(memberToken, 'GET', balance)).status).toBe(200);

    // Switching 2FA off again locks them out again, and says so.
    nextStep();
    const off = await asSession(memberSession, 'POST', '/v1/me/two-factor/disable', { code: totpCode(secret, h.kassa.clock.now()) });
    expect(off.body).toEqual({ accounts_requiring_two_factor: [account] });
    expect((await asSession(memberSession, 'GET', balance)).body.code).toBe('two_factor_required');

    // The owner lifts the requirement: everyone is back.
    expect((await asSession(ownerSession, 'PUT', security, { require_two_factor: false })).body.require_two_factor).toBe(false);
    expect((await asSession(memberSession, 'GET', balance)).status).toBe(200);
    expect((await asSession(viewerSession, 'GET', balance)).status).toBe(200);

    // The provider's key is not a member: never asked.
    expect((await h.call('PUT', security, { require_two_factor: true })).status).toBe(200);
    expect((await h.call('GET', balance)).status).toBe(200);
    expect((await h.call('PUT', '/v1/accounts/999999/security', { require_two_factor: true })).status).toBe(404);
  });
});
