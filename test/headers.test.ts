// Security headers on every answer (issue 16, fault 9): nosniff everywhere; no framing and a
// strict content security policy, which is what protects the HTML pages (/docs); no caching
// of anything under /v1, whose answers carry secrets and live links.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const get = (url: string, headers: Record<string, string> = {}) => h.app.inject({ method: 'GET', url, headers });

describe('response headers', () => {
  it.each(['/health', '/openapi.json', '/docs/', '/v1/accounts', '/v1/nowhere'])('%s: nosniff, no framing, a CSP', async (url) => {
    const reply = await get(url, { authorization: `Bearer ${h.apiKey}` });
    expect(reply.headers['x-content-type-options']).toBe('nosniff');
    expect(reply.headers['x-frame-options']).toBe('DENY');
    expect(String(reply.headers['content-security-policy'])).toContain("frame-ancestors 'none'");
    expect(String(reply.headers['content-security-policy'])).toContain("default-src 'self'");
  });

  it('serves /docs as HTML that loads only its own scripts, and cannot be framed', async () => {
    const reply = await get('/docs/');
    expect(reply.statusCode).toBe(200);
    expect(reply.headers['content-type']).toContain('text/html');
    expect(reply.body).not.toMatch(/<script>(?!\s*<\/script>)/); // no inline script the CSP would block
  });

  it('marks every /v1 answer no-store, refusals included', async () => {
    expect((await get('/v1/accounts', { authorization: `Bearer ${h.apiKey}` })).headers['cache-control']).toBe('no-store');
    expect((await get('/v1/mails', { authorization: `Bearer ${h.apiKey}` })).headers['cache-control']).toBe('no-store');
    const refused = await get('/v1/accounts');
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['cache-control']).toBe('no-store');
  });
});
