// Webhook endpoints over HTTP (SPEC 10, issue 10), for staff: register, list, change, remove,
// rotate the signing secret; and the event types an endpoint may ask for.
import { Type } from 'typebox';
import type { KassaApp } from '../http/kassa-app.js';
import { OUTBOX_TOPICS } from '../outbox/write.js';
import { PageQuery, pageOf } from '../shared/pagination.js';
import { problemResponses, sendProblem } from '../shared/problem.js';
import { type EndpointInput, createEndpoint, deleteEndpoint, readEndpoint, readEndpoints, rotateSecret, updateEndpoint } from './endpoints.js';
import { type DeliveryFilter, REPLAY_LIMIT, listDeliveries, ping, readDelivery, replay, retryDelivery } from './log.js';
import { EVENT_CATALOGUE, deliveryBodySchema } from './catalogue.js';
import { webhookSettings } from './settings.js';
import { URL_MAX_LENGTH } from './url-guard.js';

const tags = ['webhooks'];
const Id = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
const IdParams = Type.Object({ id: Id });
const DeliveryParams = Type.Object({ id: Id, delivery_id: Id });
const EventType = Type.Union(OUTBOX_TOPICS.map((topic) => Type.Literal(topic)), { description: 'an event type (GET /v1/webhook-event-types)' });
const Status = Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed')]);
const Time = Type.String({ format: 'date-time' });
const Attempt = Type.Object({
  attempted_at: Time,
  status_code: Type.Union([Type.Integer(), Type.Null()], { description: "the endpoint's HTTP status; null when none came" }),
  latency_ms: Type.Integer(),
  error: Type.Union([Type.String(), Type.Null()], { description: 'why no status came (refused, unreachable, timed out), or that the answer was cut at 64 KiB' }),
  response_excerpt: Type.Union([Type.String(), Type.Null()], { description: "the start of the endpoint's answer (up to 1,000 characters)" }),
});
const Delivery = Type.Object(
  {
    id: Type.Integer(),
    event_id: Type.String({ description: 'the webhook-id header: the event\'s id, the same on every attempt and replay' }),
    event_type: Type.String(),
    account_id: Type.Union([Type.Integer(), Type.Null()]),
    status: Status,
    attempts: Type.Integer(),
    next_attempt_at: Type.Union([Time, Type.Null()], { description: 'while pending' }),
    last_attempt_at: Type.Union([Time, Type.Null()]),
    created_at: Time,
    last_attempt: Type.Union([Attempt, Type.Null()]),
  },
  { title: 'WebhookDelivery', examples: [{ id: 7, event_id: 'evt_1234', event_type: 'subscription.suspended', account_id: 42, status: 'pending', attempts: 2, next_attempt_at: '2026-11-02T00:05:05Z', last_attempt_at: '2026-11-02T00:00:05Z', created_at: '2026-11-02T00:00:00Z', last_attempt: { attempted_at: '2026-11-02T00:00:05Z', status_code: 503, latency_ms: 41, error: null, response_excerpt: 'upstream unavailable' } }] },
);
const EventTypes = Type.Union(
  [Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { minItems: 1, maxItems: OUTBOX_TOPICS.length, description: 'the event types sent to it (GET /v1/webhook-event-types)' }), Type.Null()],
  { description: 'the event types sent to it; null: all of them' },
);
const CatalogueList = Type.Object(
  {
    data: Type.Array(
      Type.Object({
        type: Type.String(),
        version: Type.Integer({ minimum: 1, description: 'a field is never removed or changes meaning within a version' }),
        summary: Type.String(),
        description: Type.String(),
        schema: Type.Unknown({ description: "the JSON schema of a delivery's body ({type, timestamp, data})" }),
      }),
    ),
  },
  { title: 'WebhookEventTypeList' },
);
/** The same for every call: built once. */
const CATALOGUE = {
  data: OUTBOX_TOPICS.map((type) => {
    const { version, summary, description, data } = EVENT_CATALOGUE[type];
    return { type, version, summary, description, schema: deliveryBodySchema(type, data) };
  }),
};
const fields = {
  url: Type.String({ minLength: 1, maxLength: URL_MAX_LENGTH, description: 'https:// (http:// only with KASSA_WEBHOOK_ALLOW_HTTP=true); its host must resolve to public addresses only, unless KASSA_WEBHOOK_ALLOW_PRIVATE=true' }),
  description: Type.Union([Type.String({ maxLength: 500 }), Type.Null()], { description: 'what the endpoint is for, for the people who read the list' }),
  event_types: EventTypes,
  enabled: Type.Boolean({ description: 'false: nothing is sent to it until it is enabled again' }),
  parallel: Type.Boolean({ description: "true: an account's events may arrive out of order, delivered side by side; false (default): one account's events arrive in the order they were written" }),
};
const CreateBody = Type.Object(
  { url: fields.url, description: Type.Optional(fields.description), event_types: Type.Optional(fields.event_types), enabled: Type.Optional(fields.enabled), parallel: Type.Optional(fields.parallel) },
  { additionalProperties: false, examples: [{ url: 'https://product.example/kassa/webhooks', description: 'suspensions and payments', event_types: ['subscription.suspended', 'subscription.resumed', 'top_up.succeeded'] }] },
);
const UpdateBody = Type.Object(
  { url: Type.Optional(fields.url), description: Type.Optional(fields.description), event_types: Type.Optional(fields.event_types), enabled: Type.Optional(fields.enabled), parallel: Type.Optional(fields.parallel) },
  { additionalProperties: false, minProperties: 1, examples: [{ enabled: false }, { event_types: null }] },
);
const EndpointSchema = Type.Object(
  {
    id: Type.Integer(),
    url: Type.String(),
    description: Type.Union([Type.String(), Type.Null()]),
    event_types: EventTypes,
    enabled: Type.Boolean(),
    disabled_reason: Type.Union([Type.Literal('operator'), Type.Literal('gone'), Type.Literal('failing'), Type.Null()], { description: 'why it is disabled: by staff, it answered 410 Gone, or every attempt failed for 5 days' }),
    parallel: Type.Boolean(),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
    secrets: Type.Array(Type.Object({ created_at: Type.String({ format: 'date-time' }), expires_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]) }), {
      description: 'the secrets signing its deliveries now, newest first: the current one, and after a rotation the one it replaced until it expires (24 hours). Their values are shown only when made.',
    }),
    health: Type.Object(
      {
        backlog: Type.Integer({ description: 'deliveries not yet sent or waiting for a retry' }),
        attempts_24h: Type.Integer(),
        success_rate_24h: Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()], { description: "the share of the last 24 hours' attempts answered 2xx; null without attempts" }),
        failing_since: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'since when every attempt has failed; 5 days of it disable the endpoint' }),
        last_failure: Type.Union([Type.Object({ attempted_at: Type.String({ format: 'date-time' }), status_code: Type.Union([Type.Integer(), Type.Null()]), error: Type.Union([Type.String(), Type.Null()]) }), Type.Null()]),
      },
      { description: 'how the endpoint is doing' },
    ),
  },
  { title: 'WebhookEndpoint' },
);
const WithSecret = Type.Intersect([EndpointSchema, Type.Object({ secret: Type.String({ description: 'whsec_ and base64: verify the webhook-signature header with it. Shown this once; rotate to get a new one.' }) })], { title: 'WebhookEndpointWithSecret' });

export async function webhookRoutes(app: KassaApp) {
  const { kassa } = app;

  app.get(
    '/webhook-event-types',
    { schema: { tags, summary: 'The event catalogue: every type a webhook endpoint may ask for, with its version and the schema of its data (staff)', response: { 200: CatalogueList, ...problemResponses(403) } } },
    async () => CATALOGUE,
  );

  app.post(
    '/webhook-endpoints',
    { schema: { tags, summary: 'Register a webhook endpoint (staff): answers its signing secret, once', body: CreateBody, response: { 201: WithSecret, ...problemResponses(403) } } },
    async (request, reply) => {
      const now = kassa.clock.now();
      const created = await createEndpoint(kassa.db, kassa.secrets, request.principal, request.body as EndpointInput, webhookSettings(kassa), request.ip, now);
      if (!created.ok) return sendProblem(reply, created.failure);
      return reply.code(201).send({ ...created.value.endpoint, secret: created.value.secret });
    },
  );

  app.get(
    '/webhook-endpoints',
    { schema: { tags, summary: 'Every webhook endpoint, oldest first (staff)', response: { 200: Type.Object({ data: Type.Array(EndpointSchema) }), ...problemResponses(403) } } },
    async () => ({ data: await readEndpoints(kassa.db, kassa.clock.now()) }),
  );

  app.get(
    '/webhook-endpoints/:id',
    { schema: { tags, summary: 'One webhook endpoint (staff)', params: IdParams, response: { 200: EndpointSchema, ...problemResponses(403, 404) } } },
    async (request, reply) => {
      const endpoint = await readEndpoint(kassa.db, request.params.id, kassa.clock.now());
      if (!endpoint) return sendProblem(reply, { code: 'not_found', detail: `no webhook endpoint ${request.params.id}` });
      return endpoint;
    },
  );

  app.patch(
    '/webhook-endpoints/:id',
    { schema: { tags, summary: 'Change a webhook endpoint (staff): its URL, description, event types, whether it is enabled, whether it takes deliveries side by side', params: IdParams, body: UpdateBody, response: { 200: EndpointSchema, ...problemResponses(403, 404) } } },
    async (request, reply) => {
      const updated = await updateEndpoint(kassa.db, request.principal, request.params.id, request.body as Partial<EndpointInput>, webhookSettings(kassa), request.ip, kassa.clock.now());
      if (!updated.ok) return sendProblem(reply, updated.failure);
      return updated.value;
    },
  );

  app.delete(
    '/webhook-endpoints/:id',
    { schema: { tags, summary: 'Remove a webhook endpoint (staff): nothing more is sent to it', params: IdParams, response: { 204: Type.Null({ description: 'removed; no body' }), ...problemResponses(403, 404) } } },
    async (request, reply) => {
      if (!(await deleteEndpoint(kassa.db, request.principal, request.params.id, request.ip, kassa.clock.now()))) return sendProblem(reply, { code: 'not_found', detail: `no webhook endpoint ${request.params.id}` });
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/webhook-endpoints/:id/deliveries',
    {
      schema: {
        tags,
        summary: "The endpoint's delivery log, newest first (staff): each event sent or to be sent, with its last attempt",
        params: IdParams,
        querystring: Type.Object({ status: Type.Optional(Status), event_type: Type.Optional(EventType), from: Type.Optional(Time), to: Type.Optional(Time), ...PageQuery.properties }),
        response: { 200: pageOf(Delivery), ...problemResponses(403, 404) },
      },
    },
    async (request, reply) => {
      const listed = await listDeliveries(kassa.db, request.params.id, request.query as DeliveryFilter, kassa.clock.now());
      if (!listed) return sendProblem(reply, { code: 'not_found', detail: `no webhook endpoint ${request.params.id}` });
      return listed;
    },
  );

  app.get(
    '/webhook-endpoints/:id/deliveries/:delivery_id',
    { schema: { tags, summary: 'One delivery with every attempt at it (staff)', params: DeliveryParams, response: { 200: Type.Intersect([Delivery, Type.Object({ attempts_made: Type.Array(Attempt) })], { title: 'WebhookDeliveryWithAttempts' }), ...problemResponses(403, 404) } } },
    async (request, reply) => {
      const delivery = await readDelivery(kassa.db, request.params.id, request.params.delivery_id);
      if (!delivery) return sendProblem(reply, { code: 'not_found', detail: `no delivery ${request.params.delivery_id} to webhook endpoint ${request.params.id}` });
      return delivery;
    },
  );

  app.post(
    '/webhook-endpoints/:id/deliveries/:delivery_id/retry',
    { schema: { tags, summary: 'Send a delivery again now, whatever its status (staff): one more attempt', params: DeliveryParams, response: { 202: Delivery, ...problemResponses(403, 404) } } },
    async (request, reply) => {
      const retried = await retryDelivery(kassa.db, request.params.id, request.params.delivery_id, kassa.clock.now());
      if (!retried.ok) return sendProblem(reply, retried.failure);
      return reply.code(202).send(retried.value);
    },
  );

  app.post(
    '/webhook-endpoints/:id/replay',
    {
      schema: {
        tags,
        summary: `Send the endpoint every event written in [from, to) again (staff): what its receiver missed during an outage, each with its own id, at most ${REPLAY_LIMIT.toLocaleString('en')} a call`,
        params: IdParams,
        body: Type.Object(
          { from: Time, to: Time, types: Type.Optional(Type.Union([Type.Array(EventType, { minItems: 1 }), Type.Null()], { description: "these types only; absent: the endpoint's" })) },
          { additionalProperties: false, examples: [{ from: '2026-11-02T00:00:00Z', to: '2026-11-02T06:00:00Z' }] },
        ),
        response: { 202: Type.Object({ queued: Type.Integer({ description: 'deliveries queued, sent from now on' }) }), ...problemResponses(403, 404) },
      },
    },
    async (request, reply) => {
      const replayed = await replay(kassa.db, request.params.id, request.body, kassa.clock.now());
      if (!replayed.ok) return sendProblem(reply, replayed.failure);
      return reply.code(202).send(replayed.value);
    },
  );

  app.post(
    '/webhook-endpoints/:id/ping',
    {
      schema: {
        tags,
        summary: 'Send the endpoint a signed `ping` event now and answer what it said (staff): a check that it answers and verifies',
        params: IdParams,
        response: { 200: Type.Object({ event_id: Type.String({ description: 'the ping\'s webhook-id' }), status_code: Attempt.properties.status_code, latency_ms: Type.Integer(), error: Attempt.properties.error, response_excerpt: Attempt.properties.response_excerpt }, { title: 'WebhookPing' }), ...problemResponses(403, 404) },
      },
    },
    async (request, reply) => {
      const pinged = await ping(kassa, request.params.id, kassa.clock.now());
      if (!pinged.ok) return sendProblem(reply, pinged.failure);
      const { event_id, status, latencyMs, error, excerpt } = pinged.value;
      return { event_id, status_code: status, latency_ms: latencyMs, error, response_excerpt: excerpt };
    },
  );

  app.post(
    '/webhook-endpoints/:id/rotate-secret',
    { schema: { tags, summary: 'Make a new signing secret (staff): answered once; the old one goes on signing beside it for 24 hours', params: IdParams, response: { 200: WithSecret, ...problemResponses(403, 404) } } },
    async (request, reply) => {
      const rotated = await rotateSecret(kassa.db, kassa.secrets, request.principal, request.params.id, request.ip, kassa.clock.now());
      if (!rotated.ok) return sendProblem(reply, rotated.failure);
      return { ...rotated.value.endpoint, secret: rotated.value.secret };
    },
  );
}
