// @kassa/client (packages/client, issue 10 item 7) against the real server on loopback: its
// generated types are those of the served API, its fetch client makes typed calls, a webhook
// Kassa sends verifies with verifyWebhook, and its entitlement cache answers from memory and
// sees a block made through the API within a second, told by GET /v1/entitlements/stream,
// which resumes from Last-Event-ID.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KassaClient, type KassaEvent, EntitlementCache, WebhookVerificationError, createKassaClient, verifyWebhook } from '../packages/client/src/index.js';
import { buildProduct } from '../examples/fastify-guard/app.js';
import { signedHeaders } from '../src/webhooks/send.js';
import { CLIENT_TYPES, clientTypesOf } from '../scripts/client-types.js';
import { type Harness, startHarness } from './support/harness.js';

let h: Harness;
let base: string;
let kassa: KassaClient;
let plan: number;

/** A receiver on loopback keeping each request's headers and raw body. */
const received: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];
const receiver = createServer((request, response) => {
  let body = '';
  request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
  request.on('end', () => {
    received.push({ headers: request.headers, body });
    response.writeHead(204).end();
  });
});

beforeAll(async () => {
  h = await startHarness({ webhooks: { allowHttp: true, allowPrivate: true } });
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  kassa = createKassaClient({ baseUrl: base, apiKey: h.apiKey });
  const created = await kassa.POST('/v1/plans', {
    body: { code: 'reports_plan', name: 'Reports', kind: 'preset', cadence: 'daily', timing: 'in_advance', prices: [{ currency: 'EUR', definition: { base_price: '1.00', items: [], meters: [], quotas: { projects: 3 }, features: ['reports'] } }] },
  });
  plan = created.data!.id;
});
afterAll(async () => {
  await new Promise((resolve) => receiver.close(resolve));
  await h.close();
});

/** An account with 50.00 EUR and the Reports plan (1.00 EUR a day). */
async function subscribedAccount(name: string): Promise<number> {
  const account = await kassa.POST('/v1/accounts', { body: { name, currency: 'EUR' } });
  const id = account.data!.id;
  const key = `account-${id}`;
  await kassa.POST('/v1/accounts/{id}/adjustments', { params: { path: { id }, header: { 'idempotency-key': `credit-${key}` } }, body: { direction: 'credit', amount: '5000', reason: 'opening balance' } });
  const subscribed = await kassa.POST('/v1/accounts/{id}/subscriptions', { params: { path: { id }, header: { 'idempotency-key': `subscribe-${key}` } }, body: { plan_id: plan } });
  expect(subscribed.response.status, JSON.stringify(subscribed.error)).toBe(201);
  return id;
}

describe('the package', () => {
  it('holds the types of the API this code serves (npx tsx scripts/client-types.ts writes them)', async () => {
    const document = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json<object>();
    expect(readFileSync(CLIENT_TYPES, 'utf8') === (await clientTypesOf(document)), 'packages/client/src/openapi.ts is stale: run npx tsx scripts/client-types.ts').toBe(true);
  }, 60_000);

  it('makes typed calls, answering problems as data', async () => {
    const missing = await kassa.GET('/v1/accounts/{id}', { params: { path: { id: 999_999 } } });
    expect(missing.response.status).toBe(404);
    expect(missing.error).toMatchObject({ code: 'not_found' });
    const refused = await createKassaClient({ baseUrl: `${base}/`, apiKey: 'kassa_sk_wrong' }).GET('/v1/accounts/{id}', { params: { path: { id: 1 } } });
    expect(refused.response.status).toBe(401);
  });
});

describe('verifyWebhook', () => {
  it('verifies what Kassa sends, typed by its type', async () => {
    const endpoint = await kassa.POST('/v1/webhook-endpoints', { body: { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/kassa` } });
    const { id, secret } = endpoint.data!;
    const pinged = await kassa.POST('/v1/webhook-endpoints/{id}/ping', { params: { path: { id } } });
    expect(pinged.data, JSON.stringify(pinged.data)).toMatchObject({ status_code: 204, error: null });
    const delivery = received.at(-1)!;
    const event: KassaEvent = verifyWebhook(delivery.headers, delivery.body, secret);
    expect(event.type).toBe('ping');
    if (event.type === 'ping') expect(event.data.endpoint_id).toBe(id);
    // A secret being rotated in: either verifies.
    expect(verifyWebhook(new Headers(delivery.headers as Record<string, string>), Buffer.from(delivery.body), ['whsec_' + Buffer.alloc(32, 7).toString('base64'), secret]).type).toBe('ping');
  });

  it('refuses a body changed after signing, a wrong secret, and a stale timestamp', () => {
    const secret = `whsec_${Buffer.alloc(32, 1).toString('base64')}`;
    const body = JSON.stringify({ type: 'balance.low', timestamp: '2026-11-02T00:00:00.000Z', data: { account_id: 7 } });
    const headers = signedHeaders('evt_1', body, [secret]);
    expect(verifyWebhook(headers, body, secret).type).toBe('balance.low');
    expect(() => verifyWebhook(headers, body.replace('7', '8'), secret)).toThrow(WebhookVerificationError);
    expect(() => verifyWebhook(headers, body, `whsec_${Buffer.alloc(32, 2).toString('base64')}`)).toThrow(WebhookVerificationError);
    const stale = { ...headers, 'webhook-timestamp': String(Number(headers['webhook-timestamp']) - 3600) };
    expect(() => verifyWebhook(stale, body, secret)).toThrow(/timestamp/i);
  });
});

describe('the entitlement cache', () => {
  it('answers from memory after one load, and a feature no plan names as not allowed', async () => {
    const id = await subscribedAccount('Memory');
    const cache = new EntitlementCache({ client: kassa, baseUrl: base, apiKey: h.apiKey });
    expect(cache.check(id, 'reports')).toBeUndefined();
    expect(await cache.allowed(id, 'reports')).toBe(true);
    for (let i = 0; i < 1000; i++) cache.check(id, 'reports');
    expect(cache.loads).toBe(1);
    expect(cache.check(id, 'projects')).toMatchObject({ allowed: true, limit: 3, remaining: 3 });
    expect(cache.check(id, 'exports')).toMatchObject({ allowed: false, reason: 'not_in_plan' });
    expect(await cache.allowed(999_999, 'api')).toBe(false);
  });

  it('sees a block made through the API within a second, told by the stream', async () => {
    const id = await subscribedAccount('Blocked soon');
    const cache = new EntitlementCache({ client: kassa, baseUrl: base, apiKey: h.apiKey });
    await cache.connect();
    try {
      expect(await cache.allowed(id, 'api')).toBe(true);
      const blockedAt = performance.now();
      expect((await kassa.POST('/v1/accounts/{id}/block', { params: { path: { id } }, body: { reason: 'chargeback' } })).response.status).toBe(200);
      while ((await cache.allowed(id, 'api')) && performance.now() - blockedAt < 1000) await new Promise((resolve) => setTimeout(resolve, 5));
      const tookMs = performance.now() - blockedAt;
      expect(cache.check(id, 'api')).toMatchObject({ allowed: false, reason: 'account_blocked' });
      expect(cache.check(id, 'reports')).toMatchObject({ allowed: false, reason: 'account_blocked' });
      expect(cache.check(id, 'exports')).toMatchObject({ allowed: false, reason: 'account_blocked' });
      expect(tookMs).toBeLessThan(1000);
      expect(cache.loads).toBe(2);
    } finally {
      cache.close();
    }
  });

  it('drops an account a webhook is about', async () => {
    const id = await subscribedAccount('Told by webhook');
    const cache = new EntitlementCache({ client: kassa, baseUrl: base, apiKey: h.apiKey });
    await cache.load(id);
    cache.handleEvent({ type: 'subscription.suspended', timestamp: '2026-11-03T00:00:00.000Z', data: { account_id: id, subscription_id: 1, reason: 'insufficient_funds', period_start: '2026-11-03T00:00:00.000Z', amount: '100' } });
    expect(cache.check(id, 'api')).toBeUndefined();
  });
});

describe('GET /v1/entitlements/stream', () => {
  /** Opens the stream and reads events until `until` says stop; then closes it. */
  async function read(headers: Record<string, string>, until: (events: { id: string; event: string; data: string }[]) => boolean) {
    const controller = new AbortController();
    const response = await fetch(`${base}/v1/entitlements/stream`, { headers: { authorization: `Bearer ${h.apiKey}`, ...headers }, signal: controller.signal });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const events: { id: string; event: string; data: string }[] = [];
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body!) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const fields = Object.fromEntries(buffer.slice(0, end).split('\n').map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]));
        buffer = buffer.slice(end + 2);
        if (fields.event) events.push({ id: fields.id!, event: fields.event, data: fields.data! });
      }
      if (until(events)) break;
    }
    controller.abort();
    return events;
  }

  it('resumes from Last-Event-ID with what changed meanwhile, and resets when it cannot', async () => {
    const [ready] = await read({}, (events) => events.length === 1);
    expect(ready).toMatchObject({ event: 'ready', data: '{}' });
    const a = await subscribedAccount('Changed while away');
    h.kassa.entitlements.invalidate(a);
    const resumed = await read({ 'last-event-id': ready!.id }, (events) => events.at(-1)?.event === 'ready');
    expect(resumed.map((e) => e.event)).toEqual(['invalidate', 'ready']);
    expect((JSON.parse(resumed[0]!.data) as { account_ids: number[] }).account_ids).toContain(a);
    expect(await read({ 'last-event-id': 'another-process.12' }, (events) => events.length === 1)).toMatchObject([{ event: 'reset' }]);
  });

  it('is for staff: no key, no stream', async () => {
    expect((await fetch(`${base}/v1/entitlements/stream`)).status).toBe(401);
  });
});

describe('the example product (examples/fastify-guard)', () => {
  it('serves an account its plan allows, and refuses it once blocked; verified webhooks reach it', async () => {
    const id = await subscribedAccount('Example customer');
    const { app, entitlements } = await buildProduct({ kassaUrl: base, apiKey: h.apiKey, webhookSecret: 'whsec_' + Buffer.alloc(32, 9).toString('base64') });
    try {
      const reports = () => app.inject({ method: 'GET', url: '/reports', headers: { 'x-account-id': String(id) } });
      expect((await reports()).statusCode).toBe(200);
      await kassa.POST('/v1/accounts/{id}/block', { params: { path: { id } }, body: { reason: 'abuse' } });
      const deadline = performance.now() + 1000;
      while ((await reports()).statusCode === 200 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
      expect((await reports()).json()).toEqual({ error: 'not allowed', reason: 'account_blocked' });
      expect((await app.inject({ method: 'GET', url: '/reports' })).statusCode).toBe(401);

      const secret = 'whsec_' + Buffer.alloc(32, 9).toString('base64');
      const body = JSON.stringify({ type: 'account.updated', timestamp: '2026-11-02T00:00:00.000Z', data: { account_id: id, status: 'active', previous_status: 'blocked' } });
      const told = entitlements.invalidations;
      const webhook = (headers: Record<string, string>) => app.inject({ method: 'POST', url: '/kassa/webhooks', headers: { ...headers, 'content-type': 'application/json' }, payload: body });
      expect((await webhook(signedHeaders('evt_9', body, [secret]))).statusCode).toBe(204);
      expect(entitlements.invalidations).toBe(told + 1);
      expect((await webhook(signedHeaders('evt_9', body, ['whsec_' + Buffer.alloc(32, 1).toString('base64')]))).statusCode).toBe(400);
    } finally {
      await app.close();
    }
  });
});
