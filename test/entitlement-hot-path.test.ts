// Entitlement checks answered before Fastify's request cycle (src/entitlements/hot-path.ts,
// docs/decisions/0018-entitlement-hot-path.md): over real HTTP, a check from a provider key
// about an account in memory is answered by the hot path, with the status, bytes and headers
// Fastify's route gives the same question (app.inject never takes the hot path), and counted
// in the same metrics. Everything else still reaches Fastify and is answered as before.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entitlementChecks, httpRequestSeconds } from '../src/operations/metrics.js';
import { type Harness, startHarness } from './support/harness.js';
import { insertAccount, insertPlanVersion, reportCount, subscribe } from './support/entitlement-fixtures.js';

let h: Harness;
let base: string;
let active: number;
let blocked: number;
let noPlan: number;

beforeAll(async () => {
  h = await startHarness();
  const starter = await insertPlanVersion(h.kassa.db, 'starter', { quotas: { users: 5, sites: 2 }, features: ['sso'] });
  const devices = await insertPlanVersion(h.kassa.db, 'devices', {
    items: [{ service: 'cpe_devices', unit_price: '0.5', tier_mode: 'flat', included: 0, min: 0, max: null, default: 10, decrease: 'refund' }],
  });
  const texting = await insertPlanVersion(h.kassa.db, 'texting', { meters: [{ meter: 'sms', unit_price: '0.10', tier_mode: 'flat', included: 100, free_once: 0 }] });
  active = await insertAccount(h.kassa.db);
  await subscribe(h.kassa.db, active, starter);
  await subscribe(h.kassa.db, active, devices, { cpe_devices: 100 });
  await subscribe(h.kassa.db, active, texting);
  await reportCount(h.kassa.db, active, 'users', 3);
  await reportCount(h.kassa.db, active, 'cpe_devices', 100);
  blocked = await insertAccount(h.kassa.db, { status: 'blocked' });
  await subscribe(h.kassa.db, blocked, starter);
  noPlan = await insertAccount(h.kassa.db);
  base = await h.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(() => h.close());

// What differs between any two answers, whoever makes them: the connection's own headers and the request id.
const PER_ANSWER = new Set(['date', 'connection', 'keep-alive', 'x-request-id']);

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string>;
  requestId: string | undefined;
}

const comparable = (headers: Record<string, string>) => Object.fromEntries(Object.entries(headers).filter(([name]) => !PER_ANSWER.has(name)).sort());

async function overHttp(path: string, headers: Record<string, string> = { authorization: `Bearer ${h.apiKey}` }, method = 'GET'): Promise<Answer> {
  const response = await fetch(`${base}${path}`, { method, headers });
  const all = Object.fromEntries(response.headers);
  return { status: response.status, body: await response.text(), headers: comparable(all), requestId: all['x-request-id'] };
}

async function throughFastify(path: string, headers: Record<string, string> = { authorization: `Bearer ${h.apiKey}` }, method = 'GET'): Promise<Answer> {
  const response = await h.app.inject({ method: method as 'GET', url: path, headers });
  const all = Object.fromEntries(Object.entries(response.headers).map(([name, value]) => [name, String(value)]));
  return { status: response.statusCode, body: response.body, headers: comparable(all), requestId: all['x-request-id'] };
}

/** Asks over HTTP and says whether the hot path answered. */
async function asked(path: string, headers?: Record<string, string>, method?: string): Promise<{ answer: Answer; hot: boolean }> {
  const before = h.app.hotPath.answered;
  const answer = await overHttp(path, headers, method);
  return { answer, hot: h.app.hotPath.answered === before + 1 };
}

describe('a check from a provider key about an account in memory', () => {
  const paths = () => [
    `/v1/accounts/${active}/entitlements`,
    `/v1/accounts/${active}/entitlements/users`, // 3 of 5 users: 2 left
    `/v1/accounts/${active}/entitlements/cpe_devices`, // 100 of 100 devices: quota_reached
    `/v1/accounts/${active}/entitlements/sso`,
    `/v1/accounts/${active}/entitlements/public_ip`, // no plan names it: not_in_plan
    `/v1/accounts/${active}/entitlements/sms`, // a meter: its month's figures
    `/v1/accounts/${blocked}/entitlements/api`, // account_blocked
    `/v1/accounts/${blocked}/entitlements`,
    `/v1/accounts/${noPlan}/entitlements/api`, // no_active_plan
  ];

  it('is answered by the hot path with the bytes and headers of the route', async () => {
    for (const path of paths()) await throughFastify(path); // the accounts' answers loaded into memory
    for (const path of paths()) {
      const { answer, hot } = await asked(path);
      expect(hot, path).toBe(true);
      const route = await throughFastify(path);
      expect({ path, status: answer.status, body: answer.body, headers: answer.headers }).toEqual({ path, status: route.status, body: route.body, headers: route.headers });
      expect(answer.requestId).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('answers what the account may do: the arithmetic of the route', async () => {
    const { answer } = await asked(`/v1/accounts/${active}/entitlements/users`);
    expect(JSON.parse(answer.body)).toEqual({ feature: 'users', allowed: true, limit: 5, used: 3, remaining: 2 }); // 5 - 3 = 2
    expect(answer.headers).toMatchObject({ 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY', 'content-type': 'application/json; charset=utf-8' });
  });

  it("keeps the caller's sensible X-Request-Id and replaces one that is not", async () => {
    const kept = await asked(`/v1/accounts/${active}/entitlements/sso`, { authorization: `Bearer ${h.apiKey}`, 'x-request-id': 'lb-7f3a.42' });
    expect(kept).toMatchObject({ hot: true, answer: { requestId: 'lb-7f3a.42' } });
    const replaced = await asked(`/v1/accounts/${active}/entitlements/sso`, { authorization: `Bearer ${h.apiKey}`, 'x-request-id': 'no spaces allowed' });
    expect(replaced.hot).toBe(true);
    expect(replaced.answer.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('is counted in the same metrics as the route: the answer and the time, by route template', async () => {
    const count = async (metric: { get(): Promise<{ values: { labels: object; value: number; metricName?: string }[] }> }, labels: Record<string, string>) => {
      const { values } = await metric.get();
      const matching = values.filter((v) => Object.entries(labels).every(([k, value]) => (v.labels as Record<string, unknown>)[k] === value) && (v.metricName === undefined || v.metricName.endsWith('_count')));
      return matching.reduce((sum, v) => sum + v.value, 0);
    };
    const route = { method: 'GET', route: '/v1/accounts/:id/entitlements/:feature', status_code: '200' };
    const [timed, allowed, refused] = [await count(httpRequestSeconds, route), await count(entitlementChecks, { answer: 'allowed' }), await count(entitlementChecks, { answer: 'refused' })];
    expect((await asked(`/v1/accounts/${active}/entitlements/users`)).hot).toBe(true);
    expect((await asked(`/v1/accounts/${active}/entitlements/public_ip`)).hot).toBe(true);
    expect(await count(httpRequestSeconds, route)).toBe(timed + 2);
    expect(await count(entitlementChecks, { answer: 'allowed' })).toBe(allowed + 1);
    expect(await count(entitlementChecks, { answer: 'refused' })).toBe(refused + 1);
  });
});

describe('everything else', () => {
  const key = () => ({ authorization: `Bearer ${h.apiKey}` });
  const cases = () => [
    { why: 'a quantity asked of a meter', path: `/v1/accounts/${active}/entitlements/sms?quantity=30`, headers: key() },
    { why: 'an unknown query parameter (400)', path: `/v1/accounts/${active}/entitlements/users?verbose=1`, headers: key() },
    { why: 'an account that does not exist (404)', path: '/v1/accounts/987654/entitlements/users', headers: key() },
    { why: 'an id of 0 (400)', path: '/v1/accounts/0/entitlements/users', headers: key() },
    { why: 'an id past 2^53 - 1 (400)', path: '/v1/accounts/9007199254740992/entitlements/users', headers: key() },
    { why: 'a feature name the route refuses (400)', path: `/v1/accounts/${active}/entitlements/Users`, headers: key() },
    { why: 'a trailing slash (404)', path: `/v1/accounts/${active}/entitlements/users/`, headers: key() },
    { why: 'no credentials (401)', path: `/v1/accounts/${active}/entitlements/users`, headers: {} },
    { why: 'an unknown key (401)', path: `/v1/accounts/${active}/entitlements/users`, headers: { authorization: 'Bearer kassa_sk_nobody' } },
  ];

  it('goes to Fastify and is answered as Fastify answers it', async () => {
    for (const { why, path, headers } of cases()) {
      const { answer, hot } = await asked(path, headers);
      expect(hot, why).toBe(false);
      const route = await throughFastify(path, headers);
      expect({ why, status: answer.status, headers: answer.headers }).toEqual({ why, status: route.status, headers: route.headers });
      // Problem documents name their request id; the rest of the body is the same.
      expect(answer.body.replace(/"request_id":"[^"]*"/, ''), why).toBe(route.body.replace(/"request_id":"[^"]*"/, ''));
    }
  });

  it('goes to Fastify for a HEAD, and for an account whose answers are not in memory yet', async () => {
    expect((await asked(`/v1/accounts/${active}/entitlements/users`, key(), 'HEAD')).hot).toBe(false);
    const fresh = await insertAccount(h.kassa.db);
    const first = await asked(`/v1/accounts/${fresh}/entitlements/api`);
    expect(first.hot).toBe(false); // loaded by the route
    expect(JSON.parse(first.answer.body)).toMatchObject({ allowed: false, reason: 'no_active_plan' });
    expect((await asked(`/v1/accounts/${fresh}/entitlements/api`)).hot).toBe(true);
  });

  it('leaves an answer that fails to Fastify, which answers 500 as any route does, and keeps serving', async () => {
    // A meter price without its included units, as no API call could store it: working out the answer throws.
    const broken = await insertPlanVersion(h.kassa.db, 'broken', { meters: [{ meter: 'push', unit_price: '0.01' } as never] });
    const id = await insertAccount(h.kassa.db);
    await subscribe(h.kassa.db, id, broken);
    await throughFastify(`/v1/accounts/${id}/entitlements/api`); // in memory now
    const failed = await asked(`/v1/accounts/${id}/entitlements/push`);
    expect(failed.hot).toBe(false);
    expect(failed.answer.status).toBe(500);
    expect((await asked(`/v1/accounts/${active}/entitlements/users`)).answer.status).toBe(200);
  });
});
