// The security headers of every answer. Pages (/docs, the mailed links' pages, the OpenAPI
// document): nosniff, no framing, a strict content security policy and helmet's other defaults.
// The API's answers under /v1 (JSON, CSV, PDF, a logo) get what OWASP's REST Security Cheat
// Sheet names for APIs: no-store, nosniff, no framing (frame-ancestors and X-Frame-Options),
// HSTS, plus a CSP that lets nothing load and same-origin CORP (a session cookie is a
// credential, and a Lax one is sent along by sibling subdomains: none may embed an answer).
// Helmet's headers for documents only (COOP, Origin-Agent-Cluster, Referrer-Policy, DNS
// prefetch, IE's download and XSS options, Flash's cross-domain policies) are left off: 590
// bytes of every entitlement check's answer otherwise, when a bare route's whole answer is 200
// (docs/decisions/0018-entitlement-hot-path.md).
// Helmet decides them; they depend on nothing in the request, so they are worked out once here
// and set from one precomputed object. Running @fastify/helmet's middleware on every request
// doubled the server's CPU per entitlement check (20 to 40 µs, 45,500 to 22,400 checks a
// second in bench/entitlements.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';

export const SECURITY_POLICY = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
      objectSrc: ["'none'"],
    },
  },
  frameguard: { action: 'deny' as const },
};

/** The API's answers: no document loads anything from them, nor frames them. */
export const API_SECURITY_POLICY = {
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
  frameguard: { action: 'deny' as const },
  referrerPolicy: false,
  crossOriginOpenerPolicy: false,
  originAgentCluster: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false,
};

/** Every /v1 answer's headers: the API's security headers, and never cached (answers carry secrets and live links). */
export function apiHeaders(): Record<string, string> {
  return { ...securityHeaders(API_SECURITY_POLICY), 'cache-control': 'no-store' };
}

/** The headers helmet sets for a policy (the pages' by default), as one object of lower-case names. */
export function securityHeaders(policy: Parameters<typeof helmet>[0] = SECURITY_POLICY): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: string | number | readonly string[]) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
    getHeader: (name: string) => headers[name.toLowerCase()],
  } as unknown as ServerResponse;
  let finished = false;
  helmet(policy)({} as IncomingMessage, response, (error?: unknown) => {
    if (error) throw error;
    finished = true;
  });
  if (!finished) throw new Error('helmet did not work out its headers synchronously');
  return headers;
}
