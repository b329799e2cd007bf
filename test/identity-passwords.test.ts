// Passwords (SPEC section 1): reset by a mailed single-use link that ends every session;
// expiry after 180 days with heads-ups 14, 7 and 1 day before, sent once each by the job the
// simulated clock runs; a forced change at the next login once expired.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, users } from '../src/db/schema.js';
import { type Harness, startHarness } from './support/harness.js';
import { anon, freshIp, logIn, mailsTo, sessionCookie, signUpAndVerify, tokenIn } from './support/identity.js';

let h: Harness;
beforeAll(async () => {
  // Signed up at the clock's start: their passwords expire on 2027-05-01T00:00Z.
  h = await startHarness({ clockStart: '2026-11-02T00:00:00Z' });
  for (const email of ['reset@example.com', 'change@example.com', 'expiry@example.com']) await signUpAndVerify(h, email);
});
afterAll(() => h.close());

describe('password reset', () => {
  it('answers 202 alike for any address, mails a 1-hour single-use link only to a known one, and the new password ends every session', async () => {
    const phone = await logIn(h, 'reset@example.com');
    const laptop = await logIn(h, 'reset@example.com');
    const ip = freshIp();
    const started = h.kassa.background.started;
    const known = await anon(h, 'POST', '/v1/auth/password/reset', { email: 'Reset@Example.com' }, { ip });
    const afterKnown = h.kassa.background.started;
    const unknown = await anon(h, 'POST', '/v1/auth/password/reset', { email: 'stranger@example.com' }, { ip });
    expect(known.status).toBe(202);
    expect(unknown.status).toBe(202);
    expect(unknown.body).toEqual(known.body);
    // Both answered the same way in the same time: each only started the same background
    // work, so no one can tell a known address by how long its answer took.
    expect([afterKnown - started, h.kassa.background.started - afterKnown]).toEqual([1, 1]);
    await h.kassa.background.settled();
    expect(await mailsTo(h, 'stranger@example.com')).toHaveLength(0);
    const mail = (await mailsTo(h, 'reset@example.com')).find((m) => m.template === 'reset_password')!;
    expect(mail.text).toMatch(/http:\/\/localhost:3000\/reset-password\?token=/);
    const token = tokenIn(mail.text);

    // A weak choice is refused and leaves the link usable.
    const weak = await anon(h, 'POST', '/v1/auth/password/reset/confirm', { token, new_password: 'password' }, { ip });
    expect(weak.status).toBe(400);
    expect(weak.body).toMatchObject({ code: 'weak_password', field: '/new_password' });
    const same = await anon(h, 'POST', '/v1/auth/password/reset/confirm', { token, new_password: 'sunny-meadow-42' }, { ip });
    expect(same.body.code).toBe('weak_password');

    const done = await anon(h, 'POST', '/v1/auth/password/reset/confirm', { token, new_password: 'quiet-harbour-77' }, { ip });
    expect(done.status).toBe(200);
    expect(done.body).toEqual({ status: 'password_changed', revoked_sessions: 2 });
    for (const browser of [phone, laptop]) expect((await anon(h, 'GET', '/v1/me', undefined, { cookie: browser.cookie })).status).toBe(401);
    expect((await logIn(h, 'reset@example.com')).answer.status).toBe(401);
    expect((await logIn(h, 'reset@example.com', 'quiet-harbour-77')).answer.status).toBe(200);

    const again = await anon(h, 'POST', '/v1/auth/password/reset/confirm', { token, new_password: 'other-harbour-88' }, { ip });
    expect(again.status).toBe(400);
    expect(again.body.code).toBe('invalid_token');
    const [user] = await h.kassa.db.select().from(users).where(eq(users.email, 'reset@example.com'));
    expect(user!.passwordChangedAt).toEqual(h.kassa.clock.now());
    const audit = await h.kassa.db.select().from(auditLog).where(eq(auditLog.target, `user:${user!.id}`));
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['password.reset_requested', 'password.reset']));
    expect(JSON.stringify(audit)).not.toContain(token);
  });

  it('a reset link expires after an hour', async () => {
    await anon(h, 'POST', '/v1/auth/password/reset', { email: 'reset@example.com' }, { ip: freshIp() });
    await h.kassa.background.settled();
    const mail = (await mailsTo(h, 'reset@example.com')).filter((m) => m.template === 'reset_password').at(-1)!;
    await h.call('POST', '/v1/clock/advance', { seconds: 3601 });
    const late = await anon(h, 'POST', '/v1/auth/password/reset/confirm', { token: tokenIn(mail.text), new_password: 'late-harbour-99' }, { ip: freshIp() });
    expect(late.body.code).toBe('invalid_token');
  });
});

describe('changing a password while signed in', () => {
  it('needs the current password (and the CSRF header), and ends the other sessions but not this one', async () => {
    const here = await logIn(h, 'change@example.com');
    const elsewhere = await logIn(h, 'change@example.com');
    const body = { current_password: 'not-the-current-1', new_password: 'brand-new-pass-12' };
    expect((await anon(h, 'POST', '/v1/auth/password/change', body, { cookie: here.cookie })).body.code).toBe('csrf_failed');
    const wrong = await anon(h, 'POST', '/v1/auth/password/change', body, here);
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ code: 'invalid_credentials', field: '/current_password' });
    const changed = await anon(h, 'POST', '/v1/auth/password/change', { ...body, current_password: 'sunny-meadow-42' }, here);
    expect(changed.body).toEqual({ status: 'password_changed', revoked_sessions: 1 });
    expect((await anon(h, 'GET', '/v1/me', undefined, here)).status).toBe(200);
    expect((await anon(h, 'GET', '/v1/me', undefined, elsewhere)).status).toBe(401);
    expect((await logIn(h, 'change@example.com', 'brand-new-pass-12')).answer.status).toBe(200);
  });
});

describe('password expiry', () => {
  const notices = async () => (await mailsTo(h, 'expiry@example.com')).filter((m) => m.template === 'password_expiry_notice');
  const advanceTo = async (to: string) => expect((await h.call('POST', '/v1/clock/advance', { to, wait: true })).status).toBe(200);

  it('mails heads-ups 14, 7 and 1 day before, each exactly once, at the midnights the simulated clock passes', async () => {
    await advanceTo('2027-04-16T23:00:00Z');
    expect(await notices()).toHaveLength(0);
    await advanceTo('2027-04-17T00:00:00Z');
    expect((await notices()).map((m) => m.subject)).toEqual(['Your password expires in 14 day(s)']);
    await advanceTo('2027-04-23T23:59:00Z');
    expect(await notices()).toHaveLength(1);
    // One advance across both remaining heads-ups and the expiry itself.
    await advanceTo('2027-05-01T06:00:00Z');
    const sent = await notices();
    expect(sent.map((m) => [m.subject, m.createdAt.toISOString()])).toEqual([
      ['Your password expires in 14 day(s)', '2027-04-17T00:00:00.000Z'],
      ['Your password expires in 7 day(s)', '2027-04-24T00:00:00.000Z'],
      ['Your password expires in 1 day(s)', '2027-04-30T00:00:00.000Z'],
    ]);
    expect(sent[2]!.text).toContain('expires on 2027-05-01');
    expect(sent[2]!.text).toContain('http://localhost:3000/change-password');
    await advanceTo('2027-05-03T00:00:00Z');
    expect(await notices()).toHaveLength(3);
    // Every user whose password is as old got the same three, once each.
    expect((await mailsTo(h, 'change@example.com')).filter((m) => m.template === 'password_expiry_notice').map((m) => m.subject)).toEqual([
      'Your password expires in 14 day(s)', 'Your password expires in 7 day(s)', 'Your password expires in 1 day(s)',
    ]);
  });

  it('forces a change at the next login: password_expired with a change token, which refuses the old password and then signs in', async () => {
    const ip = freshIp();
    const expired = await anon(h, 'POST', '/v1/auth/login', { email: 'expiry@example.com', password: 'sunny-meadow-42' }, { ip });
    expect(expired.status).toBe(403);
    expect(expired.body).toMatchObject({ code: 'password_expired', change_token: expect.any(String), change_token_expires_at: '2027-05-03T00:15:00.000Z' });
    expect(expired.setCookie).toEqual([]);
    const token = expired.body.change_token as string;

    const reused = await anon(h, 'POST', '/v1/auth/password/change-expired', { token, new_password: 'sunny-meadow-42' }, { ip });
    expect(reused.status).toBe(400);
    expect(reused.body.code).toBe('weak_password');
    const changed = await anon(h, 'POST', '/v1/auth/password/change-expired', { token, new_password: 'fresh-spring-2027' }, { ip });
    expect(changed.status).toBe(200);
    expect(changed.body.user).toMatchObject({ email: 'expiry@example.com', password_changed_at: '2027-05-03T00:00:00.000Z', password_expires_at: '2027-10-30T00:00:00.000Z' });
    const browser = { cookie: sessionCookie(changed), csrf: changed.body.csrf_token };
    expect((await anon(h, 'GET', '/v1/me', undefined, browser)).status).toBe(200);
    expect((await anon(h, 'POST', '/v1/auth/password/change-expired', { token, new_password: 'another-one-2027' }, { ip })).body.code).toBe('invalid_token');

    expect((await logIn(h, 'expiry@example.com', 'fresh-spring-2027')).answer.status).toBe(200);
    const [user] = await h.kassa.db.select().from(users).where(eq(users.email, 'expiry@example.com'));
    expect(user!.passwordExpiryNoticeDays).toBeNull();
  });

  it('a wrong password to an expired account says invalid_credentials, never hands out a change token', async () => {
    // change@example.com changed on 2026-11-02 (during the test above): expired by now too.
    const wrong = await anon(h, 'POST', '/v1/auth/login', { email: 'change@example.com', password: 'not-the-password-1' }, { ip: freshIp() });
    expect(wrong.status).toBe(401);
    expect(wrong.body.change_token).toBeUndefined();
  });
});
