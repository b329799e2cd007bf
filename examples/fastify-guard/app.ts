// A provider's product guarding its routes with @kassa/client (README, "Client"): each
// request's account is checked in memory (no call to Kassa on the hot path), the cache hears of
// changes from Kassa's entitlement stream, and Kassa's webhooks are verified and also drop what
// they are about. In your product, import from '@kassa/client'.
import Fastify, { type FastifyInstance } from 'fastify';
import { EntitlementCache, createKassaClient, verifyWebhook } from '../../packages/client/src/index.js';

export interface ProductOptions {
  kassaUrl: string;
  /** A provider API key (kassa_sk_...). */
  apiKey: string;
  /** The webhook endpoint's secret (whsec_...), as Kassa answered it on registering. */
  webhookSecret: string;
}

export async function buildProduct(options: ProductOptions): Promise<{ app: FastifyInstance; entitlements: EntitlementCache }> {
  const kassa = createKassaClient({ baseUrl: options.kassaUrl, apiKey: options.apiKey });
  const entitlements = new EntitlementCache({ client: kassa, baseUrl: options.kassaUrl, apiKey: options.apiKey });
  await entitlements.connect();

  const app = Fastify();
  app.addHook('onClose', async () => entitlements.close());

  /** Refuses the request unless the caller's account may use `feature` now. */
  const guard = (feature: string) => async (request: { headers: Record<string, unknown> }, reply: { code(n: number): { send(body: unknown): unknown } }) => {
    const accountId = Number(request.headers['x-account-id']);
    if (!Number.isSafeInteger(accountId) || accountId < 1) return reply.code(401).send({ error: 'which account?' });
    if (await entitlements.allowed(accountId, feature)) return;
    const answer = entitlements.check(accountId, feature);
    return reply.code(402).send({ error: 'not allowed', reason: answer?.reason ?? 'unknown_account' });
  };

  app.get('/reports', { preHandler: guard('reports') }, async () => ({ reports: ['october.pdf'] }));

  // Webhooks need the raw body to verify: keep it as a string.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  app.post('/kassa/webhooks', async (request, reply) => {
    try {
      const event = verifyWebhook(request.headers as Record<string, string>, request.body as string, options.webhookSecret);
      entitlements.handleEvent(event);
      if (event.type === 'subscription.suspended') request.log.info({ account: event.data.account_id }, 'suspended: the cache already dropped it');
      return reply.code(204).send();
    } catch {
      return reply.code(400).send({ error: 'bad signature' });
    }
  });
  return { app, entitlements };
}
