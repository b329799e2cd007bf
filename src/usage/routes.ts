// Object counts over HTTP: the provider's product reports gauges (sites, users, contacts);
// Kassa keeps the latest value per metric and checks it against quotas.
import { eq } from 'drizzle-orm';
import { Type } from 'typebox';
import type { KassaApp } from '../http/kassa-app.js';
import type { Db } from '../db/client.js';
import { accounts } from '../db/schema.js';
import { problemResponses, sendProblem } from '../shared/problem.js';
import { seatsFollowCounts } from '../subscriptions/follow-counts.js';
import { readObjectCounts, reportObjectCounts } from './object-counts.js';

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) });
const CountsSchema = Type.Record(Type.String({ pattern: '^[a-z][a-z0-9_]{0,62}$' }), Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }), {
  additionalProperties: false,
  description: 'count per metric (same names as plan quotas and item service codes)',
});
const PutBody = Type.Object({ counts: Type.Unsafe<Record<string, number>>({ ...CountsSchema, maxProperties: 200 }) }, { additionalProperties: false, examples: [{ counts: { sites: 6 } }] });
const CountsView = Type.Object({ account_id: Type.Integer(), counts: CountsSchema }, { examples: [{ account_id: 2, counts: { sites: 6 } }] });
const PutView = Type.Object({
  account_id: Type.Integer(),
  counts: CountsSchema,
  over_limit: Type.Array(Type.Object({ metric: Type.String(), limit: Type.Integer(), count: Type.Integer() }), { description: 'metrics this report took over their limit' }),
  seats: Type.Array(
    Type.Object({
      subscription_id: Type.Integer(),
      quantities: Type.Record(Type.String(), Type.Object({ from: Type.Integer(), to: Type.Integer() })),
      charged: Type.String({ description: 'charged now for seats above the paid mark, integer minor units' }),
      refused: Type.Optional(Type.Object({ code: Type.String(), detail: Type.String() })),
    }),
    { description: 'subscriptions whose seat items (follows_count) this report reconfigured' },
  ),
}, { examples: [{ account_id: 2, counts: { sites: 6, users: 4 }, over_limit: [{ metric: 'sites', limit: 5, count: 6 }], seats: [{ subscription_id: 9, quantities: { users: { from: 3, to: 4 } }, charged: '250' }] }] });
const tags = ['usage'];

export async function objectCountRoutes(app: KassaApp) {
  const { kassa } = app;
  app.put(
    '/accounts/:id/object-counts',
    { config: { access: 'staff' }, schema: { tags, summary: 'Report object counts (absolute values; metrics left out keep theirs); seat items that follow a count are set to it and charged above their paid mark', params: IdParams, body: PutBody, response: { 200: PutView, ...problemResponses(404) } } },
    async (request, reply) => {
      const { id } = request.params;
      const at = kassa.clock.now();
      const result = await kassa.db.transaction(async (txAny) => {
        const tx = txAny as unknown as Db;
        const reported = await reportObjectCounts(tx, id, request.body.counts, at);
        return reported.ok ? { ...reported, seats: await seatsFollowCounts(tx, kassa, id, request.body.counts, at) } : reported;
      });
      if (!result.ok) return sendProblem(reply, result.failure);
      kassa.entitlements.invalidate(id);
      return {
        account_id: id,
        counts: result.value.counts,
        over_limit: result.value.crossed.map(({ metric, limit, count }) => ({ metric, limit, count })),
        seats: result.seats.map((s) => ({ subscription_id: s.subscriptionId, quantities: s.quantities, charged: s.charged.toString(), ...(s.refused ? { refused: { code: s.refused.code, detail: s.refused.detail } } : {}) })),
      };
    },
  );
  app.get(
    '/accounts/:id/object-counts',
    { config: { access: 'subscriptions:read' }, schema: { tags, summary: 'The latest reported object counts', params: IdParams, response: { 200: CountsView, ...problemResponses(404) } } },
    async (request, reply) => {
      const { id } = request.params;
      const [account] = await kassa.db.select({ id: accounts.id }).from(accounts).where(eq(accounts.id, id));
      if (!account) return sendProblem(reply, { code: 'not_found', detail: `no account ${id}` });
      return { account_id: id, counts: await readObjectCounts(kassa.db, id) };
    },
  );
}
