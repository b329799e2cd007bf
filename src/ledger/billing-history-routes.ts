// Billing history over HTTP (SPEC 9): per account for its people, for every account (per
// currency) for the provider's staff; JSON, or CSV with `Accept: text/csv`.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { eq } from 'drizzle-orm';
import { Type } from 'typebox';
import { accounts } from '../db/schema.js';
import type { KassaApp } from '../http/kassa-app.js';
import { problemResponses, sendProblem } from '../shared/problem.js';
import { type GroupBy, type HistoryQuery, historyCsv, readBillingHistory } from './billing-history.js';

const MAX_DAYS = { day: 1100, month: 3700 } as const;
const DAY_MS = 86_400_000;
const day = (description: string) => Type.Optional(Type.String({ format: 'date', description }));

const HistoryQuerySchema = Type.Object({
  from: day('first UTC day, inclusive; default: 30 days (or 12 months) before `to`'),
  to: day('last UTC day, inclusive; default: today'),
  granularity: Type.Union([Type.Literal('day'), Type.Literal('month')], { default: 'day' }),
  group_by: Type.Union([Type.Literal('channel'), Type.Literal('service'), Type.Literal('kind')], {
    default: 'channel',
    description: '`channel` (or `service`, the same: each meter is a service, and subscription charges are under their plan code) and kind, or kind alone',
  }),
});

const HistoryRowSchema = Type.Object(
  {
    period: Type.String({ description: 'YYYY-MM-DD, or YYYY-MM by month' }),
    currency: Type.String(),
    channel: Type.Optional(Type.String({ description: "a meter (emails, sms...), or a plan's code for its subscriptions' charges" })),
    kind: Type.String({ enum: ['plan', 'seats', 'refund', 'usage', 'discount'], description: "plan: a period's charge; seats: units added mid-period; refund: a decrease refunded (negative); usage: metered usage at its price before the volume discount; discount: what volume discounts took off usage or plan charges (negative)" }),
    quantity: Type.String({ description: 'units used (usage) or charges made, exact decimal' }),
    amount: Type.String({ description: 'charged, integer minor units; negative for refunds' }),
  },
  { additionalProperties: false },
);

const HistorySchema = Type.Object(
  {
    account_id: Type.Union([Type.Integer(), Type.Null()], { description: 'null: every account, per currency' }),
    from: Type.String(),
    to: Type.String(),
    granularity: Type.String(),
    group_by: Type.String(),
    data: Type.Array(HistoryRowSchema),
  },
  {
    title: 'BillingHistory',
    examples: [
      {
        account_id: 2,
        from: '2026-12-01',
        to: '2026-12-02',
        granularity: 'day',
        group_by: 'channel',
        data: [
          { period: '2026-12-01', currency: 'EUR', channel: 'emails', kind: 'usage', quantity: '12000', amount: '950' },
          { period: '2026-12-01', currency: 'EUR', channel: 'messaging', kind: 'plan', quantity: '1', amount: '2900' },
          { period: '2026-12-02', currency: 'EUR', channel: 'sms', kind: 'usage', quantity: '140', amount: '1000' },
        ],
      },
    ],
  },
);

type Query = { from?: string; to?: string; granularity: 'day' | 'month'; group_by: 'channel' | 'service' | 'kind' };

/** The window asked for, with its defaults; a problem when it is backwards or too long. */
function historyQuery(query: Query, now: Date): HistoryQuery | { field: string; detail: string } {
  const to = query.to ?? now.toISOString().slice(0, 10);
  const back = query.granularity === 'day' ? 29 * DAY_MS : 365 * DAY_MS;
  const from = query.from ?? new Date(Date.parse(`${to}T00:00:00Z`) - back).toISOString().slice(0, 10);
  const days = (Date.parse(to) - Date.parse(from)) / DAY_MS + 1;
  if (days < 1) return { field: '/querystring/from', detail: 'from must not be after to' };
  if (days > MAX_DAYS[query.granularity]) return { field: '/querystring/from', detail: `a history by ${query.granularity} spans at most ${MAX_DAYS[query.granularity]} days` };
  const groupBy: GroupBy = query.group_by === 'kind' ? 'kind' : 'channel';
  return { from, to, granularity: query.granularity, groupBy };
}

const wantsCsv = (request: FastifyRequest) => /\btext\/csv\b/.test(request.headers.accept ?? '');

export async function billingHistoryRoutes(app: KassaApp) {
  const { kassa } = app;
  const answer = async (request: FastifyRequest, query: Query, reply: FastifyReply, accountId: number | null) => {
    const window = historyQuery(query, kassa.clock.now());
    if ('field' in window) return sendProblem(reply, { code: 'validation_failed', ...window });
    const data = await readBillingHistory(kassa.db, accountId, window);
    if (wantsCsv(request)) return reply.type('text/csv; charset=utf-8').send(historyCsv(data, window.groupBy));
    return { account_id: accountId, from: window.from, to: window.to, granularity: window.granularity, group_by: query.group_by, data };
  };
  const description =
    'From the daily rollup written with every charge: a day counts what was charged on it (usage as it is rated), so its rows add up exactly to its charges in the ledger. ' +
    '`Accept: text/csv` answers the same rows as CSV.';

  app.get(
    '/accounts/:id/billing-history',
    {
      config: { access: 'billing:read' },
      schema: {
        tags: ['ledger'],
        summary: 'What the account was charged, per day or month and per channel or kind',
        description,
        params: Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) }),
        querystring: HistoryQuerySchema,
        response: { 200: HistorySchema, ...problemResponses(404) },
      },
    },
    async (request, reply) => {
      const [account] = await kassa.db.select({ id: accounts.id }).from(accounts).where(eq(accounts.id, request.params.id));
      if (!account) return sendProblem(reply, { code: 'not_found', detail: `no account ${request.params.id}` });
      return answer(request, request.query, reply, request.params.id);
    },
  );

  app.get(
    '/billing-history',
    {
      schema: {
        tags: ['ledger'],
        summary: 'What every account was charged, per currency, day or month, and channel or kind (staff)',
        description,
        querystring: HistoryQuerySchema,
        response: { 200: HistorySchema, ...problemResponses(403) },
      },
    },
    async (request, reply) => answer(request, request.query, reply, null),
  );
}
