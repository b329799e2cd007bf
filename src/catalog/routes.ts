// The catalog over HTTP: services, plans and their append-only price versions, and a
// price preview. Catalog writes move no money, so they take no Idempotency-Key; a retried
// create answers 409 already_exists on its unique code.
import type { KassaApp } from '../http/kassa-app.js';
import { PageQuery, pageOf } from '../shared/pagination.js';
import { problemResponses, sendProblem } from '../shared/problem.js';
import { addPlanVersion } from './add-plan-version.js';
import { createPlan } from './create-plan.js';
import { createService } from './create-service.js';
import { parseQuantities, quotePlan } from './quote-plan.js';
import { listPlans, listServices, planById, serviceById } from './read-catalog.js';
import {
  CreatePlanBody,
  CreateServiceBody,
  CreateVersionBody,
  IdParams,
  PlanVersionViewSchema,
  PlanViewSchema,
  QuoteQuery,
  QuoteViewSchema,
  ServiceViewSchema,
} from './schemas.js';

const cursorOf = (cursor: string | undefined) => (cursor === undefined ? 0 : Number(cursor));

export async function catalogRoutes(app: KassaApp) {
  const { kassa } = app;
  const tags = ['catalog'];

  app.post('/services', {
    schema: { tags, summary: 'Create a service', body: CreateServiceBody, response: { 201: ServiceViewSchema, ...problemResponses(409) } },
  }, async (request, reply) => {
    const result = await createService(kassa.db, request.body, kassa.clock.now());
    return result.ok ? reply.code(201).send(result.value) : sendProblem(reply, result.failure);
  });

  app.get('/services', {
    // Members read the catalog too (the configurator); changing it is the provider's.
    config: { access: 'authenticated' },
    schema: { tags, summary: 'List services', querystring: PageQuery, response: { 200: pageOf(ServiceViewSchema), ...problemResponses() } },
  }, async (request) => listServices(kassa.db, request.query.limit, cursorOf(request.query.cursor)));

  app.get('/services/:id', {
    // Members read the catalog too (the configurator); changing it is the provider's.
    config: { access: 'authenticated' },
    schema: { tags, summary: 'Get a service', params: IdParams, response: { 200: ServiceViewSchema, ...problemResponses(404) } },
  }, async (request, reply) => {
    const service = await serviceById(kassa.db, request.params.id);
    return service ?? sendProblem(reply, { code: 'not_found', detail: `no service ${request.params.id}` });
  });

  app.post('/plans', {
    schema: {
      tags,
      summary: 'Create a plan with its first price in each currency',
      body: CreatePlanBody,
      response: { 201: PlanViewSchema, ...problemResponses(409) },
    },
  }, async (request, reply) => {
    const result = await createPlan(kassa.db, request.body, kassa.clock.now());
    return result.ok ? reply.code(201).send(result.value) : sendProblem(reply, result.failure);
  });

  app.get('/plans', {
    // Members read the catalog too (the configurator); changing it is the provider's.
    config: { access: 'authenticated' },
    schema: { tags, summary: 'List plans with their versions', querystring: PageQuery, response: { 200: pageOf(PlanViewSchema), ...problemResponses() } },
  }, async (request) => listPlans(kassa.db, request.query.limit, cursorOf(request.query.cursor)));

  app.get('/plans/:id', {
    // Members read the catalog too (the configurator); changing it is the provider's.
    config: { access: 'authenticated' },
    schema: { tags, summary: 'Get a plan with every version', params: IdParams, response: { 200: PlanViewSchema, ...problemResponses(404) } },
  }, async (request, reply) => {
    const plan = await planById(kassa.db, request.params.id);
    return plan ?? sendProblem(reply, { code: 'not_found', detail: `no plan ${request.params.id}` });
  });

  app.post('/plans/:id/versions', {
    schema: {
      tags,
      summary: 'Change a price: add the next version for one currency',
      description: 'The version applies from effective_from (default now, never earlier) on. Versions are never updated or deleted.',
      params: IdParams,
      body: CreateVersionBody,
      response: { 201: PlanVersionViewSchema, ...problemResponses(404) },
    },
  }, async (request, reply) => {
    const result = await addPlanVersion(kassa.db, request.params.id, request.body, kassa.clock.now());
    return result.ok ? reply.code(201).send(result.value) : sendProblem(reply, result.failure);
  });

  app.get('/plans/:id/price', {
    // Members read the catalog too (the configurator); changing it is the provider's.
    config: { access: 'authenticated' },
    schema: {
      tags,
      summary: 'Preview the price of one full period for given quantities',
      params: IdParams,
      querystring: QuoteQuery,
      response: { 200: QuoteViewSchema, ...problemResponses(404) },
    },
  }, async (request, reply) => {
    const quantities = parseQuantities(request.query.quantities ?? '');
    if (!quantities.ok) return sendProblem(reply, quantities.failure);
    const at = request.query.at === undefined ? kassa.clock.now() : new Date(request.query.at);
    const result = await quotePlan(kassa.db, { planId: request.params.id, currency: request.query.currency, quantities: quantities.value, at });
    return result.ok ? result.value : sendProblem(reply, result.failure);
  });
}

