// Wrong passwords slow an account down whatever address they come from (SPEC section 15), and
// the slowdown never locks the owner out: a browser they signed in from before is not slowed by
// a guesser elsewhere, and a password reset clears the count.
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../src/db/schema.js';
import { FREE_FAILURES } from '../src/identity/sessions/login-slowdown.js';
import { type Harness, startHarness } from './support/harness.js';
import { type Browser, anon, freshIp, linkIn, logIn, mailsTo, sessionCookie, signUpAndVerify } from './support/identity.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  for (const email of ['ada@example.com', 'mary@example.com', 'hedy@example.com', 'joan@example.com']) await signUpAndVerify(h, email);
});
afterAll(() => h.close());

/** One login from a new client address each time, as a guesser with many addresses would. */
const attempt = (email: string, password: string, as: Browser = {}) => anon(h, 'POST', '/v1/auth/login', { email, password }, { ip: freshIp(), ...as });
const guess = (email: string) => attempt(email, 'a-wrong-guess-123');
const advance = async (seconds: number) => expect((await h.call('POST', '/v1/clock/advance', { seconds })).status).toBe(200);

async function guessUntilSlowed(email: string) {
  for (let i = 0; i < FREE_FAILURES; i++) expect((await guess(email)).body.code).toBe('invalid_credentials');
}

describe('wrong passwords per account', () => {
  it(`answers the first ${FREE_FAILURES} wrong passwords, then slows every client address down: 1 min, 2, 4…`, async () => {
    await guessUntilSlowed('ada@example.com');
    const slowed = await guess('ada@example.com');
    expect(slowed.status).toBe(429);
    expect(slowed.body).toMatchObject({ code: 'rate_limited', retry_after_seconds: 60 });
    expect(slowed.headers['retry-after']).toBe('60');
    // The right password from yet another address waits as well: it is not even tried.
    expect((await attempt('ada@example.com', 'sunny-meadow-42')).status).toBe(429);

    await advance(60);
    expect((await guess('ada@example.com')).body.code).toBe('invalid_credentials'); // the 6th wrong one
    expect((await guess('ada@example.com')).body).toMatchObject({ code: 'rate_limited', retry_after_seconds: 120 }); // 60 s × 2
    await advance(120);
    expect((await guess('ada@example.com')).body.code).toBe('invalid_credentials'); // the 7th
    expect((await guess('ada@example.com')).body.retry_after_seconds).toBe(240); // 60 s × 2²
    await advance(240);
    const right = await attempt('ada@example.com', 'sunny-meadow-42');
    expect(right.status).toBe(200);
    // A right password clears the count: the next wrong one is answered at once.
    expect((await guess('ada@example.com')).body.code).toBe('invalid_credentials');

    const slowedDown = await h.kassa.db.select().from(auditLog).where(and(eq(auditLog.action, 'login.failed'), eq(auditLog.target, `user:${right.body.user.id}`)));
    expect(slowedDown.filter((row) => (row.data as { reason: string }).reason === 'slowed_down')).toHaveLength(4);
  });

  it('does not tell a known address from an unknown one: both are slowed alike', async () => {
    await guessUntilSlowed('nobody-here@example.com');
    expect((await guess('nobody-here@example.com')).body).toMatchObject({ code: 'rate_limited', retry_after_seconds: 60 });
    await guessUntilSlowed('mary@example.com');
    expect((await guess('mary@example.com')).body).toMatchObject({ code: 'rate_limited', retry_after_seconds: 60 });
    // Another account is untouched.
    expect((await attempt('hedy@example.com', 'sunny-meadow-42')).status).toBe(200);
  });

  it('lets the owner in from a browser they signed in from before, while a guesser is slowed down', async () => {
    const before = await logIn(h, 'hedy@example.com');
    const device = sessionCookie(before.answer, 'kassa_device')!;
    expect(device).toMatch(/^\d+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    const line = before.answer.setCookie.find((c) => c.startsWith('kassa_device='))!;
    expect(line).toMatch(/; Path=\/v1\/auth/);
    expect(line).toMatch(/; HttpOnly/);
    expect(line).toMatch(/; SameSite=Strict/);

    await guessUntilSlowed('hedy@example.com');
    expect((await guess('hedy@example.com')).status).toBe(429);
    const owner = await attempt('hedy@example.com', 'sunny-meadow-42', { device });
    expect(owner.status).toBe(200);
    // A device cookie of another user, or a forged one, counts with the guesser.
    const [id, nonce] = device.split('.');
    expect((await attempt('hedy@example.com', 'sunny-meadow-42', { device: `${id}.${nonce}.forged` })).status).toBe(429);
    expect((await attempt('hedy@example.com', 'sunny-meadow-42', { device: sessionCookie((await logIn(h, 'joan@example.com')).answer, 'kassa_device') })).status).toBe(429);
    // The trusted browser's own wrong passwords slow it down too, apart from the guesser's.
    for (let i = 0; i < FREE_FAILURES; i++) expect((await attempt('hedy@example.com', 'a-typo-123', { device })).status).toBe(401);
    expect((await attempt('hedy@example.com', 'sunny-meadow-42', { device })).status).toBe(429);
  });

  it('clears the slowdown once the owner resets the password from the mailed link', async () => {
    await guessUntilSlowed('joan@example.com');
    expect((await guess('joan@example.com')).status).toBe(429);
    expect((await anon(h, 'POST', '/v1/auth/password/reset', { email: 'joan@example.com' }, { ip: freshIp() })).status).toBe(202);
    await h.kassa.background.settled();
    const [mail] = (await mailsTo(h, 'joan@example.com')).filter((m) => m.template === 'reset_password');
    const token = new URL(linkIn(mail!.text), 'http://x').searchParams.get('token');
    const reset = await anon(h, 'POST', '/v1/auth/password/reset/confirm', { token, new_password: 'brand-new-meadow-7' }, { ip: freshIp() });
    expect(reset.status).toBe(200);
    expect((await attempt('joan@example.com', 'brand-new-meadow-7')).status).toBe(200);
  });
});
