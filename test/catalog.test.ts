// The catalog through the HTTP API: services, plans, append-only price versions and the
// price preview, with every refusal naming its code and field and writing nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimulatedClock } from '../src/time/clock.js';
import { type Harness, startHarness } from './support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ clockStart: '2026-11-02T13:00:00Z' });
  for (const [code, unit] of [['cpe_devices', 'device'], ['public_ip', 'address']]) {
    expect((await h.call('POST', '/v1/services', { code, name: code, unit })).status).toBe(201);
  }
});
afterAll(() => h.close());

const starter = (base = '2.40') => ({
  base_price: base,
  items: [
    { service: 'cpe_devices', unit_price: '0.02', included: 100, default: 100 },
    { service: 'public_ip', unit_price: '0.10', max: 1, decrease: 'none' },
  ],
  quotas: { sites: 5 },
  features: ['api'],
});

const planBody = (over: Record<string, unknown> = {}) => ({
  code: 'dms_starter',
  name: 'Starter',
  kind: 'preset',
  cadence: 'daily',
  timing: 'in_advance',
  prices: [{ currency: 'EUR', definition: starter() }],
  ...over,
});

const planCount = async () => (await h.call('GET', '/v1/plans?limit=200')).body.data.length;

describe('services', () => {
  it('creates a service and reads it back', async () => {
    const created = await h.call('POST', '/v1/services', { code: 'user_seats', name: 'User seats', unit: 'seat', description: 'named users' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ code: 'user_seats', unit: 'seat', description: 'named users', created_at: '2026-11-02T13:00:00.000Z' });
    expect((await h.call('GET', `/v1/services/${created.body.id}`)).body).toEqual(created.body);
  });
  it('refuses a second service with the same code', async () => {
    const again = await h.call('POST', '/v1/services', { code: 'cpe_devices', name: 'Other', unit: 'x' });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'already_exists', field: '/code' });
  });
  it('refuses a code that is not a machine name', async () => {
    const bad = await h.call('POST', '/v1/services', { code: 'CPE Devices', name: 'x', unit: 'x' });
    expect(bad.body).toMatchObject({ status: 400, code: 'validation_failed', field: '/code' });
  });
  it('pages through services by cursor', async () => {
    const first = await h.call('GET', '/v1/services?limit=2');
    expect(first.body.data.map((s: { code: string }) => s.code)).toEqual(['cpe_devices', 'public_ip']);
    const rest = await h.call('GET', `/v1/services?limit=2&cursor=${first.body.next_cursor}`);
    expect(rest.body).toMatchObject({ data: [{ code: 'user_seats' }], next_cursor: null });
  });
  it('answers 404 for a service that does not exist', async () => {
    expect((await h.call('GET', '/v1/services/999999')).body).toMatchObject({ status: 404, code: 'not_found' });
  });
});

describe('creating plans', () => {
  it('creates a plan with version 1 per currency, effective now, defaults filled in', async () => {
    const usd = { currency: 'USD', definition: starter('2.60') };
    const created = await h.call('POST', '/v1/plans', planBody({ prices: [{ currency: 'EUR', definition: starter() }, usd] }));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ code: 'dms_starter', kind: 'preset', cadence: 'daily', timing: 'in_advance' });
    expect(created.body.versions).toHaveLength(2);
    expect(created.body.versions[0]).toMatchObject({ version: 1, currency: 'EUR', effective_from: '2026-11-02T13:00:00.000Z' });
    expect(created.body.versions[0].definition.items[0]).toEqual({
      service: 'cpe_devices', unit_price: '0.02', tier_mode: 'flat', included: 100, min: 0, max: null, default: 100, decrease: 'refund', follows_count: false,
    });
    expect((await h.call('GET', `/v1/plans/${created.body.id}`)).body).toEqual(created.body);
  });

  it.each([
    ['an unknown currency', { prices: [{ currency: 'EUX', definition: starter() }] }, 'unknown_currency', '/prices/0/currency'],
    ['no price at all', { prices: [] }, 'validation_failed', '/prices'],
    ['a price that is not a decimal', { prices: [{ currency: 'EUR', definition: { ...starter(), base_price: '2,40' } }] }, 'validation_failed', '/prices/0/definition/base_price'],
    [
      'an open tier before the last',
      { prices: [{ currency: 'EUR', definition: { items: [{ service: 'public_ip', unit_price: '1' }, { service: 'cpe_devices', tier_mode: 'graduated', tiers: [{ up_to: null, unit_price: '0.03' }, { up_to: null, unit_price: '0.02' }] }] } }] },
      'validation_failed',
      '/prices/0/definition/items/1/tiers/0/up_to',
    ],
    ['an item of an unknown service', { prices: [{ currency: 'EUR', definition: { items: [{ service: 'sms', unit_price: '0.05' }] } }] }, 'validation_failed', '/prices/0/definition/items/0/service'],
    ['one currency priced twice', { prices: [{ currency: 'EUR', definition: starter() }, { currency: 'EUR', definition: starter() }] }, 'validation_failed', '/prices/1/currency'],
    ['a start in the past', { effective_from: '2026-11-02T12:59:59Z' }, 'validation_failed', '/effective_from'],
    ['an unknown kind', { kind: 'bundle' }, 'validation_failed', '/kind'],
    ['an unknown field', { colour: 'red' }, 'validation_failed', '/colour'],
    ['a monthly in-arrears plan (in arrears bills each UTC date used)', { cadence: 'monthly', timing: 'in_arrears' }, 'validation_failed', '/cadence'],
  ])('refuses %s, writing nothing', async (_what, over, code, field) => {
    const before = await planCount();
    const refused = await h.call('POST', '/v1/plans', planBody({ code: 'refused_plan', ...over }));
    expect(refused.status).toBe(code === 'already_exists' ? 409 : 400);
    expect(refused.body).toMatchObject({ code, field });
    expect(await planCount()).toBe(before);
  });

  it('refuses a second plan with the same code', async () => {
    const again = await h.call('POST', '/v1/plans', planBody());
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'already_exists', field: '/code' });
  });

  it('never lets a plan and a service share a code: grants, budgets and the billing history name both by it', async () => {
    const plan = await h.call('POST', '/v1/plans', { ...planBody(), code: 'cpe_devices' });
    expect(plan.status).toBe(409);
    expect(plan.body).toMatchObject({ code: 'already_exists', field: '/code' });
    const service = await h.call('POST', '/v1/services', { code: planBody().code, name: 'Clash', unit: 'x' });
    expect(service.status).toBe(409);
    expect(service.body).toMatchObject({ code: 'already_exists', field: '/code' });
  });
});

describe('price versions', () => {
  let planId: number;
  const eurQuote = async (query = '') => (await h.call('GET', `/v1/plans/${planId}/price?currency=EUR&quantities=cpe_devices:250,public_ip:1${query}`)).body;
  beforeAll(async () => {
    planId = (await h.call('POST', '/v1/plans', planBody({ code: 'dms_versions' }))).body.id;
  });

  it('quotes one full period line by line', async () => {
    // 2.40 + (250 - 100) x 0.02 + 1 x 0.10 = 2.40 + 3.00 + 0.10 = 5.50
    expect(await eurQuote()).toMatchObject({
      version: 1,
      quantities: { cpe_devices: 250, public_ip: 1 },
      lines: [
        { line: 'base', quantity: 1, billable: 1, amount: '2.4' },
        { line: 'cpe_devices', quantity: 250, billable: 150, amount: '3' },
        { line: 'public_ip', quantity: 1, billable: 1, amount: '0.1' },
      ],
      total: '5.5',
      period_amount: '550',
    });
  });

  it('a version effective tomorrow leaves today\'s price alone, then applies from tomorrow on', async () => {
    const added = await h.call('POST', `/v1/plans/${planId}/versions`, { currency: 'EUR', definition: starter('2.90'), effective_from: '2026-11-03T00:00:00Z' });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ version: 2, currency: 'EUR', effective_from: '2026-11-03T00:00:00.000Z' });
    expect(await eurQuote()).toMatchObject({ version: 1, period_amount: '550' });
    // previewing the scheduled price: 2.90 + 3.00 + 0.10 = 6.00
    expect(await eurQuote('&at=2026-11-03T00:00:00Z')).toMatchObject({ version: 2, period_amount: '600' });
    (h.kassa.clock as SimulatedClock).set(new Date('2026-11-03T00:00:00Z'));
    expect(await eurQuote()).toMatchObject({ version: 2, period_amount: '600' });
  });

  it('keeps every version unchanged: versions are append-only', async () => {
    const plan = (await h.call('GET', `/v1/plans/${planId}`)).body;
    expect(plan.versions.map((v: { version: number; definition: { base_price: string } }) => [v.version, v.definition.base_price])).toEqual([[1, '2.40'], [2, '2.90']]);
  });

  it.each([
    ['a start before now', { effective_from: '2026-11-02T23:59:59Z' }, 'validation_failed', '/effective_from'],
    ['an unknown currency', { currency: 'XXY' }, 'unknown_currency', '/currency'],
    ['a tier that does not ascend', { definition: { items: [{ service: 'cpe_devices', tier_mode: 'volume', tiers: [{ up_to: 100, unit_price: '1' }, { up_to: 50, unit_price: '1' }, { up_to: null, unit_price: '1' }] }] } }, 'validation_failed', '/definition/items/0/tiers/1/up_to'],
    ['an unknown service', { definition: { items: [{ service: 'sms', unit_price: '1' }] } }, 'validation_failed', '/definition/items/0/service'],
  ])('refuses a version with %s, writing nothing', async (_what, over, code, field) => {
    const refused = await h.call('POST', `/v1/plans/${planId}/versions`, { currency: 'EUR', definition: starter('3'), ...over });
    expect(refused.body).toMatchObject({ status: 400, code, field });
    expect((await h.call('GET', `/v1/plans/${planId}`)).body.versions).toHaveLength(2);
  });

  it('refuses a version that would start before the latest one', async () => {
    await h.call('POST', `/v1/plans/${planId}/versions`, { currency: 'EUR', definition: starter('3.10'), effective_from: '2026-12-01T00:00:00Z' });
    const refused = await h.call('POST', `/v1/plans/${planId}/versions`, { currency: 'EUR', definition: starter('3.20'), effective_from: '2026-11-20T00:00:00Z' });
    expect(refused.body).toMatchObject({ code: 'validation_failed', field: '/effective_from' });
  });

  it('numbers versions per currency: a first USD price is version 1', async () => {
    const usd = await h.call('POST', `/v1/plans/${planId}/versions`, { currency: 'USD', definition: starter('2.60') });
    expect(usd.body).toMatchObject({ version: 1, currency: 'USD', effective_from: '2026-11-03T00:00:00.000Z' });
  });

  it('answers 404 for a version of a plan that does not exist', async () => {
    expect((await h.call('POST', '/v1/plans/999999/versions', { currency: 'EUR', definition: starter() })).body).toMatchObject({ status: 404, code: 'not_found' });
  });
});

describe('a custom plan priced per device', () => {
  it('keeps open tiers open and prices them graduated', async () => {
    const tiers = [{ up_to: 100, unit_price: '0.03' }, { up_to: 1000, unit_price: '0.025' }, { up_to: null, unit_price: '0.02' }];
    const definition = { items: [{ service: 'cpe_devices', tier_mode: 'graduated', tiers, min: 10, default: 100 }] };
    const created = await h.call('POST', '/v1/plans', planBody({ code: 'dms_custom', kind: 'custom', prices: [{ currency: 'EUR', definition }] }));
    expect(created.body.versions[0].definition.items[0].tiers).toEqual(tiers);
    // 100 x 0.03 + 900 x 0.025 + 200 x 0.02 = 3 + 22.5 + 4 = 29.50
    const quote = (await h.call('GET', `/v1/plans/${created.body.id}/price?currency=EUR&quantities=cpe_devices:1200`)).body;
    expect(quote).toMatchObject({ total: '29.5', period_amount: '2950' });
  });
});

describe('price preview refusals', () => {
  let planId: number;
  beforeAll(async () => {
    planId = (await h.call('GET', '/v1/plans?limit=1')).body.data[0].id;
  });
  it.each([
    ['an item the plan lacks', 'currency=EUR&quantities=sms:1', 400, 'validation_failed', '/querystring/quantities/sms'],
    ['more than the item allows', 'currency=EUR&quantities=public_ip:2', 400, 'validation_failed', '/querystring/quantities/public_ip'],
    ['quantities that are not service:count', 'currency=EUR&quantities=public_ip=2', 400, 'validation_failed', '/querystring/quantities'],
    ['an unknown currency', 'currency=EUX', 400, 'unknown_currency', '/querystring/currency'],
    ['a currency the plan is not priced in', 'currency=GBP', 404, 'not_found', undefined],
  ])('refuses %s', async (_what, query, status, code, field) => {
    const refused = await h.call('GET', `/v1/plans/${planId}/price?${query}`);
    expect(refused.status).toBe(status);
    expect(refused.body).toMatchObject({ code });
    expect(refused.body.field).toBe(field);
  });
});

describe('the OpenAPI document', () => {
  it('describes every catalog route with its errors', async () => {
    const paths = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json().paths;
    expect(Object.keys(paths['/v1/plans/{id}/versions'].post.responses).sort()).toEqual(['201', '400', '401', '404', '413', '500']);
    expect(paths['/v1/services'].post.responses).toHaveProperty('409');
    expect(paths['/v1/plans/{id}/price'].get.tags).toEqual(['catalog']);
  });
});
