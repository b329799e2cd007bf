// What operators watch (SPEC 14, issue 11, items 3 and 4): liveness, readiness against the
// database and its migrations, metrics in Prometheus' format behind a token, one request id in
// the answer's header, its problem+json and its log lines, and the client's address behind a
// load balancer.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { defaultBillingSettings, trustProxyFromEnv } from '../src/config.js';
import { auditLog } from '../src/db/schema.js';
import { query } from '../src/db/client.js';
import type { KassaApp } from '../src/http/kassa-app.js';
import { openKassa } from '../src/kassa.js';
import { createTestDatabase, type Harness, logCapture, startHarness } from './support/harness.js';
import { scenario } from './support/scenario.js';

const TOKEN = 'metrics-token-of-the-tests';
let h: Harness;
/** The harness's Kassa with metrics on and its log captured. */
let app: KassaApp;
const { stream: logged, lines } = logCapture();

beforeAll(async () => {
  h = await startHarness();
  app = await buildApp(h.kassa, { logger: { level: 'info' }, logDestination: logged, metricsToken: TOKEN });
  app.get('/logs-a-line', async (request) => {
    request.log.info('a line of this request');
    return {};
  });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await h.close();
});
const s = scenario(() => h);

const scrape = async () => {
  const reply = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } });
  expect(reply.statusCode, reply.body).toBe(200);
  return reply.body;
};

/** A sample's value in Prometheus' text format: `name{labels} value`; 0 when the series is absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const has = (match[2] ?? '').split(',').filter(Boolean);
    if (wanted.every((w) => has.includes(w)) && has.length === wanted.length) return Number(match[3]);
  }
  return 0;
}

describe('liveness and readiness', () => {
  it('answers /healthz without a key and without reading the database', async () => {
    const reply = await h.app.inject({ method: 'GET', url: '/healthz' });
    expect(reply.statusCode).toBe(200);
    expect(reply.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz with the migration the database is at, and 503 not_ready when it is behind this version', async () => {
    const ready = await h.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', backend: h.kassa.backend, migration: expect.stringMatching(/^\d{4}_\w+$/) });

    // The newest migration unapplied, as on a database an older version left.
    const [newest] = await query<{ id: number; hash: string; created_at: string }>(h.kassa.db, sql`select id, hash, created_at::text from drizzle.__drizzle_migrations order by created_at desc limit 1`);
    await query(h.kassa.db, sql`delete from drizzle.__drizzle_migrations where id = ${newest!.id}`);
    try {
      const behind = await h.app.inject({ method: 'GET', url: '/readyz' });
      expect(behind.statusCode).toBe(503);
      expect(behind.headers['content-type']).toContain('application/problem+json');
      expect(behind.json()).toMatchObject({ code: 'not_ready', detail: 'the database is not migrated to this version: run `kassa migrate`' });
    } finally {
      await query(h.kassa.db, sql`insert into drizzle.__drizzle_migrations (id, hash, created_at) values (${newest!.id}, ${newest!.hash}, ${newest!.created_at}::bigint)`);
    }
    expect((await h.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
  });

  it('answers 503 not_ready when the database does not answer, saying why only in the log', async () => {
    const made = await createTestDatabase();
    const { kassa, database } = await openKassa({ databaseUrl: made.url, dataDir: 'memory://', loadDataDir: made.loadDataDir, clock: 'simulated', clockStart: new Date('2026-11-02T00:00:00Z'), billing: defaultBillingSettings });
    const cut = await buildApp(kassa);
    try {
      expect((await cut.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
      await database.close();
      const down = await cut.inject({ method: 'GET', url: '/readyz' });
      expect(down.statusCode).toBe(503);
      expect(down.json()).toMatchObject({ code: 'not_ready', detail: 'the database did not answer; the log says why' });
      // Alive all the same: a restart is not what it needs.
      expect((await cut.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await cut.close();
      await made.drop();
    }
  });
});

describe('the request id', () => {
  it('is the caller\'s X-Request-Id when sensible, else a new UUID, in the header, the problem and the log', async () => {
    const given = await app.inject({ method: 'GET', url: '/v1/accounts/987654321', headers: { authorization: `Bearer ${h.apiKey}`, 'x-request-id': 'lb-7f3a.2026-12-06:42' } });
    expect(given.statusCode).toBe(404);
    expect(given.headers['x-request-id']).toBe('lb-7f3a.2026-12-06:42');
    expect(given.json()).toMatchObject({ code: 'not_found', request_id: 'lb-7f3a.2026-12-06:42' });

    // Not an id to repeat in a header or a log line: replaced.
    for (const junk of ['two words', 'x'.repeat(129), '<script>']) {
      const replaced = await app.inject({ method: 'GET', url: '/v1/accounts/987654321', headers: { authorization: `Bearer ${h.apiKey}`, 'x-request-id': junk } });
      expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(replaced.json().request_id).toBe(replaced.headers['x-request-id']);
    }

    const ok = await app.inject({ method: 'GET', url: '/health' });
    expect(ok.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);

    // A request's log lines carry the id its answer shows.
    const logging = await app.inject({ method: 'GET', url: '/logs-a-line', headers: { 'x-request-id': 'req-logged-1' } });
    expect(logging.headers['x-request-id']).toBe('req-logged-1');
    const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.msg === 'a line of this request');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ request_id: 'req-logged-1' });
  });
});

describe('GET /metrics', () => {
  it('is off without KASSA_METRICS_TOKEN, and needs the token when it is set', async () => {
    const off = await h.app.inject({ method: 'GET', url: '/metrics' });
    expect(off.statusCode).toBe(404);
    expect(off.json()).toMatchObject({ code: 'not_found', detail: 'metrics are off: set KASSA_METRICS_TOKEN and send it as a bearer token' });
    for (const authorization of [undefined, 'Bearer wrong-token-of-the-tests', `Bearer ${h.apiKey}`]) {
      const refused = await app.inject({ method: 'GET', url: '/metrics', headers: authorization ? { authorization } : {} });
      expect(refused.statusCode).toBe(401);
      expect(refused.json()).toMatchObject({ code: 'unauthorized' });
    }
  });

  it('counts requests by route template, entitlement answers, billing batches, and reads the queues from the database', async () => {
    const before = await scrape();
    const account = (await h.call('POST', '/v1/accounts', { name: 'Watched', currency: 'EUR' })).body.id as number;
    const check = (feature: string) => app.inject({ method: 'GET', url: `/v1/accounts/${account}/entitlements/${feature}`, headers: { authorization: `Bearer ${h.apiKey}` } });
    for (let i = 0; i < 3; i++) expect((await check('api')).statusCode).toBe(200);
    // A new account has no plan: each answer is a refusal (no_active_plan).
    await h.call('POST', '/v1/clock/advance', { to: '2026-11-03T00:00:00Z', wait: true });
    const after = await scrape();

    const route = { method: 'GET', route: '/v1/accounts/:id/entitlements/:feature', status_code: '200' };
    expect(sample(after, 'kassa_http_request_duration_seconds_count', route) - sample(before, 'kassa_http_request_duration_seconds_count', route)).toBe(3);
    expect(sample(after, 'kassa_http_request_duration_seconds_bucket', { ...route, le: '+Inf' })).toBe(sample(after, 'kassa_http_request_duration_seconds_count', route));
    expect(after).not.toContain(`/v1/accounts/${account}/`); // templates, never ids
    expect(sample(after, 'kassa_entitlement_checks_total', { answer: 'refused' }) - sample(before, 'kassa_entitlement_checks_total', { answer: 'refused' })).toBe(3);
    // The advance ran the boundary's billing run in this process: one batch (all accounts).
    expect(sample(after, 'kassa_billing_batches_total') - sample(before, 'kassa_billing_batches_total')).toBe(1);
    expect(sample(after, 'kassa_billing_run_duration_seconds_count') - sample(before, 'kassa_billing_run_duration_seconds_count')).toBe(1);
    // Read from the database: nothing waits here (no endpoint, no SMTP backlog beyond the harness's).
    const [mail] = await query<{ pending: bigint }>(h.kassa.db, sql`select count(*) as pending from mails where state = 'pending'`);
    expect(sample(after, 'kassa_mail_queue', { state: 'pending' })).toBe(Number(mail!.pending));
    expect(sample(after, 'kassa_webhook_deliveries', { state: 'failed' })).toBe(0);
    expect(after).toMatch(/^kassa_outbox_backlog \d+$/m);
    expect(sample(after, 'kassa_entitlement_cache_accounts')).toBeGreaterThanOrEqual(1);
    // The process's own: the event loop's lag, memory.
    expect(after).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
    expect(sample(after, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('adds up what the billing run charged per currency, and shows the database pool', async () => {
    const plan = await s.expectStatus<{ id: number }>(201, 'POST', '/v1/plans', {
      code: 'metered_by_currency',
      name: 'Two currencies',
      kind: 'preset',
      cadence: 'daily',
      timing: 'in_advance',
      prices: [
        { currency: 'EUR', definition: { base_price: '2.40', items: [], quotas: {}, features: [] } },
        { currency: 'USD', definition: { base_price: '3.10', items: [], quotas: {}, features: [] } },
      ],
    });
    for (const currency of ['EUR', 'EUR', 'USD']) {
      const { id } = await s.createAccount({ currency });
      await s.topUp(id, '10000');
      await s.subscribe(id, plan.id);
    }
    const before = await scrape();
    await h.call('POST', '/v1/clock/advance', { to: '2026-11-04T00:00:00Z', wait: true });
    const after = await scrape();
    const charged = (currency: string) =>
      sample(after, 'kassa_charges_minor_units_total', { currency, source: 'billing_run' }) - sample(before, 'kassa_charges_minor_units_total', { currency, source: 'billing_run' });
    // The boundary's run: two EUR accounts at 2.40 and one USD account at 3.10.
    expect(charged('EUR')).toBe(2 * 240);
    expect(charged('USD')).toBe(310);
    // The harness's pool: idle connections between requests, none waiting, its size.
    expect(sample(after, 'kassa_db_pool_connections', { state: 'max' })).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'kassa_db_pool_connections', { state: 'idle' })).toBeGreaterThanOrEqual(0);
    expect(sample(after, 'kassa_db_pool_waiting')).toBe(0);
  });
});

describe('charges made by subscription changes', () => {
  it('are counted once committed, per currency, and a replayed call adds nothing', async () => {
    const planId = await s.createPlan('1.25'); // daily, in advance
    const { id } = await s.createAccount({ currency: 'EUR' });
    await s.topUp(id, '10000');
    const counted = async () => sample(await scrape(), 'kassa_charges_minor_units_total', { currency: 'EUR', source: 'subscription' });
    const before = await counted();
    const create = () => h.call('POST', `/v1/accounts/${id}/subscriptions`, { plan_id: planId }, { 'idempotency-key': `counted-${id}` });
    const created = await create();
    expect(created.status).toBe(201);
    // An in-advance daily plan pays its first day at creation: 1.25 EUR is 125 cents.
    expect(await counted()).toBe(before + 125);
    const replayed = await create();
    expect(replayed.headers['idempotent-replayed']).toBe('true');
    expect(await counted()).toBe(before + 125);
  });
});

describe('behind a load balancer (KASSA_TRUST_PROXY)', () => {
  /** Where a failed login says it came from, in the audit log. */
  async function loggedAddress(through: KassaApp, from: string, forwardedFor?: string): Promise<string | null> {
    const email = `nobody-${Math.random().toString(36).slice(2)}@example.test`;
    const reply = await through.inject({ method: 'POST', url: '/v1/auth/login', remoteAddress: from, headers: { 'content-type': 'application/json', ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}) }, payload: JSON.stringify({ email, password: 'not-a-password-1' }) });
    expect(reply.statusCode).toBe(401);
    const [row] = await h.kassa.db.select().from(auditLog).where(sql`${auditLog.action} = 'login.failed' and ${auditLog.data}->>'email' = ${email}`);
    return row?.ip ?? null;
  }

  it('believes X-Forwarded-For only from the proxies named, so rate limits and the audit log see the client', async () => {
    const behind = await buildApp(h.kassa, { trustProxy: trustProxyFromEnv({ KASSA_TRUST_PROXY: '10.0.0.0/8' }) });
    try {
      expect(await loggedAddress(behind, '10.1.2.3', '203.0.113.7')).toBe('203.0.113.7');
      // Not from a named proxy: the header is anyone's to write, so the socket's address counts.
      expect(await loggedAddress(behind, '198.51.100.9', '203.0.113.7')).toBe('198.51.100.9');
    } finally {
      await behind.close();
    }
    // The default trusts nobody.
    expect(await loggedAddress(h.app, '10.1.2.3', '203.0.113.7')).toBe('10.1.2.3');
  });

  it.each([
    ['', false],
    ['false', false],
    ['true', true],
    ['2', 2],
    ['10.0.0.0/8,192.168.1.10', ['10.0.0.0/8', '192.168.1.10']],
  ] as const)('reads KASSA_TRUST_PROXY=%s', (value, expected) => {
    expect(trustProxyFromEnv({ KASSA_TRUST_PROXY: value })).toEqual(expected);
  });

  it('refuses what is none of those in one line', () => {
    expect(() => trustProxyFromEnv({ KASSA_TRUST_PROXY: 'the load balancer' })).toThrow(/^KASSA_TRUST_PROXY=the load balancer: expected false, true, the number of proxies in front/);
  });
});
