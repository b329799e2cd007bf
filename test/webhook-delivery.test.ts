// Webhook delivery (SPEC 10, issue 10) to a real HTTP receiver on loopback, on the simulated
// clock: every delivery verifies with the `standardwebhooks` package as a receiver would; a
// receiver failing three times and then answering gets the event four times with one id, on
// the Standard Webhooks schedule (now, 5 s, 5 min, 30 min); a 410 disables the endpoint; an
// account's events arrive in the order written; dispatchers side by side never send one
// delivery twice; and the SSRF guard refuses a private address at connect time.
import { type IncomingHttpHeaders, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { query } from '../src/db/client.js';
import { createOperator } from '../src/identity/operators/create-operator.js';
import { queueNotices } from '../src/notifications/notifier.js';
import { deliverWebhooks, dispatchDue, fanOut } from '../src/webhooks/dispatch.js';
import { sendWebhook } from '../src/webhooks/send.js';
import { type Harness, startHarness } from './support/harness.js';

interface Received { path: string; headers: IncomingHttpHeaders; body: string }

/** A receiver on loopback: records every request; `answer` says what each path replies. */
const received: Received[] = [];
let answer: (path: string, nth: number) => number = () => 200;
const receiver = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (c: Buffer) => chunks.push(c));
  request.on('end', () => {
    const path = request.url ?? '/';
    received.push({ path, headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
    response.statusCode = answer(path, received.filter((r) => r.path === path).length);
    response.end('ok');
  });
});
let base: string;
let h: Harness;

beforeAll(async () => {
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  h = await startHarness({ clockStart: '2026-11-02T12:00:00Z', webhooks: { allowHttp: true, allowPrivate: true } });
});
afterAll(async () => {
  await h.close();
  await new Promise((resolve) => receiver.close(resolve));
});
beforeEach(async () => {
  received.length = 0;
  answer = () => 200;
  // One endpoint at a time: the ones before are removed.
  for (const e of ((await h.call('GET', '/v1/webhook-endpoints')).body as { data: { id: number }[] }).data) await h.call('DELETE', `/v1/webhook-endpoints/${e.id}`);
});

async function endpoint(path: string, body: Record<string, unknown> = {}): Promise<{ id: number; secret: string }> {
  const created = await h.call('POST', '/v1/webhook-endpoints', { url: `${base}${path}`, ...body });
  expect(created.status).toBe(201);
  return created.body as { id: number; secret: string };
}
const advance = async (to: string) => expect((await h.call('POST', '/v1/clock/advance', { to, wait: true })).status).toBe(200);
const later = (ms: number) => new Date(h.kassa.clock.now().getTime() + ms).toISOString();
const verified = (r: Received, secret: string) => new Webhook(secret).verify(r.body, r.headers as Record<string, string>) as { type: string; timestamp: string; data: Record<string, unknown> };

describe('a delivery', () => {
  it('is signed by the Standard Webhooks specification: it verifies with the standardwebhooks package', async () => {
    const { secret } = await endpoint('/signed', { event_types: ['account.created'] });
    const account = (await h.call('POST', '/v1/accounts', { name: 'Signed', currency: 'EUR' })).body as { id: number };
    await deliverWebhooks(h.kassa, h.kassa.clock.now());
    expect(received).toHaveLength(1);
    const [got] = received;
    expect(got!.headers['webhook-id']).toMatch(/^evt_\d+$/);
    expect(got!.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(got!.headers['content-type']).toBe('application/json');
    const event = verified(got!, secret);
    expect(event).toMatchObject({ type: 'account.created', timestamp: '2026-11-02T12:00:00.000Z', data: { account_id: account.id } });
    expect(() => new Webhook(`whsec_${Buffer.alloc(32, 7).toString('base64')}`).verify(got!.body, got!.headers as Record<string, string>)).toThrow(); // another secret does not verify it
    await deliverWebhooks(h.kassa, h.kassa.clock.now());
    expect(received).toHaveLength(1); // sent once
  });

  it('carries two signatures while a rotated-out secret still signs, so a receiver with either verifies it', async () => {
    const { id, secret: old } = await endpoint('/rotated', { event_types: ['account.created'] });
    const fresh = ((await h.call('POST', `/v1/webhook-endpoints/${id}/rotate-secret`)).body as { secret: string }).secret;
    await h.call('POST', '/v1/accounts', { name: 'Rotated', currency: 'EUR' });
    await deliverWebhooks(h.kassa, h.kassa.clock.now());
    expect(String(received[0]!.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verified(received[0]!, old).type).toBe('account.created');
    expect(verified(received[0]!, fresh).type).toBe('account.created');
  });

  it('is retried on the schedule (now, 5 s, 5 min, 30 min) on Kassa\'s clock, with one id, until the receiver answers', async () => {
    await endpoint('/flaky', { event_types: ['account.created'] });
    answer = (_path, nth) => (nth <= 3 ? 500 : 204);
    await h.call('POST', '/v1/accounts', { name: 'Flaky', currency: 'EUR' });
    await deliverWebhooks(h.kassa, h.kassa.clock.now()); // the first attempt: at once
    expect(received).toHaveLength(1);
    await advance(later(4000)); // 4 s after the failure: not yet
    expect(received).toHaveLength(1);
    await advance(later(1000)); // 5 s
    expect(received).toHaveLength(2);
    await advance(later(5 * 60_000));
    expect(received).toHaveLength(3);
    await advance(later(29 * 60_000));
    expect(received).toHaveLength(3);
    await advance(later(60_000)); // 30 min after the third failure
    expect(received).toHaveLength(4);
    expect(new Set(received.map((r) => r.headers['webhook-id'])).size).toBe(1);
    await advance(later(24 * 3_600_000));
    expect(received).toHaveLength(4); // succeeded: never again
    const [delivery] = await query<{ status: string; attempts: number }>(h.kassa.db, sql`select status, attempts from webhook_deliveries where topic = 'account.created' order by id desc limit 1`);
    expect(delivery).toEqual({ status: 'succeeded', attempts: 4 });
    const attempts = await query<{ status_code: number }>(h.kassa.db, sql`select status_code from webhook_attempts where delivery_id = (select max(id) from webhook_deliveries) order by id`);
    expect(attempts.map((a) => a.status_code)).toEqual([500, 500, 500, 204]);
  });

  it('fails after the tenth attempt, about three days later', async () => {
    await endpoint('/down', { event_types: ['account.created'] });
    answer = () => 503;
    await h.call('POST', '/v1/accounts', { name: 'Down', currency: 'EUR' });
    await deliverWebhooks(h.kassa, h.kassa.clock.now());
    const waits = [5_000, 5 * 60_000, 30 * 60_000, 2 * 3_600_000, 5 * 3_600_000, 10 * 3_600_000, 14 * 3_600_000, 20 * 3_600_000, 24 * 3_600_000]; // 75 h 35 min 5 s in all
    for (const [i, wait] of waits.entries()) {
      await advance(later(wait - 1000));
      expect(received, `a second before attempt ${i + 2}`).toHaveLength(i + 1);
      await advance(later(1000));
      expect(received, `attempt ${i + 2}`).toHaveLength(i + 2);
    }
    await advance(later(3 * 24 * 3_600_000));
    expect(received).toHaveLength(10);
    const [delivery] = await query<{ status: string; attempts: number }>(h.kassa.db, sql`select status, attempts from webhook_deliveries order by id desc limit 1`);
    expect(delivery).toEqual({ status: 'failed', attempts: 10 });
  });

  it('to an endpoint that answers 410 Gone disables it: nothing more is sent there', async () => {
    const gone = await endpoint('/gone', { event_types: ['account.created'] });
    answer = () => 410;
    await h.call('POST', '/v1/accounts', { name: 'Gone 1', currency: 'EUR' });
    await deliverWebhooks(h.kassa, h.kassa.clock.now());
    expect((await h.call('GET', `/v1/webhook-endpoints/${gone.id}`)).body).toMatchObject({ enabled: false, disabled_reason: 'gone' });
    await h.call('POST', '/v1/accounts', { name: 'Gone 2', currency: 'EUR' });
    await advance(later(3_600_000));
    expect(received).toHaveLength(1);
  });
});

describe('an endpoint that fails every attempt', () => {
  it('shows it in its health, and is disabled after 5 days with a mail to the operators', async () => {
    expect((await createOperator(h.kassa.db, { email: 'ops@provider.test', name: 'Ops' }, h.kassa.clock.now())).ok).toBe(true);
    const { id } = await endpoint('/failing', { event_types: ['account.created'] });
    answer = () => 500;
    const since = h.kassa.clock.now().toISOString();
    await h.call('POST', '/v1/accounts', { name: 'Failing 0', currency: 'EUR' });
    await deliverWebhooks(h.kassa, h.kassa.clock.now());
    const health = ((await h.call('GET', `/v1/webhook-endpoints/${id}`)).body as { health: Record<string, unknown> }).health;
    expect(health).toEqual({ backlog: 1, attempts_24h: 1, success_rate_24h: 0, failing_since: since, last_failure: { attempted_at: since, status_code: 500, error: null } });
    // A new event every 12 hours, each failing as well: the endpoint has failed since `since`.
    for (let half = 1; half <= 10; half++) {
      await advance(later(12 * 3_600_000));
      expect(((await h.call('GET', `/v1/webhook-endpoints/${id}`)).body as { enabled: boolean }).enabled, `after ${half * 12} h`).toBe(half < 10); // 5 days = 10 x 12 h
      await h.call('POST', '/v1/accounts', { name: `Failing ${half}`, currency: 'EUR' });
    }
    expect((await h.call('GET', `/v1/webhook-endpoints/${id}`)).body).toMatchObject({ enabled: false, disabled_reason: 'failing', health: { failing_since: since } });
    const sentBefore = received.length;
    await advance(later(12 * 3_600_000));
    expect(received).toHaveLength(sentBefore); // disabled: nothing more is sent

    await queueNotices(h.kassa, h.kassa.clock.now());
    const mailed = await query<{ to: string; subject: string; text: string }>(h.kassa.db, sql`select "to", subject, text from mails where template = 'webhook_endpoint_disabled' and subject = ${`Webhook endpoint ${id} disabled`}`);
    expect(mailed).toHaveLength(1);
    expect(mailed[0]).toMatchObject({ to: 'ops@provider.test', subject: `Webhook endpoint ${id} disabled` });
    expect(mailed[0]!.text).toContain(`every attempt since ${since} failed`);

    // Enabled again, it starts afresh: what waited for it goes at once, and a success clears the failing mark.
    answer = () => 200;
    const waiting = received.length;
    const backlog = ((await h.call('GET', `/v1/webhook-endpoints/${id}`)).body as { health: { backlog: number } }).health.backlog;
    expect(backlog).toBeGreaterThan(0); // the deliveries still within their retries (the older ones have failed)
    await h.call('PATCH', `/v1/webhook-endpoints/${id}`, { enabled: true });
    await deliverWebhooks(h.kassa, h.kassa.clock.now());
    expect(received.length - waiting).toBe(backlog);
    expect((await h.call('GET', `/v1/webhook-endpoints/${id}`)).body).toMatchObject({ enabled: true, disabled_reason: null, health: { failing_since: null, backlog: 0 } });
  });
});

describe('an account\'s events', () => {
  it('reach an endpoint in the order they were written, a retry holding back the ones after it', async () => {
    const { secret } = await endpoint('/ordered');
    answer = (_path, nth) => (nth === 1 ? 500 : 200); // the first event's first attempt fails
    const account = (await h.call('POST', '/v1/accounts', { name: 'Ordered', currency: 'EUR' })).body as { id: number };
    for (let i = 1; i <= 3; i++) await h.call('POST', `/v1/accounts/${account.id}/adjustments`, { direction: 'credit', amount: String(i * 100), reason: `credit ${i}` }, { 'idempotency-key': `ordered-${i}` });
    await deliverWebhooks(h.kassa, h.kassa.clock.now());
    expect(received).toHaveLength(1); // the failed first one holds the rest back
    await advance(later(5000));
    const ids = received.map((r) => Number(String(r.headers['webhook-id']).slice(4)));
    expect(ids[0]).toBe(ids[1]); // the retry first
    const delivered = ids.slice(1);
    expect(delivered).toEqual([...delivered].sort((a, b) => a - b)); // then in the order written
    const written = await query<{ id: string }>(h.kassa.db, sql`select id::text from outbox where account_id = ${account.id} and created_at >= ${'2026-11-02T00:00:00Z'}::timestamptz order by id`);
    expect(delivered).toEqual(written.map((w) => Number(w.id)));
    for (const r of received) expect(verified(r, secret).data.account_id).toBe(account.id);
  });
});

describe('the delivery log', () => {
  interface Delivery { id: number; event_id: string; event_type: string; status: string; attempts: number; next_attempt_at: string | null; last_attempt: { status_code: number | null } | null }

  it('lists each delivery with its last attempt, filters it, shows one with every attempt, and sends one again', async () => {
    const { id } = await endpoint('/log', { event_types: ['account.created'] });
    answer = (_path, nth) => (nth === 1 ? 500 : 200);
    await h.call('POST', '/v1/accounts', { name: 'Log 1', currency: 'EUR' });
    await h.call('POST', '/v1/accounts', { name: 'Log 2', currency: 'EUR' });
    await deliverWebhooks(h.kassa, h.kassa.clock.now()); // the first fails, the second holds no order (two accounts): it succeeds
    const log = (await h.call('GET', `/v1/webhook-endpoints/${id}/deliveries`)).body as { data: Delivery[]; next_cursor: string | null };
    expect(log.data.map((d) => [d.status, d.attempts, d.last_attempt?.status_code])).toEqual([['succeeded', 1, 200], ['pending', 1, 500]]); // newest first
    const failed = log.data[1]!;
    expect(failed.next_attempt_at).toBe(later(5000));
    expect(((await h.call('GET', `/v1/webhook-endpoints/${id}/deliveries?status=succeeded`)).body as { data: Delivery[] }).data).toHaveLength(1);
    expect(((await h.call('GET', `/v1/webhook-endpoints/${id}/deliveries?event_type=balance.low`)).body as { data: Delivery[] }).data).toHaveLength(0);
    const paged = (await h.call('GET', `/v1/webhook-endpoints/${id}/deliveries?limit=1`)).body as { data: Delivery[]; next_cursor: string };
    expect((await h.call('GET', `/v1/webhook-endpoints/${id}/deliveries?limit=1&cursor=${paged.next_cursor}`)).body).toMatchObject({ data: [{ id: failed.id }], next_cursor: null });

    const retried = await h.call('POST', `/v1/webhook-endpoints/${id}/deliveries/${failed.id}/retry`);
    expect(retried.status).toBe(202);
    expect(retried.body).toMatchObject({ status: 'pending', next_attempt_at: h.kassa.clock.now().toISOString() }); // now, not in 5 s
    await deliverWebhooks(h.kassa, h.kassa.clock.now());
    const one = (await h.call('GET', `/v1/webhook-endpoints/${id}/deliveries/${failed.id}`)).body as Delivery & { attempts_made: { status_code: number }[] };
    expect(one).toMatchObject({ status: 'succeeded', attempts: 2, event_id: failed.event_id });
    expect(one.attempts_made.map((a) => a.status_code)).toEqual([500, 200]);

    expect((await h.call('GET', `/v1/webhook-endpoints/${id}/deliveries/999999`)).body).toMatchObject({ status: 404 });
    expect((await h.call('POST', `/v1/webhook-endpoints/${id}/deliveries/999999/retry`)).body).toMatchObject({ status: 404 });
    expect((await h.call('GET', '/v1/webhook-endpoints/999999/deliveries')).body).toMatchObject({ status: 404 });
    expect((await h.call('GET', `/v1/webhook-endpoints/${id}/deliveries?status=lost`)).body).toMatchObject({ status: 400, code: 'validation_failed' });
  });

  it("replays a time range after the receiver's outage: the same events, with their ids, sent again", async () => {
    await advance(later(24 * 3_600_000));
    const from = h.kassa.clock.now().toISOString();
    const { id } = await endpoint('/replay', { event_types: ['account.created'] });
    for (let i = 1; i <= 3; i++) await h.call('POST', '/v1/accounts', { name: `Replay ${i}`, currency: 'EUR' });
    await deliverWebhooks(h.kassa, h.kassa.clock.now());
    expect(received).toHaveLength(3);
    const replayed = await h.call('POST', `/v1/webhook-endpoints/${id}/replay`, { from, to: later(1) });
    expect(replayed).toMatchObject({ status: 202, body: { queued: 3 } });
    await deliverWebhooks(h.kassa, h.kassa.clock.now());
    expect(received).toHaveLength(6);
    expect(received.slice(3).map((r) => r.headers['webhook-id'])).toEqual(received.slice(0, 3).map((r) => r.headers['webhook-id']));
    expect((await h.call('POST', `/v1/webhook-endpoints/${id}/replay`, { from, to: from })).body).toMatchObject({ status: 400, field: '/to' });
    expect((await h.call('POST', `/v1/webhook-endpoints/${id}/replay`, { from, to: later(1), types: ['no.such'] })).body).toMatchObject({ status: 400 });
  });

  it('pings an endpoint: a signed ping, and what the endpoint answered', async () => {
    const { id, secret } = await endpoint('/ping', { event_types: ['balance.low'] });
    answer = () => 202;
    const pinged = await h.call('POST', `/v1/webhook-endpoints/${id}/ping`);
    expect(pinged.body).toMatchObject({ status_code: 202, error: null, response_excerpt: 'ok', event_id: expect.stringMatching(/^ping_/) });
    expect(verified(received[0]!, secret)).toMatchObject({ type: 'ping', data: { endpoint_id: id } });
  });
});

describe('dispatchers side by side', () => {
  it('never send one delivery twice', async () => {
    await endpoint('/parallel', { event_types: ['account.created'], parallel: true });
    for (let i = 0; i < 30; i++) await h.call('POST', '/v1/accounts', { name: `Side ${i}`, currency: 'EUR' });
    const at = h.kassa.clock.now();
    await Promise.all([fanOut(h.kassa.db, at), fanOut(h.kassa.db, at)]);
    await Promise.all([dispatchDue(h.kassa, at), dispatchDue(h.kassa, at), dispatchDue(h.kassa, at), deliverWebhooks(h.kassa, at)]);
    const ids = received.map((r) => r.headers['webhook-id']);
    expect(ids).toHaveLength(30);
    expect(new Set(ids).size).toBe(30);
  });
});

describe('the SSRF guard at connect time', () => {
  it('refuses a name that resolves to a private address when the delivery connects, sending nothing', async () => {
    const port = (receiver.address() as AddressInfo).port;
    const outcome = await sendWebhook(`http://localhost:${port}/hooks`, {}, '{}', { allowHttp: true, allowPrivate: false });
    expect(outcome).toMatchObject({ status: null, error: expect.stringMatching(/refused: localhost resolves to .*loopback/) });
    const literal = await sendWebhook(`http://127.0.0.1:${port}/hooks`, {}, '{}', { allowHttp: true, allowPrivate: false });
    expect(literal).toMatchObject({ status: null, error: expect.stringMatching(/refused: 127.0.0.1 is a loopback address/) });
    expect(received).toEqual([]);
  });
});
