// Abuse resistance (SPEC section 15): sign-up, resend, login and reset are limited per client
// address; the refusal is a 429 problem+json like every other error, with Retry-After. The
// counts are kept in the database, so they hold across every process of one Kassa.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mails } from '../src/db/schema.js';
import { buildApp } from '../src/app.js';
import { defaultBillingSettings } from '../src/config.js';
import { countAttempt, forgetOldAttempts, readAttempts } from '../src/identity/attempt-counts.js';
import { RATE_LIMITS } from '../src/identity/routes.js';
import { FREE_FAILURES } from '../src/identity/sessions/login-slowdown.js';
import { openKassa } from '../src/kassa.js';
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

// Several API processes on one database (SPEC 14): the counts live in attempt_counts, so a
// guesser spreading attempts over processes meets one limit. On PostgreSQL the second process
// is a second Kassa on the same database; on PGlite (one process per data folder) a second app.
describe('rate limits across processes', () => {
  let other: Harness;
  let closeOther: () => Promise<void>;
  beforeAll(async () => {
    if (h.databaseUrl) {
      const opened = await openKassa({ databaseUrl: h.databaseUrl, poolSize: 2, clock: 'simulated', clockStart: h.kassa.clock.now(), billing: defaultBillingSettings });
      const app = await buildApp(opened.kassa);
      other = { ...h, app, kassa: opened.kassa };
      closeOther = async () => {
        await app.close();
        await opened.database.close();
      };
    } else {
      const app = await buildApp(h.kassa);
      other = { ...h, app };
      closeOther = () => app.close();
    }
  });
  afterAll(() => closeOther());

  it('counts one address in every process: the limit is reached by attempts spread over two', async () => {
    const ip = freshIp();
    for (let i = 0; i < RATE_LIMITS.login.max; i++) {
      const answer = await anon(i % 2 ? other : h, 'POST', '/v1/auth/login', { email: `spread${i}@example.com`, password: 'not-a-real-password-1' }, { ip });
      expect(answer.status).toBe(401);
    }
    for (const process of [h, other]) expect((await anon(process, 'POST', '/v1/auth/login', { email: 'spread@example.com', password: 'not-a-real-password-1' }, { ip })).status).toBe(429);
  });

  it('slows an address typed down in every process after its free wrong passwords, wherever they were typed', async () => {
    const email = 'spread-guesses@example.com';
    for (let i = 0; i < FREE_FAILURES; i++) {
      expect((await anon(i % 2 ? other : h, 'POST', '/v1/auth/login', { email, password: `wrong-guess-${i}-xyz` }, { ip: freshIp() })).body.code).toBe('invalid_credentials');
    }
    const slowed = await anon(other, 'POST', '/v1/auth/login', { email, password: 'another-guess-xyz' }, { ip: freshIp() });
    expect(slowed.status).toBe(429);
    expect(slowed.body).toMatchObject({ code: 'rate_limited', retry_after_seconds: 60 });
  });
});

describe('attempt counts', () => {
  const t = (minutes: number) => new Date(Date.UTC(2026, 10, 2, 0, minutes));
  it.each([
    // window, attempts at these minutes -> the counts they make
    ['a fixed window from the first attempt', { ms: 10 * 60_000, from: 'first' as const }, [0, 4, 9, 10, 12], [1, 2, 3, 1, 2]],
    ['a window from the latest attempt', { ms: 10 * 60_000, from: 'latest' as const }, [0, 9, 18, 28, 29], [1, 2, 3, 1, 2]],
  ])('%s', async (_name, window, minutes, counts) => {
    const key = `test:${window.from}`;
    const made = [];
    for (const minute of minutes) made.push((await countAttempt(h.kassa.db, key, t(minute), window)).count);
    expect(made).toEqual(counts);
    expect(await readAttempts(h.kassa.db, key)).toEqual({ count: counts.at(-1), since: t(window.from === 'first' ? 10 : 28), lastAt: t(minutes.at(-1)!) });
  });

  it('forgets counts a day past their latest attempt, on Kassa clock except per address, which run on the database time', async () => {
    const day = 24 * 60;
    await countAttempt(h.kassa.db, 'code:user:forget-old', t(0), { ms: 60_000, from: 'first' });
    await countAttempt(h.kassa.db, 'code:user:forget-recent', t(day), { ms: 60_000, from: 'first' });
    await countAttempt(h.kassa.db, 'ip:POST /v1/auth/login:192.0.2.1', undefined, { ms: 60_000, from: 'first' });
    await forgetOldAttempts(h.kassa.db, t(day + 1));
    expect(await readAttempts(h.kassa.db, 'code:user:forget-old')).toBeUndefined();
    expect(await readAttempts(h.kassa.db, 'code:user:forget-recent')).toMatchObject({ count: 1 });
    // Counted a moment ago on the database's time: kept, whatever Kassa's clock says.
    await forgetOldAttempts(h.kassa.db, t(10 * day));
    expect(await readAttempts(h.kassa.db, 'ip:POST /v1/auth/login:192.0.2.1')).toMatchObject({ count: 1 });
  });
});
