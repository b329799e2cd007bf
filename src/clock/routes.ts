import { Type } from 'typebox';
import type { KassaApp } from '../http/kassa-app.js';
import { BillingRunSchema, billingRunExample, billingRunView } from '../billing/schemas.js';
import { problemResponses, sendProblem } from '../shared/problem.js';
import { advanceClock } from './advance.js';

const ClockSchema = Type.Object(
  { kind: Type.Union([Type.Literal('real'), Type.Literal('simulated')]), now: Type.String({ format: 'date-time' }) },
  { examples: [{ kind: 'simulated', now: '2026-11-03T00:00:00.000Z' }] },
);

export async function clockRoutes(app: KassaApp) {
  app.get('/clock', { schema: { tags: ['clock'], summary: "Kassa's current time", response: { 200: ClockSchema, ...problemResponses() } } }, async () => ({
    kind: app.kassa.clock.kind,
    now: app.kassa.clock.now().toISOString(),
  }));

  app.post(
    '/clock/advance',
    {
      schema: {
        tags: ['clock'],
        summary: 'Move the simulated clock forward, running every billing boundary it passes in order',
        body: Type.Object(
          {
            to: Type.Optional(Type.String({ format: 'date-time', description: 'the new time' })),
            seconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 10 * 366 * 86_400, description: 'or: how far to move' })),
          },
          { additionalProperties: false, examples: [{ to: '2026-11-03T00:00:00Z' }, { seconds: 86_400 }] },
        ),
        response: {
          200: Type.Object(
            { from: Type.String({ format: 'date-time' }), now: Type.String({ format: 'date-time' }), runs: Type.Array(BillingRunSchema) },
            { examples: [{ from: '2026-11-02T13:00:00.000Z', now: '2026-11-03T00:00:00.000Z', runs: [billingRunExample] }] },
          ),
          ...problemResponses(409),
        },
      },
    },
    async (request, reply) => {
      const { to, seconds } = request.body;
      if ((to === undefined) === (seconds === undefined)) return sendProblem(reply, { code: 'validation_failed', detail: 'give exactly one of `to` or `seconds`', field: '/to' });
      const target = to !== undefined ? new Date(to) : new Date(app.kassa.clock.now().getTime() + seconds! * 1000);
      const result = await advanceClock(app.kassa, target);
      if (!result.ok) return sendProblem(reply, result.failure);
      return { from: result.value.from.toISOString(), now: result.value.to.toISOString(), runs: result.value.runs.map(billingRunView) };
    },
  );
}
