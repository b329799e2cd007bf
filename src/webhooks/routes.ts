// Webhook endpoints over HTTP (SPEC 10, issue 10), for staff: register, list, change, remove,
// rotate the signing secret; and the event types an endpoint may ask for.
import { Type } from 'typebox';
import type { KassaApp } from '../http/kassa-app.js';
import { OUTBOX_TOPICS } from '../outbox/write.js';
import { problemResponses, sendProblem } from '../shared/problem.js';
import { type EndpointInput, createEndpoint, deleteEndpoint, readEndpoint, readEndpoints, rotateSecret, updateEndpoint } from './endpoints.js';
import { webhookSettings } from './settings.js';
import { URL_MAX_LENGTH } from './url-guard.js';

const tags = ['webhooks'];
const IdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) });
const EventTypes = Type.Union(
  [Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { minItems: 1, maxItems: OUTBOX_TOPICS.length, description: 'the event types sent to it (GET /v1/webhook-event-types)' }), Type.Null()],
  { description: 'the event types sent to it; null: all of them' },
);
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
  },
  { title: 'WebhookEndpoint' },
);
const WithSecret = Type.Intersect([EndpointSchema, Type.Object({ secret: Type.String({ description: 'whsec_ and base64: verify the webhook-signature header with it. Shown this once; rotate to get a new one.' }) })], { title: 'WebhookEndpointWithSecret' });

export async function webhookRoutes(app: KassaApp) {
  const { kassa } = app;

  app.get(
    '/webhook-event-types',
    { schema: { tags, summary: 'The event types a webhook endpoint may ask for (staff)', response: { 200: Type.Object({ data: Type.Array(Type.Object({ type: Type.String() })) }), ...problemResponses(403) } } },
    async () => ({ data: OUTBOX_TOPICS.map((type) => ({ type })) }),
  );

  app.post(
    '/webhook-endpoints',
    { schema: { tags, summary: 'Register a webhook endpoint (staff): answers its signing secret, once', body: CreateBody, response: { 201: WithSecret, ...problemResponses(403) } } },
    async (request, reply) => {
      const now = kassa.clock.now();
      const created = await createEndpoint(kassa.db, request.principal, request.body as EndpointInput, webhookSettings(kassa), request.ip, now);
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

  app.post(
    '/webhook-endpoints/:id/rotate-secret',
    { schema: { tags, summary: 'Make a new signing secret (staff): answered once; the old one goes on signing beside it for 24 hours', params: IdParams, response: { 200: WithSecret, ...problemResponses(403, 404) } } },
    async (request, reply) => {
      const rotated = await rotateSecret(kassa.db, request.principal, request.params.id, request.ip, kassa.clock.now());
      if (!rotated.ok) return sendProblem(reply, rotated.failure);
      return { ...rotated.value.endpoint, secret: rotated.value.secret };
    },
  );
}
