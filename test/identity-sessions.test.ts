// Login sessions (SPEC sections 1 and 15): HttpOnly SameSite cookies backed by the sessions
// table, a CSRF token for cookie-authenticated writes, sign-out here or everywhere, sessions
// that end, and login answers that do not tell a wrong password from an unknown address.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, sessions, users } from '../src/db/schema.js';
import { DEFAULT_PASSWORD_HASHING } from '../src/config.js';
import { usePasswordHashing } from '../src/identity/passwords/hash.js';
import { sha256 } from '../src/identity/signup/one-time-links.js';
import { newTotpSecret, totpCode } from '../src/identity/two-factor/totp.js';
import { type Harness, startHarness } from './support/harness.js';
import { anon, freshIp, logIn, signUpAndVerify } from './support/identity.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  for (const email of ['grace@example.com', 'alan@example.com', 'edsger@example.com', 'barbara@example.com', 'ken@example.com']) await signUpAndVerify(h, email);
});
afterAll(() => h.close());

describe('login', () => {
  it('answers a wrong password and an unknown address the same way, in similar time', async () => {
    // At the real cost, where one scrypt is most of a login's time (the suite's own is low).
    usePasswordHashing(DEFAULT_PASSWORD_HASHING);
    try {
      await answersAlikeInSimilarTime();
    } finally {
      usePasswordHashing(undefined);
    }
  });

  async function answersAlikeInSimilarTime() {
    await signUpAndVerify(h, 'grace-timed@example.com');
    const ip = freshIp();
    const time = async (body: object) => {
      const start = performance.now();
      const answer = await anon(h, 'POST', '/v1/auth/login', body, { ip });
      return { answer, ms: performance.now() - start };
    };
    await time({ email: 'nobody@example.com', password: 'warm-up-the-dummy-1' });
    const wrong = await time({ email: 'grace-timed@example.com', password: 'not-her-password-1' });
    const unknown = await time({ email: 'nobody@example.com', password: 'not-her-password-1' });
    expect(wrong.answer.status).toBe(401);
    expect(unknown.answer.status).toBe(401);
    // Alike but for each answer's own request id.
    expect({ ...unknown.answer.body, request_id: 'x' }).toEqual({ ...wrong.answer.body, request_id: 'x' });
    expect(wrong.answer.body).toMatchObject({ code: 'invalid_credentials', type: 'https://kassa.dev/problems/invalid_credentials' });
    expect(wrong.answer.setCookie).toEqual([]);
    // Both run one scrypt: neither answer comes back in a fraction of the other's time.
    expect(unknown.ms).toBeGreaterThan(wrong.ms / 3);
    expect(wrong.ms).toBeGreaterThan(unknown.ms / 3);
    const failures = await h.kassa.db.select().from(auditLog).where(eq(auditLog.action, 'login.failed'));
    expect(failures.filter((f) => f.ip === ip)).toHaveLength(3);
  }

  it('sets an HttpOnly, SameSite=Lax session cookie (Secure when configured) and answers the CSRF token, storing only hashes', async () => {
    const plain = await logIn(h, 'grace@example.com');
    expect(plain.answer.status).toBe(200);
    expect(plain.answer.body).toMatchObject({ user: { email: 'grace@example.com' }, csrf_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    expect(plain.answer.headers['cache-control']).toBe('no-store');
    const cookie = plain.answer.setCookie.find((c) => c.startsWith('kassa_session='))!;
    expect(cookie).toMatch(/; Max-Age=604800/);
    expect(cookie).toMatch(/; Path=\//);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    // The default public URL is http://localhost:3000, where a Secure cookie would never come back.
    expect(cookie).not.toMatch(/; Secure/);

    const saved = h.kassa.identity;
    h.kassa.identity = { publicUrl: 'https://billing.example.com', cookieSecure: true, passwordMaxAgeDays: 180 };
    try {
      const secure = await logIn(h, 'grace@example.com');
      expect(secure.answer.setCookie.find((c) => c.startsWith('kassa_session='))).toMatch(/; Secure/);
    } finally {
      h.kassa.identity = saved;
    }

    const [stored] = await h.kassa.db.select().from(sessions).where(eq(sessions.tokenHash, sha256(plain.cookie!)));
    expect(stored!.csrfTokenHash).toBe(sha256(plain.csrf!));
    expect(JSON.stringify(await h.kassa.db.select().from(sessions))).not.toContain(plain.cookie!);
  });

  it('asks for the second factor once 2FA is on: missing -> second_factor_required, wrong -> invalid_credentials, right -> signed in', async () => {
    const secret = newTotpSecret();
    await h.kassa.db.update(users).set({ totpSecret: secret, totpEnabledAt: h.kassa.clock.now() }).where(eq(users.email, 'ken@example.com'));
    const ip = freshIp();
    const missing = await anon(h, 'POST', '/v1/auth/login', { email: 'ken@example.com', password: 'sunny-meadow-42' }, { ip });
    expect(missing.status).toBe(401);
    expect(missing.body.code).toBe('second_factor_required');
    const right = totpCode(secret, h.kassa.clock.now());
    const wrongCode = right === '000000' ? '111111' : '000000';
    const wrong = await anon(h, 'POST', '/v1/auth/login', { email: 'ken@example.com', password: 'sunny-meadow-42', totp_code: wrongCode }, { ip });
    expect(wrong.status).toBe(401);
    expect(wrong.body.code).toBe('invalid_credentials');
    const good = await anon(h, 'POST', '/v1/auth/login', { email: 'ken@example.com', password: 'sunny-meadow-42', totp_code: right }, { ip });
    expect(good.status).toBe(200);
    // The password alone never reveals whether 2FA is on to someone without it.
    const badPassword = await anon(h, 'POST', '/v1/auth/login', { email: 'ken@example.com', password: 'wrong-password-9' }, { ip });
    expect(badPassword.body.code).toBe('invalid_credentials');

    // Guessing codes is capped per person, from any address: then even the right code waits.
    for (let i = 0; i < 10; i++) {
      await anon(h, 'POST', '/v1/auth/login', { email: 'ken@example.com', password: 'sunny-meadow-42', totp_code: wrongCode }, { ip: freshIp() });
    }
    const capped = await anon(h, 'POST', '/v1/auth/login', { email: 'ken@example.com', password: 'sunny-meadow-42', totp_code: totpCode(secret, h.kassa.clock.now()) }, { ip: freshIp() });
    expect(capped.status).toBe(429);
    expect(capped.body.code).toBe('rate_limited');
  });

  it('refuses a disabled user', async () => {
    await h.kassa.db.update(users).set({ status: 'disabled' }).where(eq(users.email, 'barbara@example.com'));
    const answer = (await logIn(h, 'barbara@example.com')).answer;
    expect(answer.status).toBe(403);
    expect(answer.setCookie).toEqual([]);
  });
});

describe('a session', () => {
  it('reads with the cookie alone, but writes only with the CSRF header that matches', async () => {
    const grace = await logIn(h, 'grace@example.com');
    expect((await anon(h, 'GET', '/v1/me', undefined, { cookie: grace.cookie })).status).toBe(200);

    const noHeader = await anon(h, 'POST', '/v1/auth/logout', undefined, { cookie: grace.cookie });
    expect(noHeader.status).toBe(403);
    expect(noHeader.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(noHeader.body.code).toBe('csrf_failed');
    const otherSession = await logIn(h, 'grace@example.com');
    const wrongHeader = await anon(h, 'POST', '/v1/auth/logout', undefined, { cookie: grace.cookie, csrf: otherSession.csrf });
    expect(wrongHeader.body.code).toBe('csrf_failed');
    // Still signed in: the refused writes did nothing.
    expect((await anon(h, 'GET', '/v1/me', undefined, { cookie: grace.cookie })).status).toBe(200);

    const out = await anon(h, 'POST', '/v1/auth/logout', undefined, grace);
    expect(out.status).toBe(200);
    expect(out.body).toEqual({ status: 'signed_out', revoked_sessions: 1, revoked_tokens: 0 });
    expect(out.setCookie.find((c) => c.startsWith('kassa_session='))).toMatch(/Expires=Thu, 01 Jan 1970/);
    const after = await anon(h, 'GET', '/v1/me', undefined, { cookie: grace.cookie });
    expect(after.status).toBe(401);
    expect(after.body.code).toBe('unauthorized');
    // The other session lives on.
    expect((await anon(h, 'GET', '/v1/me', undefined, { cookie: otherSession.cookie })).status).toBe(200);
  });

  it('logout-all ends every session of the user and no one else\'s', async () => {
    const phone = await logIn(h, 'alan@example.com');
    const laptop = await logIn(h, 'alan@example.com');
    const someoneElse = await logIn(h, 'edsger@example.com');
    const out = await anon(h, 'POST', '/v1/auth/logout-all', undefined, laptop);
    expect(out.status).toBe(200);
    expect(out.body.revoked_sessions).toBeGreaterThanOrEqual(2);
    for (const browser of [phone, laptop]) expect((await anon(h, 'GET', '/v1/me', undefined, { cookie: browser.cookie })).status).toBe(401);
    expect((await anon(h, 'GET', '/v1/me', undefined, { cookie: someoneElse.cookie })).status).toBe(200);
    const [alan] = await h.kassa.db.select().from(users).where(eq(users.email, 'alan@example.com'));
    const audit = await h.kassa.db.select().from(auditLog).where(eq(auditLog.action, 'logout.all'));
    expect(audit).toEqual([expect.objectContaining({ actorKind: 'user', actorId: alan!.id, target: `user:${alan!.id}` })]);
  });

  it('ends after 12 idle hours, is kept alive by use (last_seen_at at most once a minute), and ends after 7 days whatever', async () => {
    const edsger = await logIn(h, 'edsger@example.com');
    const [row] = await h.kassa.db.select().from(sessions).where(eq(sessions.id, await sessionIdOf(edsger.cookie!)));
    await h.call('POST', '/v1/clock/advance', { seconds: 30 });
    expect((await anon(h, 'GET', '/v1/me', undefined, { cookie: edsger.cookie })).status).toBe(200);
    const [unchanged] = await h.kassa.db.select().from(sessions).where(eq(sessions.id, row!.id));
    expect(unchanged!.lastSeenAt).toEqual(row!.lastSeenAt);

    // Used every 11 hours, it lives on past 12 hours...
    for (let i = 0; i < 3; i++) {
      await h.call('POST', '/v1/clock/advance', { seconds: 11 * 3600 });
      expect((await anon(h, 'GET', '/v1/me', undefined, { cookie: edsger.cookie })).status).toBe(200);
    }
    // ...and ends after 12 idle hours.
    await h.call('POST', '/v1/clock/advance', { seconds: 12 * 3600 });
    expect((await anon(h, 'GET', '/v1/me', undefined, { cookie: edsger.cookie })).status).toBe(401);

    const fresh = await logIn(h, 'edsger@example.com');
    for (let hours = 0; hours < 7 * 24 - 11; hours += 11) {
      await h.call('POST', '/v1/clock/advance', { seconds: 11 * 3600 });
      expect((await anon(h, 'GET', '/v1/me', undefined, { cookie: fresh.cookie })).status).toBe(200);
    }
    await h.call('POST', '/v1/clock/advance', { seconds: 11 * 3600 });
    expect((await anon(h, 'GET', '/v1/me', undefined, { cookie: fresh.cookie })).status).toBe(401);
  });

  it('refuses a made-up cookie, and /v1/me is for people, not provider keys', async () => {
    expect((await anon(h, 'GET', '/v1/me', undefined, { cookie: 'bm90LWEtcmVhbC1zZXNzaW9uLXNlY3JldC14eHh4eHh4' })).status).toBe(401);
    expect((await anon(h, 'GET', '/v1/me', undefined, { cookie: 'x' })).status).toBe(401);
    expect((await anon(h, 'GET', '/v1/me')).status).toBe(401);
    expect((await h.call('GET', '/v1/me')).status).toBe(403);
    expect((await h.call('POST', '/v1/auth/logout')).status).toBe(403);
  });

  it('never lets a session reach the provider\'s staff routes', async () => {
    const grace = await logIn(h, 'grace@example.com');
    const answer = await anon(h, 'GET', '/v1/accounts', undefined, grace);
    expect(answer.status).toBe(403);
  });
});

async function sessionIdOf(secret: string): Promise<number> {
  const [row] = await h.kassa.db.select().from(sessions).where(eq(sessions.tokenHash, sha256(secret)));
  return row!.id;
}
