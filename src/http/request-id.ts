// Every request's id: the caller's X-Request-Id when it is a sensible one (a load balancer's or
// the product's, so one id follows a request across systems), else a new UUID. It is in every
// log line of the request (`request_id`), in the X-Request-Id header of the answer, and in
// every problem+json answer (`request_id`), so a customer's error report finds its log lines.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';
const SENSIBLE = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestId(request: IncomingMessage): string {
  const given = request.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && SENSIBLE.test(given) ? given : randomUUID();
}
