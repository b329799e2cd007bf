import { Type } from 'typebox';
import type { KassaApp } from '../http/kassa-app.js';
import { BillingRunSchema, billingRunExample, billingRunView } from '../billing/schemas.js';
import { problemResponses, sendProblem } from '../shared/problem.js';
import { MAX_ADVANCE_DAYS, advanceClock, boundariesToRun } from './advance.js';

const ClockSchema = Type.Object(
  { kind: Type.Union([Type.Literal('real'), Type.Literal('simulated')]), now: Type.String({ format: 'date-time' }) },
  { title: 'Clock', examples: [{ kind: 'simulated', now: '2026-11-03T00:00:00.000Z' }] },
);

/** An advance over more midnights than this answers at once (202) and goes on in the background. */
export const SYNC_ADVANCE_BOUNDARIES = 31;

const AdvanceSchema = Type.Object(
  {
    id: Type.Integer(),
    status: Type.Union([Type.Literal('running'), Type.Literal('completed'), Type.Literal('failed')]),
    from: Type.String({ format: 'date-time' }),
    to: Type.String({ format: 'date-time' }),
    boundaries_total: Type.Integer({ description: 'billing boundaries (UTC midnights) the advance runs' }),
    boundaries_done: Type.Integer(),
    now: Type.String({ format: 'date-time', description: "the clock's time as of this answer" }),
    error: Type.Optional(Type.String({ description: 'why a failed advance stopped; the clock stays where it got to' })),
  },
  { title: 'ClockAdvance', examples: [{ id: 1, status: 'running', from: '2026-11-02T00:00:00.000Z', to: '2027-11-02T00:00:00.000Z', boundaries_total: 365, boundaries_done: 40, now: '2026-12-12T00:00:00.000Z' }] },
);
type AdvanceView = Type.Static<typeof AdvanceSchema>;

export async function clockRoutes(app: KassaApp) {
  /** This server's long advances, by id: a test tool's progress, not kept across restarts. */
  const advances = new Map<number, AdvanceView>();

  app.get('/clock', { schema: { tags: ['clock'], summary: "Kassa's current time", response: { 200: ClockSchema, ...problemResponses() } } }, async () => ({
    kind: app.kassa.clock.kind,
    now: app.kassa.clock.now().toISOString(),
  }));

  app.post(
    '/clock/advance',
    {
      schema: {
        tags: ['clock'],
        summary: `Move the simulated clock forward (at most ${MAX_ADVANCE_DAYS} days), running every billing boundary it passes in order; past ${SYNC_ADVANCE_BOUNDARIES} boundaries it answers 202 and goes on in the background`,
        body: Type.Object(
          {
            to: Type.Optional(Type.String({ format: 'date-time', description: 'the new time' })),
            seconds: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_ADVANCE_DAYS * 86_400, description: 'or: how far to move' })),
            wait: Type.Optional(Type.Boolean({ description: `answer only when done, with every run, however many boundaries it passes (scripts and tests); default: past ${SYNC_ADVANCE_BOUNDARIES}, answer 202 at once` })),
          },
          { additionalProperties: false, examples: [{ to: '2026-11-03T00:00:00Z' }, { seconds: 86_400 }] },
        ),
        response: {
          200: Type.Object(
            { from: Type.String({ format: 'date-time' }), now: Type.String({ format: 'date-time' }), runs: Type.Array(BillingRunSchema) },
            { examples: [{ from: '2026-11-02T13:00:00.000Z', now: '2026-11-03T00:00:00.000Z', runs: [billingRunExample] }] },
          ),
          202: AdvanceSchema,
          ...problemResponses(409),
        },
      },
    },
    async (request, reply) => {
      const { to, seconds, wait } = request.body;
      if ((to === undefined) === (seconds === undefined)) return sendProblem(reply, { code: 'validation_failed', detail: 'give exactly one of `to` or `seconds`', field: '/to' });
      const from = app.kassa.clock.now();
      const target = to !== undefined ? new Date(to) : new Date(from.getTime() + seconds! * 1000);
      if (target.getTime() - from.getTime() > MAX_ADVANCE_DAYS * 86_400_000) {
        return sendProblem(reply, { code: 'validation_failed', detail: `one advance moves the clock at most ${MAX_ADVANCE_DAYS} days; it is at ${from.toISOString()}`, field: '/to' });
      }
      const total = boundariesToRun(from, target);
      if (app.kassa.clock.kind === 'simulated' && total > SYNC_ADVANCE_BOUNDARIES && !wait) {
        const advance: AdvanceView = { id: advances.size + 1, status: 'running', from: from.toISOString(), to: target.toISOString(), boundaries_total: total, boundaries_done: 0, now: from.toISOString() };
        advances.set(advance.id, advance);
        void advanceClock(app.kassa, target, { onBoundary: (done) => void (advance.boundaries_done = done) })
          .then((result) => Object.assign(advance, result.ok ? { status: 'completed' } : { status: 'failed', error: result.failure.detail }))
          .catch((error: unknown) => {
            request.log.error({ err: error }, 'clock advance failed');
            Object.assign(advance, { status: 'failed', error: 'an unexpected error stopped it; it has been logged' });
          });
        return reply.code(202).header('location', `/v1/clock/advances/${advance.id}`).send({ ...advance, now: app.kassa.clock.now().toISOString() });
      }
      request.log.info({ from, to: target, boundaries: total }, 'advancing the simulated clock');
      const result = await advanceClock(app.kassa, target);
      if (!result.ok) return sendProblem(reply, result.failure);
      return { from: result.value.from.toISOString(), now: result.value.to.toISOString(), runs: result.value.runs.map(billingRunView) };
    },
  );

  app.get(
    '/clock/advances/:id',
    {
      schema: {
        tags: ['clock'],
        summary: 'Follow a long advance of the simulated clock',
        params: Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) }),
        response: { 200: AdvanceSchema, ...problemResponses(404) },
      },
    },
    async (request, reply) => {
      const advance = advances.get(request.params.id);
      if (!advance) return sendProblem(reply, { code: 'not_found', detail: `no advance ${request.params.id} on this server` });
      return { ...advance, now: app.kassa.clock.now().toISOString() };
    },
  );
}
