// "Every route, its errors and its examples are in it": the OpenAPI 3.1 document lists every
// /v1 route with a summary, its success response, its problem+json errors and the security
// scheme, and the server actually serves each documented path.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './support/harness.js';

let h: Harness;
let doc: { openapi: string; paths: Record<string, Record<string, { summary?: string; responses: Record<string, unknown>; security?: unknown[] }>>; components: { securitySchemes: Record<string, unknown> } };
beforeAll(async () => {
  h = await startHarness();
  doc = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json();
});
afterAll(() => h.close());

const operations = () =>
  Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })));

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 with the provider key as its security scheme', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.securitySchemes.providerKey).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('documents every /v1 route the server registered', () => {
    const documented = new Set(operations().map(({ path, method }) => `${method.toUpperCase()} ${path}`));
    const registered = h.app.routeList.map((r) => r.route).filter((r) => r.includes(' /v1/')).map((r) => r.replace(/:([a-z_]+)/g, '{$1}'));
    expect(registered.length).toBeGreaterThanOrEqual(35);
    for (const route of registered) expect(documented.has(route), route).toBe(true);
  });

  it.each([
    'get /v1/accounts', 'post /v1/accounts', 'post /v1/accounts/{id}/adjustments', 'get /v1/accounts/{id}/ledger',
    'post /v1/plans', 'post /v1/accounts/{id}/subscriptions', 'post /v1/subscriptions/{id}/enable',
    'get /v1/accounts/{id}/entitlements', 'post /v1/clock/advance', 'get /v1/billing-runs', 'get /v1/events',
  ])('has %s', (key) => {
    const [method, path] = key.split(' ') as [string, string];
    expect(doc.paths[path]?.[method]).toBeDefined();
  });

  it('gives every /v1 operation a summary, a 2xx answer and its problem+json errors', () => {
    for (const { path, method, op } of operations().filter(({ path }) => path.startsWith('/v1/'))) {
      const where = `${method.toUpperCase()} ${path}`;
      expect(op.summary, where).toBeTruthy();
      const statuses = Object.keys(op.responses);
      expect(statuses.some((s) => s.startsWith('2')), where).toBe(true);
      expect(statuses, where).toContain('401');
      expect(statuses, where).toContain('400');
      if (path.includes('{id}')) expect(statuses, where).toContain('404');
    }
  });

  it('authorises every account-scoped route in one place: reads need a read permission, writes a write one or staff', () => {
    const scoped = h.app.routeList.filter((r) => / \/v1\/accounts\/:id/.test(r.route));
    expect(scoped.length).toBeGreaterThanOrEqual(12);
    for (const { route, access } of scoped) {
      if (route.startsWith('GET ')) expect(access, route).toMatch(/:read$/);
      else expect(access, route).toMatch(/:write$|^staff$/);
    }
  });
});
