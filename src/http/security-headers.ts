// The security headers of every answer: nosniff, no framing, a strict content security policy
// (what protects the HTML pages: /docs and the mailed links' pages) and helmet's other
// defaults. Helmet decides them; they depend on nothing in the request, so they are worked out
// once here and set from one precomputed object. Running @fastify/helmet's middleware on every
// request doubled the server's CPU per entitlement check (20 to 40 µs, 45,500 to 22,400
// checks a second in bench/entitlements.ts).
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

/** The headers helmet sets for this policy, as one object of lower-case names. */
export function securityHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: string | number | readonly string[]) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
    getHeader: (name: string) => headers[name.toLowerCase()],
  } as unknown as ServerResponse;
  let finished = false;
  helmet(SECURITY_POLICY)({} as IncomingMessage, response, (error?: unknown) => {
    if (error) throw error;
    finished = true;
  });
  if (!finished) throw new Error('helmet did not work out its headers synchronously');
  return headers;
}
