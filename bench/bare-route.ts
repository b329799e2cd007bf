// The yardstick for entitlement checks over HTTP (issue 11): a bare Fastify server in its own
// process answering the entitlement route with a fixed answer of the same JSON shape, no
// authentication, no database, no cache. What Kassa's answer costs beyond it is Kassa's own.
// With --api-headers it also sends what every Kassa API answer carries (its security headers
// and an X-Request-Id): the same bytes as Kassa's answer, so what is left between the two is
// Kassa's own work.
//   npx tsx bench/bare-route.ts [--api-headers]   -> prints "listening at http://127.0.0.1:PORT"
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import { apiHeaders } from '../src/http/security-headers.js';

const app = Fastify({ logger: false });
const answer = { feature: 'users', allowed: true, limit: 10, used: 3, remaining: 7, reason: null };
// Serialised from a response schema, as Kassa's answers are.
const schema = {
  response: {
    200: {
      type: 'object',
      properties: { feature: { type: 'string' }, allowed: { type: 'boolean' }, limit: { type: ['integer', 'null'] }, used: { type: 'integer' }, remaining: { type: ['integer', 'null'] }, reason: { type: ['string', 'null'] } },
    },
  },
};
const headers = process.argv.includes('--api-headers') ? apiHeaders() : undefined;
app.get('/v1/accounts/:id/entitlements/:feature', { schema }, async (request, reply) => {
  if (headers) reply.headers(headers).header('x-request-id', randomUUID());
  return { ...answer, feature: (request.params as { feature: string }).feature };
});
const address = await app.listen({ host: '127.0.0.1', port: 0 });
console.log(`listening at ${address}`);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
