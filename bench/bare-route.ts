// The yardstick for entitlement checks over HTTP (issue 11): a bare Fastify server in its own
// process answering the entitlement route with a fixed answer of the same JSON shape, no
// authentication, no database, no cache. What Kassa's answer costs beyond it is Kassa's own.
//   npx tsx bench/bare-route.ts   -> prints "listening at http://127.0.0.1:PORT"
import Fastify from 'fastify';

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
app.get('/v1/accounts/:id/entitlements/:feature', { schema }, async (request) => ({ ...answer, feature: (request.params as { feature: string }).feature }));
const address = await app.listen({ host: '127.0.0.1', port: 0 });
console.log(`listening at ${address}`);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
