import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

describe('the server', () => {
  it('answers health without a key', async () => {
    const r = await h.app.inject({ method: 'GET', url: '/health' });
    expect(r.statusCode).toBe(200);
    expect(r.json().status).toBe('ok');
  });
  it('refuses /v1 without a key, as problem+json', async () => {
    const r = await h.app.inject({ method: 'GET', url: '/v1/accounts' });
    expect(r.statusCode).toBe(401);
    expect(r.headers['content-type']).toContain('application/problem+json');
    expect(r.json().code).toBe('unauthorized');
  });
  it('serves an OpenAPI 3.1 document', async () => {
    const r = await h.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(r.json().openapi).toBe('3.1.0');
  });
});
