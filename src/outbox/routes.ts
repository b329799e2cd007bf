// The event feed: every state change Kassa recorded in its outbox (the same rows that drive
// e-mails and webhooks), for one account or, for the provider, across all accounts.
import { eq } from 'drizzle-orm';
import { Type } from 'typebox';
import type { KassaApp } from '../http/kassa-app.js';
import { accounts } from '../db/schema.js';
import { PageQuery, pageOf } from '../shared/pagination.js';
import { problemResponses, sendProblem } from '../shared/problem.js';
import { listEvents } from './read.js';

const tags = ['events'];
const Id = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
const Topic = Type.String({ pattern: '^[a-z_]+\\.[a-z_.]+$', maxLength: 100, description: 'only events of this topic, e.g. balance.low' });

const EventSchema = Type.Object({
  id: Type.Integer({ description: 'unique and increasing: use it to de-duplicate' }),
  account_id: Type.Union([Type.Integer(), Type.Null()], { description: "null for the provider's own events (billing_run.completed)" }),
  topic: Type.String(),
  payload: Type.Object({}, { additionalProperties: true, description: 'topic-specific; amounts as strings of integer minor units' }),
  created_at: Type.String({ format: 'date-time' }),
}, {
  examples: [
    {
      id: 4,
      account_id: 2,
      topic: 'balance.adjusted',
      payload: { account_id: 2, transaction_id: 2, direction: 'credit', amount: '5000', reason: 'bank transfer', balance: '5000', currency: 'EUR' },
      created_at: '2026-11-02T13:00:00.000Z',
    },
  ],
});

export async function outboxRoutes(app: KassaApp) {
  app.get(
    '/accounts/:id/events',
    { config: { access: 'billing:read' },
      schema: {
        tags,
        summary: "List an account's events, oldest first",
        params: Type.Object({ id: Id }),
        querystring: Type.Intersect([PageQuery, Type.Object({ topic: Type.Optional(Topic) })]),
        response: { 200: pageOf(EventSchema), ...problemResponses(404) },
      },
    },
    async (request, reply) => {
      const accountId = request.params.id;
      const [account] = await app.kassa.db.select({ id: accounts.id }).from(accounts).where(eq(accounts.id, accountId));
      if (!account) return sendProblem(reply, { code: 'not_found', detail: `no account ${accountId}` });
      return listEvents(app.kassa.db, { ...request.query, accountId });
    },
  );

  app.get(
    '/events',
    {
      schema: {
        tags,
        summary: 'List events across all accounts, oldest first (provider feed)',
        querystring: Type.Intersect([PageQuery, Type.Object({ account_id: Type.Optional(Id), topic: Type.Optional(Topic) })]),
        response: { 200: pageOf(EventSchema), ...problemResponses(403, 404) },
      },
    },
    async (request) => {
      const { account_id: accountId, ...window } = request.query;
      return listEvents(app.kassa.db, { ...window, accountId });
    },
  );
}
