// Usage events over HTTP (SPEC 7): the provider's product reports what its customers used,
// one event or a batch of up to 10,000, in Kassa's shape or as CloudEvents. The answer comes
// once the batch is kept, and says how many were new, how many were duplicates, and which
// were refused and why; a refused event does not keep the rest of its batch from being kept.
import { Type } from 'typebox';
import { saveProviderSetting } from '../audit/provider-setting.js';
import type { KassaApp } from '../http/kassa-app.js';
import { problemResponses, sendProblem } from '../shared/problem.js';
import { MAX_EVENTS_PER_BATCH, ingestUsage } from './ingest.js';
import { rateUsageBatches } from './rate-batch.js';
import { USAGE_SETTING, readUsageSettings } from './settings.js';

export const USAGE_BODY_LIMIT_BYTES = 5 * 1024 * 1024;
const CLOUDEVENTS = ['application/cloudevents+json', 'application/cloudevents-batch+json'];
const tags = ['usage'];

const example = { id: 'msg-8f14e45f', account_id: 2, meter: 'emails', quantity: '3', timestamp: '2026-12-02T10:15:00Z' };
const cloudExample = { specversion: '1.0', id: 'msg-c9f0f895', source: '/mailer', type: 'emails', subject: '2', time: '2026-12-02T10:16:00Z', data: { quantity: '250' } };

const UsageBody = Type.Unknown({
  description:
    'One event, `{"events": [...]}` with up to 10,000, or a JSON array of CloudEvents (`application/cloudevents-batch+json`). ' +
    'An event is `{id, account_id, meter, quantity, timestamp, reservation_id?}`: `id` is yours, unique per account (1 to 200 characters); ' +
    "`meter` a metered service's code; `quantity` an exact decimal string (or a whole JSON number) with at most the meter's decimal places; " +
    '`timestamp` RFC 3339, at most `grace_days` old (GET /v1/settings/usage) and at most 5 minutes ahead. A CloudEvent says the meter in `type`, ' +
    "the account's id or external reference in `subject`, the time in `time` (default: on arrival) and the quantity in `data.quantity` (default 1). " +
    'Each event is checked on its own: what is refused is listed by index, the rest is kept.',
  examples: [{ events: [example, { ...example, id: 'msg-c81e728d', quantity: '1', timestamp: '2026-12-02T10:15:02Z' }] }, example, [cloudExample]],
});

const IngestedSchema = Type.Object(
  {
    batch_id: Type.Union([Type.Integer(), Type.Null()], { description: 'the batch the new events were kept in; null when none was new' }),
    accepted: Type.Integer({ description: 'new events, kept' }),
    duplicates: Type.Integer({ description: 'events already kept under the same id (or twice in this batch): ignored' }),
    refused: Type.Array(
      Type.Object({
        index: Type.Integer({ description: "the event's place in the batch, from 0" }),
        id: Type.Union([Type.String(), Type.Null()]),
        code: Type.String({ description: 'validation_failed, unknown_meter, not_found (account), invalid_state (closed account), event_too_old, event_in_the_future, idempotency_conflict (the id was used for another event)' }),
        detail: Type.String(),
        field: Type.String({ description: 'the field at fault, as a JSON pointer into the batch' }),
      }),
    ),
  },
  {
    title: 'UsageIngested',
    examples: [{ batch_id: 41, accepted: 2, duplicates: 1, refused: [{ index: 3, id: 'msg-x', code: 'unknown_meter', detail: 'no metered service emials', field: '/events/3/meter' }] }],
  },
);

const UsageSettingsSchema = Type.Object(
  { grace_days: Type.Integer({ minimum: 0, maximum: 31, description: 'days a usage event may arrive after it happened; older ones are refused' }) },
  { title: 'UsageSettings', additionalProperties: false, examples: [{ grace_days: 3 }] },
);

export async function usageRoutes(app: KassaApp) {
  const { kassa } = app;

  await app.register(async (child) => {
    child.addContentTypeParser(CLOUDEVENTS, { parseAs: 'string', bodyLimit: USAGE_BODY_LIMIT_BYTES }, child.getDefaultJsonParser('error', 'error'));
    (child as KassaApp).post(
      '/usage/events',
      {
        bodyLimit: USAGE_BODY_LIMIT_BYTES,
        schema: {
          tags,
          summary: 'Report usage (staff): one event or a batch of up to 10,000, kept before the answer; duplicates ignored, bad events refused one by one',
          body: UsageBody,
          response: { 200: IngestedSchema, ...problemResponses(403) },
        },
      },
      async (request, reply) => {
        const body = request.body;
        const events = Array.isArray(body) ? body : typeof body === 'object' && body !== null && 'events' in body ? (body as { events: unknown }).events : [body];
        const field = Array.isArray(body) ? '/' : '/events';
        if (!Array.isArray(events)) return sendProblem(reply, { code: 'validation_failed', detail: 'events is an array', field });
        if (events.length === 0) return sendProblem(reply, { code: 'validation_failed', detail: 'a batch holds at least one event', field });
        if (events.length > MAX_EVENTS_PER_BATCH) return sendProblem(reply, { code: 'validation_failed', detail: `a batch holds at most ${MAX_EVENTS_PER_BATCH} events, not ${events.length}`, field });
        const ingested = await ingestUsage(kassa, events);
        // Rated just after the answer; the scheduled rating takes up what a crash left.
        if (ingested.batchId !== null) kassa.background.run('usage rating', () => rateUsageBatches(kassa), request.log);
        return { batch_id: ingested.batchId, accepted: ingested.accepted, duplicates: ingested.duplicates, refused: ingested.refused };
      },
    );
  });

  app.get(
    '/settings/usage',
    { schema: { tags: ['settings'], summary: 'How late usage events may arrive (staff)', response: { 200: UsageSettingsSchema, ...problemResponses(403) } } },
    async () => readUsageSettings(kassa.db),
  );

  app.put(
    '/settings/usage',
    { schema: { tags: ['settings'], summary: 'Set how late usage events may arrive (staff)', body: UsageSettingsSchema, response: { 200: UsageSettingsSchema, ...problemResponses(403) } } },
    async (request) => {
      const value = { grace_days: request.body.grace_days };
      await saveProviderSetting(kassa.db, request.principal, { key: USAGE_SETTING, value, action: 'settings.usage_changed', data: { ...value } }, request.ip, kassa.clock.now());
      return value;
    },
  );
}
