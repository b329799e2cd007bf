// Subscriptions over HTTP: create, list and read; enable, disable, configure and change plan,
// each with a preview that runs the same computation and writes nothing.
import type { FastifyRequest } from 'fastify';
import { eq } from 'drizzle-orm';
import { type TSchema, Type } from 'typebox';
import type { KassaApp } from '../http/kassa-app.js';
import { mayActOn } from '../http/kassa-app.js';
import type { Permission } from '../auth/permissions.js';
import type { SubscriptionRow } from './state.js';
import { type Result, ok } from '../shared/result.js';
import { accounts } from '../db/schema.js';
import { PageQuery, pageOf } from '../shared/pagination.js';
import { IdempotencyKeyHeaders } from '../shared/idempotency.js';
import { problemResponses, sendProblem } from '../shared/problem.js';
import { type ChangePlanInput, changePlan } from './change-plan.js';
import { type ConfigureInput, configureSubscription } from './configure.js';
import type { SubscriptionInput } from './outcome.js';
import { createSubscription } from './create.js';
import { disableSubscription } from './disable.js';
import { enableSubscription } from './enable.js';
import { type Operation, perform, preview } from './perform.js';
import { listSubscriptions, readSubscription } from './read.js';
import { findSubscription, noSubscription } from './state.js';
import { OutcomeViewSchema, PreviewViewSchema, QuantitiesSchema, SubscriptionViewSchema } from './views.js';

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) });
const PlanId = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
const CreateBody = Type.Object({ plan_id: PlanId, quantities: Type.Optional(QuantitiesSchema) }, { title: 'CreateSubscription', additionalProperties: false, examples: [{ plan_id: 1, quantities: { cpe_devices: 150 } }] });
const ConfigureBody = Type.Object({ quantities: QuantitiesSchema }, { title: 'ConfigureSubscription', additionalProperties: false, description: 'items left out keep their quantity', examples: [{ quantities: { cpe_devices: 200 } }] });
const ChangePlanBody = Type.Object(
  { plan_id: PlanId, quantities: Type.Optional(QuantitiesSchema) },
  { title: 'ChangeSubscriptionPlan', additionalProperties: false, description: 'items left out keep their quantity where the new plan has them, else its default', examples: [{ plan_id: 2, quantities: { cpe_devices: 150 } }] },
);
const tags = ['subscriptions'];

export async function subscriptionRoutes(app: KassaApp) {
  const { kassa } = app;

  app.post(
    '/accounts/:id/subscriptions',
    { config: { access: 'subscriptions:write' }, schema: { tags, summary: 'Activate a plan for an account (charged at once when in advance)', params: IdParams, headers: IdempotencyKeyHeaders, body: CreateBody, response: { 201: OutcomeViewSchema, ...problemResponses(404, 409, 422) } } },
    async (request, reply) => {
      const { id } = request.params;
      return perform(kassa, request, reply, id, createSubscription, { accountId: id, planId: request.body.plan_id, quantities: request.body.quantities }, 201);
    },
  );

  app.post(
    '/accounts/:id/subscriptions/preview',
    { config: { access: 'subscriptions:write' }, schema: { tags, summary: 'What creating this subscription would charge; writes nothing', params: IdParams, body: CreateBody, response: { 200: PreviewViewSchema, ...problemResponses(404, 409) } } },
    async (request, reply) => {
      const { id } = request.params;
      return preview(kassa, reply, createSubscription, { accountId: id, planId: request.body.plan_id, quantities: request.body.quantities });
    },
  );

  app.get(
    '/accounts/:id/subscriptions',
    { config: { access: 'subscriptions:read' }, schema: { tags, summary: "An account's subscriptions, oldest first", params: IdParams, querystring: PageQuery, response: { 200: pageOf(SubscriptionViewSchema), ...problemResponses(404) } } },
    async (request, reply) => {
      const { id } = request.params;
      const [account] = await kassa.db.select({ id: accounts.id, currency: accounts.currency }).from(accounts).where(eq(accounts.id, id));
      if (!account) return sendProblem(reply, { code: 'not_found', detail: `no account ${id}` });
      return listSubscriptions(kassa.db, account, request.query.limit, Number(request.query.cursor ?? 0), kassa.clock.now());
    },
  );

  app.get(
    '/subscriptions/:id',
    { config: { access: 'authenticated' }, schema: { tags, summary: 'A subscription with its current period and whether it is paid', params: IdParams, response: { 200: SubscriptionViewSchema, ...problemResponses(403, 404) } } },
    async (request, reply) => {
      const found = await subscriptionFor(request, request.params.id, 'subscriptions:read');
      if (!found.ok) return sendProblem(reply, found.failure);
      return readSubscription(kassa.db, found.value, kassa.clock.now());
    },
  );

  // Enable and disable take no fields; an unknown one is refused, not ignored.
  const Empty = Type.Object({}, { title: 'EmptyBody', additionalProperties: false, examples: [{}] });
  subscriptionChange(app, 'enable', 'Switch a disabled or suspended subscription on (charged to the period end unless paid)', Empty, enableSubscription, () => ({}));
  subscriptionChange(app, 'disable', 'Switch a subscription off (in arrears: the date is charged at once)', Empty, disableSubscription, () => ({}));
  subscriptionChange<typeof ConfigureBody, Omit<ConfigureInput, keyof SubscriptionInput>>(app, 'configure', 'Change quantities (the rest of a paid period charged or refunded)', ConfigureBody, configureSubscription, (body) => ({ quantities: body.quantities }));
  subscriptionChange<typeof ChangePlanBody, Omit<ChangePlanInput, keyof SubscriptionInput>>(app, 'change-plan', 'Move to another plan (refused when object counts exceed its quotas)', ChangePlanBody, changePlan, (body) => ({ planId: body.plan_id, quantities: body.quantities }));
}

/**
 * A subscription the caller may act on: one of an account that is not theirs is as absent as
 * a missing one (404); one of their account with too weak a role or token is 403.
 */
async function subscriptionFor(request: FastifyRequest, id: number, permission: Permission): Promise<Result<SubscriptionRow>> {
  const row = await findSubscription(request.server.kassa.db, id);
  if (!row) return { ok: false, failure: noSubscription(id) };
  const denied = await mayActOn(request, permission, row.accountId);
  if (denied) return { ok: false, failure: denied.code === 'not_found' ? noSubscription(id) : denied };
  return ok(row);
}

/**
 * The real route and its preview for one change of an existing subscription. Callers name the
 * type arguments: inferring I through the intersection in `operation` cost the type-check 1.3
 * million instantiations (4.7 s), and B extends the plain TSchema rather than TObject's
 * generic signature for the same reason.
 */
function subscriptionChange<B extends TSchema, I>(
  app: KassaApp,
  verb: string,
  summary: string,
  body: B,
  operation: Operation<I & { subscriptionId: number }>,
  inputOf: (body: Type.Static<B>) => I,
) {
  const { kassa } = app;
  const base = { tags, params: IdParams, body };
  // A change without fields may be sent without a body; one with a body is held to the schema.
  const preValidation = async (request: FastifyRequest) => {
    if (request.body === undefined) request.body = {};
  };
  const config = { access: 'authenticated' as const };
  app.post(`/subscriptions/:id/${verb}`, { config, preValidation, schema: { ...base, summary, headers: IdempotencyKeyHeaders, response: { 200: OutcomeViewSchema, ...problemResponses(403, 404, 409, 422) } } }, async (request, reply) => {
    const found = await subscriptionFor(request, request.params.id, 'subscriptions:write');
    if (!found.ok) return sendProblem(reply, found.failure);
    const row = found.value;
    return perform(kassa, request, reply, row.accountId, operation, { ...inputOf((request.body ?? {}) as Type.Static<B>), subscriptionId: row.id });
  });
  app.post(`/subscriptions/:id/${verb}/preview`, { config, preValidation, schema: { ...base, summary: `Preview: ${summary}`, response: { 200: PreviewViewSchema, ...problemResponses(403, 404, 409) } } }, async (request, reply) => {
    const found = await subscriptionFor(request, request.params.id, 'subscriptions:write');
    if (!found.ok) return sendProblem(reply, found.failure);
    const row = found.value;
    return preview(kassa, reply, operation, { ...inputOf((request.body ?? {}) as Type.Static<B>), subscriptionId: row.id });
  });
}
