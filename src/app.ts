// Builds the Fastify application: schemas, problem+json errors, auth, OpenAPI, every domain.
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { accountRoutes } from './accounts/routes.js';
import { authorize, isStaff } from './auth/principal.js';
import { authenticateRequest } from './identity/authenticate.js';
import type { Permission } from './auth/permissions.js';
import type { KassaApp, RouteAccess } from './http/kassa-app.js';
import { billingRoutes } from './billing/routes.js';
import { catalogRoutes } from './catalog/routes.js';
import { clockRoutes } from './clock/routes.js';
import type { Kassa } from './context.js';
import { entitlementRoutes } from './entitlements/routes.js';
import { entitlementStreamRoutes } from './entitlements/stream.js';
import { ledgerRoutes } from './ledger/routes.js';
import { outboxRoutes } from './outbox/routes.js';
import { ProblemSchema, sendProblem } from './shared/problem.js';
import { type Failure, FailureSignal } from './shared/result.js';
import { subscriptionRoutes } from './subscriptions/routes.js';
import { objectCountRoutes } from './usage/routes.js';
import { usageRoutes } from './usage/usage-routes.js';
import { documentRoutes } from './documents/routes.js';
import { documentReadRoutes } from './documents/document-routes.js';
import { statementRoutes } from './documents/statement-routes.js';
import { webhookRoutes } from './webhooks/routes.js';
import { issueRequestsSoon } from './documents/issue.js';
import { accountUsageRoutes } from './usage/account-usage-routes.js';
import { balanceRoutes } from './grants/balance.js';
import { grantRoutes } from './grants/routes.js';
import { billingHistoryRoutes } from './ledger/billing-history-routes.js';
import { revenueRoutes } from './ledger/revenue-routes.js';
import { budgetRoutes } from './budgets/routes.js';
import { identityRoutes } from './identity/routes.js';
import { linkPages } from './pages/routes.js';
import { paymentRoutes } from './payments/routes.js';
import { providerRoutes } from './payments/provider-routes.js';
import { closureRoutes } from './closure/routes.js';
import { identitySettings } from './identity/sessions/settings.js';
import { type OpenApiDocument, finishDocument } from './http/openapi-document.js';
import { tokenRoutes } from './identity/tokens/routes.js';
import { twoFactorRoutes } from './identity/two-factor/routes.js';
import { memberRoutes } from './members/routes.js';
import { mailRoutes } from './notifications/routes.js';
import { auditRoutes } from './audit/routes.js';
import type { TrustProxy } from './config.js';
import { REQUEST_ID_HEADER, requestId } from './http/request-id.js';
import { operationsRoutes } from './operations/routes.js';
import { serializerFactory } from './shared/serialization.js';
import { validatorCompiler } from './shared/validation.js';
import { WEBHOOK_EVENTS_TAG, withEventCatalogue } from './webhooks/catalogue.js';
import { TAG_DESCRIPTIONS } from './http/operation-ids.js';
import type { DestinationStream } from 'pino';
import { loggerOptions } from './http/logging.js';
import { apiHeaders, securityHeaders } from './http/security-headers.js';
import { entitlementHotPath, serverWithHotPath } from './entitlements/hot-path.js';

export const BODY_LIMIT_BYTES = 1024 * 1024;

export interface AppOptions {
  logger?: boolean | { level: string };
  /** Where log lines go (tests read them); standard output by default. */
  logDestination?: DestinationStream;
  /** The bearer token GET /metrics requires (KASSA_METRICS_TOKEN); unset: no metrics. */
  metricsToken?: string;
  /** Behind a load balancer (KASSA_TRUST_PROXY): the client address rate limits and the audit log see. */
  trustProxy?: TrustProxy;
  /** false for a process without the api role (KASSA_ROLES=worker): it answers /healthz, /readyz and /metrics only. */
  api?: boolean;
}

const API_HEADERS = apiHeaders();

export async function buildApp(kassa: Kassa, options: AppOptions = {}): Promise<KassaApp> {
  const level = typeof options.logger === 'object' ? options.logger.level : options.logger ? 'info' : undefined;
  // Entitlement checks from memory are answered before Fastify sees them (./entitlements/hot-path.ts).
  const hotPath = entitlementHotPath(kassa, API_HEADERS, { enabled: options.api !== false });
  const app = Fastify({
    serverFactory: serverWithHotPath(hotPath),
    logger: level === undefined ? false : { ...loggerOptions(level), ...logOutput(options.logDestination) },
    // Entitlement checks arrive thousands of times a second: no two log lines per request.
    // Failures are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    bodyLimit: BODY_LIMIT_BYTES,
    // A number of proxies in front: the hops nearer than that are trusted (what Express means by it).
    trustProxy: typeof options.trustProxy === 'number' ? ((_address: string, hop: number) => hop < (options.trustProxy as number)) : (options.trustProxy ?? false),
    genReqId: requestId,
    requestIdHeader: false,
    schemaController: { compilersFactory: { buildSerializer: serializerFactory } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(validatorCompiler());
  // JSON only: a text/plain body is refused as 415, not handed to validation as a string.
  app.removeContentTypeParser('text/plain');
  app.decorate('kassa', kassa);
  app.decorate('hotPath', hotPath);
  app.decorate('routeList', [] as KassaApp['routeList']);
  app.addHook('onRoute', (route) => {
    route.config = { ...route.config, accountScoped: /^\/v1\/accounts\/:id(\/|$)/.test(route.url) };
    // An unknown query parameter (a misspelt filter) is refused as an unknown body field is,
    // instead of being ignored and answering the unfiltered list.
    if (route.url.startsWith('/v1/')) route.preValidation = [route.preValidation ?? []].flat().concat(refuseUnknownQuery(queryKeys(route.schema?.querystring)));
    const { access = 'staff', fieldAccess = {} } = (route.config ?? {}) as { access?: RouteAccess; fieldAccess?: Record<string, Permission> };
    for (const method of [route.method].flat()) if (method !== 'HEAD') app.routeList.push({ route: `${method} ${route.url}`, access, fieldAccess });
  });
  app.decorateRequest('principal', null as never);
  app.addSchema(ProblemSchema);

  app.setErrorHandler((error, request, reply) => sendProblem(reply, failureOf(error, request)));
  const elsewhere = options.api === false ? ' in this process: it runs the worker role only (KASSA_ROLES=worker); the API is served by the api processes' : '';
  app.setNotFoundHandler((request, reply) => sendProblem(reply, { code: 'not_found', detail: `no route ${request.method} ${request.url}${elsewhere}` }));

  // Every answer: nosniff, no framing, a CSP (./http/security-headers.ts); nothing under /v1
  // is cached, since answers carry secrets (new keys and tokens) and live links (/v1/mails).
  const pageHeaders = securityHeaders();
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(request.url.startsWith('/v1/') ? API_HEADERS : pageHeaders);
    reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });
  app.addHook('preClose', (done) => {
    hotPath.stop();
    done();
  });
  if (options.api === false) {
    await operationsRoutes(app, { metricsToken: options.metricsToken });
    return app;
  }
  // Cookies are parsed only where a session is consulted (src/identity/sessions/authenticate.ts).
  await app.register(cookie, { hook: false });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Kassa API',
        version: '1',
        description:
          'Prepaid billing and accounts. Amounts are strings of integer minor units of the account currency ' +
          '("1250" EUR is 12.50 EUR); unit prices and rates are exact decimal strings. Errors are RFC 9457 ' +
          'problem+json documents with a stable `code`. Calls that move money require an `Idempotency-Key` header.',
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
      },
      components: {
        securitySchemes: {
          providerKey: { type: 'http', scheme: 'bearer', description: 'A provider API key (kassa_sk_...), from `kassa keys create`' },
          personalToken: { type: 'http', scheme: 'bearer', description: 'A personal access token (kassa_pat_...), from POST /v1/me/tokens; limited to its scopes and its user\'s roles' },
          sessionCookie: { type: 'apiKey', in: 'cookie', name: 'kassa_session', description: 'A login session from POST /v1/auth/login; writes also need the x-csrf-token header' },
          metricsToken: { type: 'http', scheme: 'bearer', description: 'KASSA_METRICS_TOKEN, for GET /metrics only' },
        },
      },
      security: [{ providerKey: [] }, { personalToken: [] }, { sessionCookie: [] }],
    },
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => (json.$id as string) ?? `def-${i}` },
    transformObject: (document) => withEventCatalogue(finishDocument((document as { openapiObject: OpenApiDocument }).openapiObject, identitySettings(kassa).publicUrl), TAG_DESCRIPTIONS[WEBHOOK_EVENTS_TAG]!) as object,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await operationsRoutes(app, { metricsToken: options.metricsToken });

  app.get('/health', { schema: { tags: ['system'], security: [], summary: 'Is this Kassa up, and on which database backend', response: { 200: { type: 'object', properties: { status: { type: 'string' }, backend: { type: 'string' } } } } } }, async () => ({
    status: 'ok',
    backend: kassa.backend,
  }));
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(
    async (v1) => {
      v1.addHook('onRequest', authenticate);
      v1.addHook('preHandler', authorizeRoute);
      // A change that moved money may have asked for a document (a receipt, an invoice): it is
      // issued just after the answer. Usage, entitlement and identity traffic never asks for one.
      v1.addHook('onResponse', (request, reply, done) => {
        if (request.method !== 'GET' && reply.statusCode < 400 && !/^\/v1\/(usage|entitlements|auth|me)\b/.test(request.url)) {
          kassa.background.run('documents', () => issueRequestsSoon(kassa), request.log);
        }
        done();
      });
      for (const routes of [
        accountRoutes, ledgerRoutes, billingHistoryRoutes, revenueRoutes, catalogRoutes, objectCountRoutes, usageRoutes, accountUsageRoutes, balanceRoutes, grantRoutes, budgetRoutes, subscriptionRoutes, billingRoutes, entitlementRoutes, entitlementStreamRoutes, outboxRoutes, clockRoutes,
        identityRoutes, memberRoutes, tokenRoutes, twoFactorRoutes, mailRoutes, auditRoutes, paymentRoutes, providerRoutes, closureRoutes, documentRoutes, documentReadRoutes, statementRoutes, webhookRoutes,
      ]) {
        await routes(v1 as KassaApp);
      }
    },
    { prefix: '/v1' },
  );
  await linkPages(app as KassaApp);
  return app;
}


async function authenticate(this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) {
  // Sign-up, login, verification and reset links are reached before anyone is signed in.
  if (request.routeOptions.config.access === 'public') return;
  const principal = await authenticateRequest(this.kassa, request);
  if (!principal.ok) {
    return sendProblem(reply.header('www-authenticate', 'Bearer'), principal.failure);
  }
  request.principal = principal.value;
}

/**
 * The one place routes are authorised, after validation (so `:id` is a number): account
 * routes by the caller's role in the account, staff routes for the provider's keys and
 * operators only.
 */
async function authorizeRoute(this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) {
  const access = request.routeOptions.config.access ?? 'staff';
  if (access === 'authenticated' || access === 'public') return;
  const accountId = request.routeOptions.config.accountScoped ? (request.params as { id: number }).id : undefined;
  const failure =
    accountId === undefined
      ? isStaff(request.principal) ? undefined : { code: 'forbidden' as const, detail: "only the provider's staff may do this" }
      : await authorize(this.kassa.db, request.principal, access, accountId);
  if (failure) return sendProblem(reply, failure);
  const { fieldAccess } = request.routeOptions.config;
  if (!fieldAccess || accountId === undefined) return;
  const body = (request.body ?? {}) as Record<string, unknown>;
  for (const [field, permission] of Object.entries(fieldAccess)) {
    if (body[field] === undefined) continue;
    const refused = await authorize(this.kassa.db, request.principal, permission, accountId);
    if (refused) return sendProblem(reply, { ...refused, field: `/${field}` });
  }
}

/** Lines for a person on a terminal (pino-pretty), JSON for everything else. */
function logOutput(destination: DestinationStream | undefined) {
  if (destination) return { stream: destination };
  if (process.stdout.isTTY) return { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } };
  return {};
}

/** The parameters a querystring schema names, through allOf (paged lists with filters). */
function queryKeys(schema: unknown): Set<string> {
  const keys = new Set<string>();
  const visit = (node: unknown) => {
    if (!node || typeof node !== 'object') return;
    const { properties, allOf, anyOf } = node as { properties?: object; allOf?: unknown[]; anyOf?: unknown[] };
    for (const key of Object.keys(properties ?? {})) keys.add(key);
    for (const part of [...(allOf ?? []), ...(anyOf ?? [])]) visit(part);
  };
  visit(schema);
  return keys;
}

/** Synchronous, and nothing to do without a query string: it runs on every entitlement check. */
function refuseUnknownQuery(known: Set<string>) {
  return (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => {
    for (const key in request.query as object) {
      if (known.has(key)) continue;
      sendProblem(reply, { code: 'validation_failed', detail: `querystring/${key} is not a known field`, field: `/querystring/${key}` });
      return;
    }
    done();
  };
}

function failureOf(error: unknown, request: FastifyRequest): Failure {
  if (error instanceof FailureSignal) return error.failure;
  const e = error as { code?: string; statusCode?: number; validation?: Array<{ instancePath?: string; message?: string; params?: Record<string, unknown> }>; validationContext?: string; message?: string };
  if (e.validation) {
    const first = e.validation[0];
    const missing = first?.params?.missingProperty as string | undefined;
    const additional = first?.params?.additionalProperty as string | undefined;
    const path = `${first?.instancePath ?? ''}${missing ? `/${missing}` : ''}${additional ? `/${additional}` : ''}`;
    const where = e.validationContext === 'body' ? '' : `/${e.validationContext}`;
    return {
      code: 'validation_failed',
      detail: `${e.validationContext ?? 'request'}${path} ${additional ? 'is not a known field' : (first?.message ?? 'is invalid')}`,
      field: `${where}${path}` || '/',
    };
  }
  if (e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || (error instanceof SyntaxError && e.statusCode === 400)) {
    return { code: 'malformed_json', detail: 'the request body is not valid JSON' };
  }
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return { code: 'body_too_large', detail: `the request body exceeds ${request.routeOptions?.bodyLimit ?? BODY_LIMIT_BYTES} bytes` };
  if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return { code: 'unsupported_media_type', detail: 'send application/json' };
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) return { code: 'validation_failed', detail: e.message ?? 'bad request' };
  request.log.error({ err: error }, 'unexpected error');
  return { code: 'internal_error', detail: 'an unexpected error occurred; it has been logged' };
}

