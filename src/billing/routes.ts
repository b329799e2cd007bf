import { desc, lt } from 'drizzle-orm';
import { Type } from 'typebox';
import type { KassaApp } from '../http/kassa-app.js';
import { billingRuns } from '../db/schema.js';
import { problemResponses } from '../shared/problem.js';
import { BillingRunSchema, billingRunExample, billingRunView } from './schemas.js';
import { runDueBoundaries } from './run.js';

export async function billingRoutes(app: KassaApp) {
  app.get(
    '/billing-runs',
    {
      schema: {
        tags: ['billing'],
        summary: 'List billing runs, newest first',
        querystring: Type.Object({
          limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
          cursor: Type.Optional(Type.String({ pattern: '^[0-9]{1,18}$' })),
        }),
        response: {
          200: Type.Object(
            { data: Type.Array(BillingRunSchema), next_cursor: Type.Union([Type.String(), Type.Null()]) },
            { examples: [{ data: [billingRunExample], next_cursor: null }] },
          ),
          ...problemResponses(),
        },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const rows = await app.kassa.db
        .select()
        .from(billingRuns)
        .where(cursor ? lt(billingRuns.id, Number(cursor)) : undefined)
        .orderBy(desc(billingRuns.id))
        .limit(limit + 1);
      const data = rows.slice(0, limit);
      return { data: data.map(billingRunView), next_cursor: rows.length > limit ? String(data[data.length - 1]!.id) : null };
    },
  );

  app.post(
    '/billing-runs',
    {
      schema: {
        tags: ['billing'],
        summary: 'Run every billing boundary that is due now (resumes interrupted runs, catches up missed midnights)',
        description: 'Idempotent by construction: a boundary already completed is not run again, and no period is ever billed twice.',
        response: { 200: Type.Object({ data: Type.Array(BillingRunSchema) }, { examples: [{ data: [billingRunExample] }] }), ...problemResponses() },
      },
    },
    async () => {
      const runs = await runDueBoundaries(app.kassa, app.kassa.clock.now());
      return { data: runs.map(billingRunView) };
    },
  );
}
