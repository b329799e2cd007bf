// Sign-up and e-mail verification (SPEC section 1): a trial account owned by the new user,
// opened by a single-use, expiring link; signing up again re-sends it; nobody learns from the
// answers who has an account.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accounts, auditLog, memberships, outbox, users } from '../src/db/schema.js';
import { type Harness, startHarness } from './support/harness.js';
import { anon, freshIp, logIn, mailsTo, signUpBody, tokenIn, verifyByLink } from './support/identity.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

describe('sign-up', () => {
  it('creates an unverified user owning a pending trial account, mails a link that activates it, and then the user can sign in', async () => {
    const ip = freshIp();
    const signedUp = await anon(h, 'POST', '/v1/auth/signup', signUpBody('Ada@Example.com'), { ip });
    expect(signedUp.status).toBe(202);
    expect(signedUp.body).toEqual({ status: 'accepted', detail: expect.any(String) });

    const [user] = await h.kassa.db.select().from(users).where(eq(users.email, 'ada@example.com'));
    expect(user).toMatchObject({ emailVerifiedAt: null, status: 'active', name: 'Ada Lovelace' });
    // Made with KASSA_PASSWORD_SCRYPT, which the suite sets (vitest.config.ts); ln=15,r=8,p=3 by default.
    expect(user!.passwordHash).toMatch(/^\$scrypt\$ln=10,r=8,p=1\$/);
    const [membership] = await h.kassa.db.select().from(memberships).where(eq(memberships.userId, user!.id));
    expect(membership!.role).toBe('owner');
    const [account] = await h.kassa.db.select().from(accounts).where(eq(accounts.id, membership!.accountId));
    expect(account).toMatchObject({ type: 'trial', status: 'pending_verification', name: 'Analytical Engines', currency: 'EUR' });

    const sent = await mailsTo(h, 'ada@example.com');
    expect(sent).toHaveLength(1);
    expect(sent[0]!.template).toBe('verify_email');
    expect(sent[0]!.text).toMatch(/http:\/\/localhost:3000\/verify\?token=[A-Za-z0-9_-]{43}\n/);

    const before = await logIn(h, 'ada@example.com');
    expect(before.answer.status).toBe(403);
    expect(before.answer.body.code).toBe('email_not_verified');

    const verified = await verifyByLink(h, sent[0]!.text, { ip });
    expect(verified.status).toBe(200);
    expect(verified.body).toEqual({ status: 'verified', email: 'ada@example.com' });
    const [activated] = await h.kassa.db.select().from(accounts).where(eq(accounts.id, account!.id));
    expect(activated!.status).toBe('active');
    const events = await h.kassa.db.select().from(outbox).where(eq(outbox.accountId, account!.id));
    expect(events.map((e) => [e.topic, (e.payload as { status?: string }).status])).toEqual([['account.created', undefined], ['account.updated', 'active']]);

    const session = await logIn(h, 'ada@example.com');
    expect(session.answer.status).toBe(200);
    const me = await anon(h, 'GET', '/v1/me', undefined, session);
    expect(me.status).toBe(200);
    expect(me.body.user).toMatchObject({ email: 'ada@example.com', name: 'Ada Lovelace', operator: false, two_factor_enabled: false, password_expires_at: '2027-05-01T00:00:00.000Z' });
    expect(me.body.memberships).toEqual([
      expect.objectContaining({ account_id: account!.id, account_name: 'Analytical Engines', account_type: 'trial', account_status: 'active', role: 'owner', permissions: expect.arrayContaining(['plan:read', 'members:write']) }),
    ]);

    const audit = await h.kassa.db.select().from(auditLog).where(eq(auditLog.target, `user:${user!.id}`));
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['user.signed_up', 'login.failed', 'user.email_verified', 'login.succeeded']));
    expect(audit.find((a) => a.action === 'user.signed_up')).toMatchObject({ accountId: account!.id, ip });
  });

  it('a verification link works once: the second click is invalid_token, and so is a made-up one', async () => {
    await anon(h, 'POST', '/v1/auth/signup', signUpBody('once@example.com'), { ip: freshIp() });
    const [mail] = await mailsTo(h, 'once@example.com');
    const token = tokenIn(mail!.text);
    expect((await anon(h, 'POST', `/v1/auth/verify?token=${token}`)).status).toBe(200);
    const again = await anon(h, 'POST', `/v1/auth/verify?token=${token}`);
    expect(again.status).toBe(400);
    expect(again.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(again.body).toMatchObject({ code: 'invalid_token', status: 400 });
    expect((await anon(h, 'POST', '/v1/auth/verify?token=bm90LWEtcmVhbC10b2tlbi1hdC1hbGwteHh4eHh4eA')).body.code).toBe('invalid_token');
  });

  it('a verification link expires after 24 hours', async () => {
    await anon(h, 'POST', '/v1/auth/signup', signUpBody('late@example.com'), { ip: freshIp() });
    const [mail] = await mailsTo(h, 'late@example.com');
    await h.call('POST', '/v1/clock/advance', { seconds: 24 * 3600 });
    const late = await verifyByLink(h, mail!.text);
    expect(late.status).toBe(400);
    expect(late.body.code).toBe('invalid_token');
    const [user] = await h.kassa.db.select().from(users).where(eq(users.email, 'late@example.com'));
    expect(user!.emailVerifiedAt).toBeNull();
  });

  it('signing up again with an unverified address re-sends the link with the same answer, and the latest sign-up sets the password', async () => {
    const first = await anon(h, 'POST', '/v1/auth/signup', signUpBody('again@example.com', 'first-choice-11'), { ip: freshIp() });
    const second = await anon(h, 'POST', '/v1/auth/signup', signUpBody('again@example.com', 'second-choice-22'), { ip: freshIp() });
    expect(second.status).toBe(first.status);
    expect(second.body).toEqual(first.body);
    const sent = await mailsTo(h, 'again@example.com');
    expect(sent.map((m) => m.template)).toEqual(['verify_email', 'verify_email']);
    expect(tokenIn(sent[0]!.text)).not.toBe(tokenIn(sent[1]!.text));
    expect(await h.kassa.db.select().from(users).where(eq(users.email, 'again@example.com'))).toHaveLength(1);

    expect((await verifyByLink(h, sent[1]!.text)).status).toBe(200);
    // The older link died with the verification.
    expect((await verifyByLink(h, sent[0]!.text)).body.code).toBe('invalid_token');
    expect((await logIn(h, 'again@example.com', 'first-choice-11')).answer.status).toBe(401);
    expect((await logIn(h, 'again@example.com', 'second-choice-22')).answer.status).toBe(200);
  });

  it('signing up with a verified address answers the same and sends an "already have an account" mail, creating nothing', async () => {
    const fresh = await anon(h, 'POST', '/v1/auth/signup', signUpBody('new-person@example.com'), { ip: freshIp() });
    const existing = await anon(h, 'POST', '/v1/auth/signup', signUpBody('ada@example.com'), { ip: freshIp() });
    expect(existing.status).toBe(fresh.status);
    expect(existing.body).toEqual(fresh.body);
    const sent = await mailsTo(h, 'ada@example.com');
    expect(sent.map((m) => m.template)).toEqual(['verify_email', 'account_exists']);
    const [user] = await h.kassa.db.select().from(users).where(eq(users.email, 'ada@example.com'));
    expect(await h.kassa.db.select().from(memberships).where(eq(memberships.userId, user!.id))).toHaveLength(1);
  });

  it('resend mails a new link to an unverified address and nothing to others, answering 202 alike', async () => {
    await anon(h, 'POST', '/v1/auth/signup', signUpBody('resend@example.com'), { ip: freshIp() });
    const ip = freshIp();
    const pending = await anon(h, 'POST', '/v1/auth/verify/resend', { email: 'RESEND@example.com' }, { ip });
    const unknown = await anon(h, 'POST', '/v1/auth/verify/resend', { email: 'nobody@example.com' }, { ip });
    const verified = await anon(h, 'POST', '/v1/auth/verify/resend', { email: 'ada@example.com' }, { ip });
    for (const answer of [pending, unknown, verified]) {
      expect(answer.status).toBe(202);
      expect(answer.body).toEqual(pending.body);
    }
    expect((await mailsTo(h, 'resend@example.com')).map((m) => m.template)).toEqual(['verify_email', 'verify_email']);
    expect(await mailsTo(h, 'nobody@example.com')).toHaveLength(0);
    const resent = (await mailsTo(h, 'resend@example.com'))[1]!;
    expect((await verifyByLink(h, resent.text)).status).toBe(200);
    expect((await logIn(h, 'resend@example.com')).answer.status).toBe(200);
  });

  it.each([
    [{ ...signUpBody('weak@example.com'), password: 'short' }, 'weak_password', '/password'],
    [{ ...signUpBody('weak@example.com'), password: 'alllowercaseletters' }, 'weak_password', '/password'],
    [{ ...signUpBody('weak@example.com'), currency: 'XYZ' }, 'unknown_currency', '/currency'],
    [{ ...signUpBody('not-an-address'), password: 'sunny-meadow-42' }, 'validation_failed', '/email'],
    [{ ...signUpBody('extra@example.com'), admin: true }, 'validation_failed', '/admin'],
  ])('refuses a bad sign-up with a problem and creates nothing (%#)', async (body, code, field) => {
    const answer = await anon(h, 'POST', '/v1/auth/signup', body, { ip: freshIp() });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code, field });
    expect(await h.kassa.db.select().from(users).where(eq(users.email, String(body.email).toLowerCase()))).toHaveLength(0);
  });
});
