// Webhook endpoints (SPEC 10, issue 10): staff register the product's endpoints, each with its
// own signing secret shown once; rotating it keeps the old one signing beside the new one for
// 24 hours (on the simulated clock); an endpoint can be changed, disabled and removed. Where a
// webhook may go is guarded: https only, and no private, loopback or link-local host (an SSRF
// guard) unless the two allowances are set; bad input is refused with its field and stores nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { webhookEndpointSecrets } from '../src/db/schema.js';
import { signingSecrets } from '../src/webhooks/endpoints.js';
import { type Harness, startHarness } from './support/harness.js';

interface Endpoint { id: number; url: string; description: string | null; event_types: string[] | null; enabled: boolean; disabled_reason: string | null; parallel: boolean; secrets: { created_at: string; expires_at: string | null }[]; secret?: string }

// A public address (documentation ranges are reserved, so a real one): nothing is sent to it here.
const PUBLIC = 'https://93.184.216.34/kassa/webhooks';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ clockStart: '2026-11-02T12:00:00Z' });
});
afterAll(() => h.close());

const list = async () => (await h.call('GET', '/v1/webhook-endpoints')).body as { data: Endpoint[] };

describe('a webhook endpoint', () => {
  let endpoint: Endpoint;

  it('is registered with a secret of its own, shown once', async () => {
    const created = await h.call('POST', '/v1/webhook-endpoints', { url: PUBLIC, description: 'suspensions', event_types: ['subscription.suspended', 'subscription.resumed', 'subscription.suspended'] });
    expect(created.status).toBe(201);
    endpoint = created.body as Endpoint;
    expect(endpoint).toMatchObject({ url: PUBLIC, description: 'suspensions', event_types: ['subscription.suspended', 'subscription.resumed'], enabled: true, disabled_reason: null, parallel: false });
    expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(endpoint.secret!.slice('whsec_'.length), 'base64').length).toBeGreaterThanOrEqual(24); // 32 random bytes
    expect(endpoint.secrets).toEqual([{ created_at: '2026-11-02T12:00:00.000Z', expires_at: null }]);

    const read = (await h.call('GET', `/v1/webhook-endpoints/${endpoint.id}`)).body as Endpoint;
    expect(read).not.toHaveProperty('secret');
    expect(read).toMatchObject({ id: endpoint.id, url: PUBLIC });
    expect((await list()).data.map((e) => e.id)).toEqual([endpoint.id]);
    expect(await signingSecrets(h.kassa.db, h.kassa.secrets, endpoint.id, h.kassa.clock.now())).toEqual([endpoint.secret]);
    // Stored sealed under KASSA_SECRET_KEY, never in clear.
    const [stored] = await h.kassa.db.select({ secret: webhookEndpointSecrets.secret }).from(webhookEndpointSecrets).where(eq(webhookEndpointSecrets.endpointId, endpoint.id));
    expect(stored!.secret).toMatch(new RegExp(`^kassa:v1:${h.kassa.secrets.currentKeyId}:`));
    expect(stored!.secret).not.toContain(endpoint.secret!.slice(6));
    const other = (await h.call('POST', '/v1/webhook-endpoints', { url: PUBLIC })).body as Endpoint;
    expect(other.secret).not.toBe(endpoint.secret);
    expect(other.event_types).toBeNull(); // every event type
    expect((await h.call('DELETE', `/v1/webhook-endpoints/${other.id}`)).status).toBe(204);
  });

  it('is changed: its event types, all of them again, disabled by staff and enabled again', async () => {
    const changed = await h.call('PATCH', `/v1/webhook-endpoints/${endpoint.id}`, { event_types: ['top_up.succeeded'], parallel: true });
    expect(changed.body).toMatchObject({ event_types: ['top_up.succeeded'], parallel: true, description: 'suspensions' });
    expect((await h.call('PATCH', `/v1/webhook-endpoints/${endpoint.id}`, { event_types: null })).body).toMatchObject({ event_types: null });
    expect((await h.call('PATCH', `/v1/webhook-endpoints/${endpoint.id}`, { enabled: false })).body).toMatchObject({ enabled: false, disabled_reason: 'operator' });
    expect((await h.call('PATCH', `/v1/webhook-endpoints/${endpoint.id}`, { enabled: true })).body).toMatchObject({ enabled: true, disabled_reason: null });
  });

  it('rotates its secret: the old one signs beside the new one for 24 hours, then stops', async () => {
    await h.call('POST', '/v1/clock/advance', { to: '2026-11-02T13:00:00Z', wait: true });
    const rotated = await h.call('POST', `/v1/webhook-endpoints/${endpoint.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    const fresh = (rotated.body as Endpoint).secret!;
    expect(fresh).not.toBe(endpoint.secret);
    expect((rotated.body as Endpoint).secrets).toEqual([
      { created_at: '2026-11-02T13:00:00.000Z', expires_at: null },
      { created_at: '2026-11-02T12:00:00.000Z', expires_at: '2026-11-03T13:00:00.000Z' }, // 13:00 + 24 h
    ]);
    expect(await signingSecrets(h.kassa.db, h.kassa.secrets, endpoint.id, h.kassa.clock.now())).toEqual([fresh, endpoint.secret]); // both sign, the new one first

    await h.call('POST', '/v1/clock/advance', { to: '2026-11-03T13:00:00Z', wait: true });
    expect(await signingSecrets(h.kassa.db, h.kassa.secrets, endpoint.id, h.kassa.clock.now())).toEqual([fresh]);
    expect(((await h.call('GET', `/v1/webhook-endpoints/${endpoint.id}`)).body as Endpoint).secrets).toHaveLength(1);

    // Rotating twice inside a day: only the one just replaced signs beside the newest.
    const second = ((await h.call('POST', `/v1/webhook-endpoints/${endpoint.id}/rotate-secret`)).body as Endpoint).secret!;
    const third = ((await h.call('POST', `/v1/webhook-endpoints/${endpoint.id}/rotate-secret`)).body as Endpoint).secret!;
    expect(await signingSecrets(h.kassa.db, h.kassa.secrets, endpoint.id, h.kassa.clock.now())).toEqual([third, second]);
  });

  it('is removed: nothing more is sent to it, and it is gone from the list', async () => {
    expect((await h.call('DELETE', `/v1/webhook-endpoints/${endpoint.id}`)).status).toBe(204);
    expect((await h.call('GET', `/v1/webhook-endpoints/${endpoint.id}`)).status).toBe(404);
    expect((await h.call('DELETE', `/v1/webhook-endpoints/${endpoint.id}`)).status).toBe(404);
    expect(await signingSecrets(h.kassa.db, h.kassa.secrets, endpoint.id, h.kassa.clock.now())).toEqual([]);
    expect((await list()).data).toEqual([]);
  });

  it('answers 404 for an endpoint that does not exist', async () => {
    for (const [method, url, body] of [['GET', '/v1/webhook-endpoints/999999'], ['PATCH', '/v1/webhook-endpoints/999999', { enabled: false }], ['POST', '/v1/webhook-endpoints/999999/rotate-secret']] as const) {
      expect((await h.call(method, url, body)).body, `${method} ${url}`).toMatchObject({ status: 404, code: 'not_found' });
    }
  });
});

describe('where a webhook may go', () => {
  it('refuses what is not an https URL to a public host, with the field at fault, and stores nothing', async () => {
    const refusals: [unknown, string, RegExp][] = [
      [{ url: 'not a url' }, '/url', /not a URL/],
      [{ url: 'ftp://93.184.216.34/hooks' }, '/url', /https:\/\/ URL, not ftp:/],
      [{ url: 'http://93.184.216.34/hooks' }, '/url', /KASSA_WEBHOOK_ALLOW_HTTP/],
      [{ url: 'https://127.0.0.1/hooks' }, '/url', /loopback/],
      [{ url: 'https://10.1.2.3/hooks' }, '/url', /private/],
      [{ url: 'https://192.168.0.10/hooks' }, '/url', /private/],
      [{ url: 'https://169.254.169.254/latest/meta-data' }, '/url', /link-local/],
      [{ url: 'https://[::1]/hooks' }, '/url', /loopback/],
      [{ url: 'https://[::ffff:10.0.0.1]/hooks' }, '/url', /private/],
      [{ url: 'https://0.0.0.0/hooks' }, '/url', /unspecified/],
      [{ url: 'https://localhost/hooks' }, '/url', /localhost resolves to .*loopback/], // resolved before it is judged
      [{ url: 'https://kassa-no-such-host.invalid/hooks' }, '/url', /does not resolve/],
      [{ url: 'https://user:secret@93.184.216.34/hooks' }, '/url', /no user name or password/],
      [{ url: `${PUBLIC}#part` }, '/url', /fragment/],
      [{ url: PUBLIC, event_types: ['subscription.suspended', 'subscription.exploded'] }, '/event_types/1', /no event type subscription.exploded/],
      [{ url: PUBLIC, event_types: [] }, '/event_types', /./],
      [{ url: PUBLIC, colour: 'blue' }, '', /./],
    ];
    for (const [body, field, detail] of refusals) {
      const refused = await h.call('POST', '/v1/webhook-endpoints', body);
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(refused.headers['content-type'], JSON.stringify(body)).toMatch(/^application\/problem\+json/);
      expect(refused.body, JSON.stringify(body)).toMatchObject({ code: 'validation_failed', ...(field ? { field } : {}) });
      expect((refused.body as { detail: string }).detail, JSON.stringify(body)).toMatch(detail);
    }
    expect((await list()).data).toEqual([]);
  });

  it('guards a changed URL alike, leaving the endpoint as it was', async () => {
    const endpoint = (await h.call('POST', '/v1/webhook-endpoints', { url: PUBLIC })).body as Endpoint;
    const refused = await h.call('PATCH', `/v1/webhook-endpoints/${endpoint.id}`, { url: 'https://10.0.0.7/hooks', description: 'moved' });
    expect(refused.body).toMatchObject({ status: 400, code: 'validation_failed', field: '/url' });
    expect((await h.call('GET', `/v1/webhook-endpoints/${endpoint.id}`)).body).toMatchObject({ url: PUBLIC, description: null });
    expect((await h.call('PATCH', `/v1/webhook-endpoints/${endpoint.id}`, {})).body).toMatchObject({ status: 400, code: 'validation_failed' }); // nothing to change
    await h.call('DELETE', `/v1/webhook-endpoints/${endpoint.id}`);
  });

  it('lists the event types an endpoint may ask for', async () => {
    const types = ((await h.call('GET', '/v1/webhook-event-types')).body as { data: { type: string }[] }).data.map((t) => t.type);
    expect(types).toEqual(expect.arrayContaining(['subscription.suspended', 'balance.low', 'top_up.succeeded', 'document.issued', 'billing_run.completed']));
  });
});

describe('with KASSA_WEBHOOK_ALLOW_HTTP and KASSA_WEBHOOK_ALLOW_PRIVATE', () => {
  let local: Harness;
  beforeAll(async () => {
    local = await startHarness({ webhooks: { allowHttp: true, allowPrivate: true } });
  });
  afterAll(() => local.close());

  it('takes an http endpoint on loopback, as tests and local development need; still no other scheme', async () => {
    expect((await local.call('POST', '/v1/webhook-endpoints', { url: 'http://127.0.0.1:8080/hooks' })).status).toBe(201);
    expect((await local.call('POST', '/v1/webhook-endpoints', { url: 'ftp://127.0.0.1/hooks' })).body).toMatchObject({ status: 400, field: '/url' });
  });
});
