// Security headers on every answer (issue 16, fault 9): nosniff everywhere; no framing and a
// strict content security policy, which is what protects the HTML pages (/docs); the API's
// answers under /v1 the headers OWASP names for APIs (docs/decisions/0018-entitlement-hot-path.md),
// and no caching of anything under /v1, whose answers carry secrets and live links.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const get = (url: string, headers: Record<string, string> = {}) => h.app.inject({ method: 'GET', url, headers });

describe('response headers', () => {
  it.each(['/health', '/openapi.json', '/docs/'])('%s: nosniff, no framing, a CSP for pages', async (url) => {
    const reply = await get(url, { authorization: `Bearer ${h.apiKey}` });
    expect(reply.headers['x-content-type-options']).toBe('nosniff');
    expect(reply.headers['x-frame-options']).toBe('DENY');
    expect(String(reply.headers['content-security-policy'])).toContain("frame-ancestors 'none'");
    expect(String(reply.headers['content-security-policy'])).toContain("default-src 'self'");
    expect(reply.headers['cross-origin-opener-policy']).toBe('same-origin');
  });

  it.each(['/v1/accounts', '/v1/nowhere'])("%s: an API answer's headers: nosniff, no framing, nothing loads, HSTS, same-origin", async (url) => {
    const reply = await get(url, { authorization: `Bearer ${h.apiKey}` });
    expect(reply.headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'content-security-policy': "default-src 'none';frame-ancestors 'none'",
      'strict-transport-security': 'max-age=31536000; includeSubDomains',
      'cross-origin-resource-policy': 'same-origin',
      'cache-control': 'no-store',
    });
    // Helmet's headers for documents only are left off answers no browser renders as a page.
    for (const page of ['cross-origin-opener-policy', 'origin-agent-cluster', 'x-dns-prefetch-control', 'x-download-options', 'x-permitted-cross-domain-policies', 'x-xss-protection', 'referrer-policy']) {
      expect(reply.headers[page], page).toBeUndefined();
    }
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
