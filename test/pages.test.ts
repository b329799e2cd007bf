// The pages behind mailed links (issue 16, item 3): opening a link spends nothing (a mail
// scanner's prefetch is harmless); the form's button does, and only with the CSRF token of a
// page this browser opened; the pages are HTML under the strict CSP, never cached.
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oneTimeTokens, users } from '../src/db/schema.js';
import { type Harness, startHarness } from './support/harness.js';
import { anon, freshIp, linkIn, logIn, mailsTo, page, signUpAndVerify, signUpBody, submitPage } from './support/identity.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  await signUpAndVerify(h, 'grace@example.com');
});
afterAll(() => h.close());

async function verificationLink(email: string): Promise<string> {
  expect((await anon(h, 'POST', '/v1/auth/signup', signUpBody(email), { ip: freshIp() })).status).toBe(202);
  const [mail] = (await mailsTo(h, email)).filter((m) => m.template === 'verify_email').slice(-1);
  return linkIn(mail!.text);
}

const verified = async (email: string) => (await h.kassa.db.select().from(users).where(eq(users.email, email)))[0]!.emailVerifiedAt !== null;
const form = 'application/x-www-form-urlencoded';

describe('the verification page', () => {
  it('shows a button on opening, however often (a prefetch); the button verifies', async () => {
    const link = await verificationLink('ada@example.com');
    expect(link).toMatch(/^\/verify\?token=/);
    for (let i = 0; i < 3; i++) {
      const opened = await page(h, 'GET', link, {}, freshIp());
      expect(opened.status).toBe(200);
      expect(opened.html).toContain('<button type="submit">Confirm my address</button>');
    }
    expect(await verified('ada@example.com')).toBe(false);
    const { submitted } = await submitPage(h, link, {});
    expect(submitted.status).toBe(200);
    expect(submitted.html).toContain('ada@example.com is confirmed. You can sign in now.');
    expect(await verified('ada@example.com')).toBe(true);
    // The link is spent: its page now says so.
    const again = await submitPage(h, link, {});
    expect(again.submitted.status).toBe(400);
    expect(again.submitted.html).toContain('this verification link is unknown, used or expired; ask for a new one');
  });

  it('is HTML under the strict CSP, never cached, never framed', async () => {
    const opened = await page(h, 'GET', await verificationLink('csp@example.com'), {}, freshIp());
    expect(opened.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(opened.headers['cache-control']).toBe('no-store');
    expect(opened.headers['x-frame-options']).toBe('DENY');
    expect(opened.headers['x-content-type-options']).toBe('nosniff');
    const csp = String(opened.headers['content-security-policy']);
    for (const directive of ["script-src 'self'", "form-action 'self'", "frame-ancestors 'none'"]) expect(csp).toContain(directive);
    expect(opened.html).not.toContain('<script');
    const cookie = opened.setCookie.find((c) => c.startsWith('kassa_form='))!;
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Strict/);
  });

  it('refuses a POST without this browser\'s CSRF token, and spends nothing', async () => {
    const link = await verificationLink('csrf@example.com');
    const token = new URL(link, 'http://x').searchParams.get('token')!;
    const ip = freshIp();
    // A form on another site posting straight at Kassa: no cookie, no token.
    const forged = await page(h, 'POST', '/verify', { 'content-type': form }, ip, new URLSearchParams({ token }).toString());
    expect(forged.status).toBe(403);
    expect(forged.html).toContain('This form has expired');
    // Another browser's token with this browser's cookie.
    const mine = await page(h, 'GET', link, {}, ip);
    const theirs = await page(h, 'GET', link, {}, ip);
    const theirToken = /name="_csrf" value="([^"]+)"/.exec(theirs.html)![1]!;
    const cookie = mine.setCookie.find((c) => c.startsWith('kassa_form='))!.split(';')[0]!;
    const mixed = await page(h, 'POST', '/verify', { 'content-type': form, cookie }, ip, new URLSearchParams({ token, _csrf: theirToken }).toString());
    expect(mixed.status).toBe(403);
    expect(await verified('csrf@example.com')).toBe(false);
  });

  it('says so when the link is cut short or unknown', async () => {
    const cut = await page(h, 'GET', '/verify', {}, freshIp());
    expect(cut.status).toBe(400);
    expect(cut.html).toContain('This link is incomplete');
    const unknown = await submitPage(h, '/verify?token=bm90LWEtcmVhbC10b2tlbi1hdC1hbGwteHh4eHh4eA', {});
    expect(unknown.submitted.status).toBe(400);
    expect(unknown.submitted.html).toContain('unknown, used or expired');
  });
});

describe('the password pages', () => {
  it('forgot-password mails a link (the same answer for any address); its page refuses a weak password and keeps the link usable', async () => {
    const unknown = await submitPage(h, '/forgot-password', { email: 'nobody@example.com' });
    const known = await submitPage(h, '/forgot-password', { email: 'grace@example.com' });
    expect(known.submitted.status).toBe(200);
    expect(known.submitted.html).toBe(unknown.submitted.html);
    await h.kassa.background.settled();
    const [mail] = (await mailsTo(h, 'grace@example.com')).filter((m) => m.template === 'reset_password');
    const link = linkIn(mail!.text);
    expect(link).toMatch(/^\/reset-password\?token=/);

    const weak = await submitPage(h, link, { new_password: 'short' });
    expect(weak.submitted.status).toBe(400);
    expect(weak.submitted.html).toContain('a password needs at least 12 characters');
    const strong = await submitPage(h, link, { new_password: 'granite-harbour-88' });
    expect(strong.submitted.status).toBe(200);
    expect((await logIn(h, 'grace@example.com', 'granite-harbour-88')).answer.status).toBe(200);
    const spent = await h.kassa.db.select().from(oneTimeTokens).where(and(eq(oneTimeTokens.purpose, 'reset_password'), eq(oneTimeTokens.email, 'grace@example.com')));
    expect(spent.every((t) => t.usedAt !== null)).toBe(true);
  });

  it('escapes what was typed when it shows the form again', async () => {
    const typed = '"><script>alert(1)</script>@example.com';
    const { submitted } = await submitPage(h, '/change-password', { email: typed, current_password: 'whatever-it-is-1', new_password: 'granite-harbour-99' });
    expect(submitted.status).toBe(401);
    expect(submitted.html).toContain('the e-mail address or the password is not right');
    expect(submitted.html).not.toContain('<script>');
    expect(submitted.html).toContain('&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;@example.com');
  });

  it('changes the password on the expiry page, signing the person in', async () => {
    const { submitted } = await submitPage(h, '/change-password', { email: 'grace@example.com', current_password: 'granite-harbour-88', new_password: 'meadow-lantern-31' });
    expect(submitted.status).toBe(200);
    expect(submitted.html).toContain('Your password is changed, and your other sessions are signed out.');
    expect(submitted.setCookie.some((c) => c.startsWith('kassa_session='))).toBe(true);
    expect((await logIn(h, 'grace@example.com', 'meadow-lantern-31')).answer.status).toBe(200);
  });
});
