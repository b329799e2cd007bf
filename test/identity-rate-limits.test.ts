// Abuse resistance (SPEC section 15): sign-up, resend, login and reset are limited per client
// address; the refusal is a 429 problem+json like every other error, with Retry-After.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mails } from '../src/db/schema.js';
import { RATE_LIMITS } from '../src/identity/routes.js';
import { type Harness, startHarness } from './support/harness.js';
import { anon, freshIp, signUpBody } from './support/identity.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

describe('rate limits', () => {
  it.each([
    ['login', '/v1/auth/login', RATE_LIMITS.login.max, (i: number) => ({ email: `guess${i}@example.com`, password: 'not-a-real-password-1' })],
    ['sign-up', '/v1/auth/signup', RATE_LIMITS.signup.max, (i: number) => signUpBody(`limit${i}@example.com`)],
    ['resend', '/v1/auth/verify/resend', RATE_LIMITS.resend.max, (i: number) => ({ email: `resend${i}@example.com` })],
    ['reset', '/v1/auth/password/reset', RATE_LIMITS.reset.max, (i: number) => ({ email: `reset${i}@example.com` })],
  ])('%s: beyond its limit, one address gets a 429 problem+json with Retry-After; another address is unaffected', async (_name, url, max, body) => {
    const ip = freshIp();
    for (let i = 0; i < max; i++) expect((await anon(h, 'POST', url, body(i), { ip })).status).not.toBe(429);
    const refused = await anon(h, 'POST', url, body(max), { ip });
    expect(refused.status).toBe(429);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({ type: 'https://kassa.dev/problems/rate_limited', title: 'rate limited', status: 429, code: 'rate_limited', detail: expect.stringMatching(/try again in/) });
    expect(refused.body.retry_after_seconds).toBeGreaterThan(0);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect((await anon(h, 'POST', url, body(max + 1), { ip: freshIp() })).status).not.toBe(429);
  });

  it('counts a refused sign-up (no mail is queued for it)', async () => {
    const ip = freshIp();
    for (let i = 0; i < RATE_LIMITS.signup.max; i++) await anon(h, 'POST', '/v1/auth/signup', signUpBody(`count${i}@example.com`), { ip });
    const refused = await anon(h, 'POST', '/v1/auth/signup', signUpBody('count-last@example.com'), { ip });
    expect(refused.status).toBe(429);
    expect(await h.kassa.db.select().from(mails).where(eq(mails.to, 'count-last@example.com'))).toHaveLength(0);
  });
});
