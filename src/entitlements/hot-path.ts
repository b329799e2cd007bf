// Entitlement checks answered before Fastify's request cycle (docs/decisions/0018-entitlement-hot-path.md).
// The provider's product asks on every one of its own requests, and the answer is in memory:
// what Fastify adds around it (routing, hooks, a child logger, the reply object) cost more
// than the answer. A plain GET of /v1/accounts/:id/entitlements[/:feature] with no query
// string, from a provider key and an account whose answers memory holds fresh, is answered
// here: the same bytes, headers and figures (metrics) as the route in ./routes.ts, which
// test/entitlement-hot-path.test.ts compares. Anything else (a token or session, a key not
// checked in the last seconds, an account not in memory, a query string, a HEAD, a malformed
// id) goes to Fastify, unchanged. Answers made here are never logged, as the route's are not
// (its log level is warn and they succeed).
import { type IncomingMessage, type ServerOptions, type ServerResponse, createServer } from 'node:http';
import type { FastifyServerOptions } from 'fastify';
import type { Kassa } from '../context.js';
import { REQUEST_ID_HEADER, requestId } from '../http/request-id.js';
import { httpRequestSeconds } from '../operations/metrics.js';
import { serializerFactory } from '../shared/serialization.js';
import { EntitlementsSchema, FeatureAnswerSchema, featureAnswer, listAnswer } from './routes.js';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/** The two routes, as Fastify's router and their parameter schemas would take them (an id of 1 to 2^53 - 1). */
const CHECK = /^\/v1\/accounts\/([1-9][0-9]{0,15})\/entitlements(?:\/([a-z][a-z0-9_.]{0,62}))?$/;
const FEATURE_ROUTE = '/v1/accounts/:id/entitlements/:feature';
const LIST_ROUTE = '/v1/accounts/:id/entitlements';

export interface EntitlementHotPath {
  /** Answers the request and says true, or leaves it untouched and says false. */
  answer(request: IncomingMessage, response: ServerResponse): boolean;
  /** From now on every request goes to Fastify (a closing server answers 503 there). */
  stop(): void;
  /** How many requests it answered: for tests and the benchmark. */
  readonly answered: number;
}

export function entitlementHotPath(kassa: Kassa, headers: Record<string, string>, options: { enabled: boolean }): EntitlementHotPath {
  let enabled = options.enabled;
  let answered = 0;
  // Compiled as Fastify compiles the routes' response schemas (one serializer per schema per process).
  const serializer = serializerFactory({}, {});
  const serializeFeature = serializer({ schema: FeatureAnswerSchema, method: 'GET', url: FEATURE_ROUTE, httpStatus: '200' } as never);
  const serializeList = serializer({ schema: EntitlementsSchema, method: 'GET', url: LIST_ROUTE, httpStatus: '200' } as never);
  // One array for every answer's headers, its last two values filled in per answer: writeHead
  // turns it into the header block before it returns, and nothing else holds it.
  const head = [...Object.entries({ ...headers, 'content-type': 'application/json; charset=utf-8' }).flat(), 'content-length', '', REQUEST_ID_HEADER, ''];
  const LENGTH = head.length - 3;
  const ID = head.length - 1;
  const featureSeconds = httpRequestSeconds.labels('GET', FEATURE_ROUTE, '200');
  const listSeconds = httpRequestSeconds.labels('GET', LIST_ROUTE, '200');

  return {
    answer(request, response) {
      if (!enabled || request.method !== 'GET') return false;
      const started = performance.now();
      const match = CHECK.exec(request.url ?? '');
      if (!match) return false;
      const accountId = Number(match[1]);
      if (accountId > Number.MAX_SAFE_INTEGER) return false;
      // A provider key may read every account (src/auth/principal.ts: authorize).
      const now = kassa.clock.now();
      if (!kassa.auth.fromMemory(request.headers.authorization, now)) return false;
      const entitlements = kassa.entitlements.peek(accountId);
      if (!entitlements) return false;
      const feature = match[2];
      let body: string;
      try {
        body = feature === undefined ? serializeList(listAnswer(now, accountId, entitlements)) : serializeFeature(featureAnswer(now, entitlements, feature, undefined));
      } catch {
        return false; // Fastify's route asks again, and answers and logs a failure as every route does
      }
      head[LENGTH] = String(Buffer.byteLength(body));
      head[ID] = requestId(request);
      response.writeHead(200, head);
      response.end(body);
      answered++;
      (feature === undefined ? listSeconds : featureSeconds).observe((performance.now() - started) / 1000);
      return true;
    },
    stop() {
      enabled = false;
    },
    get answered() {
      return answered;
    },
  };
}

/**
 * Fastify's `serverFactory`: the HTTP server Fastify would make (its timeouts included), with
 * the hot path asked first.
 */
export function serverWithHotPath(hotPath: EntitlementHotPath) {
  return (fastify: Handler, options: FastifyServerOptions & { http?: ServerOptions }) => {
    const server = createServer(options.http ?? {}, (request, response) => {
      if (!hotPath.answer(request, response)) fastify(request, response);
    });
    server.keepAliveTimeout = options.keepAliveTimeout!;
    server.requestTimeout = options.requestTimeout!;
    server.setTimeout(options.connectionTimeout!);
    if (options.maxRequestsPerSocket) server.maxRequestsPerSocket = options.maxRequestsPerSocket;
    return server;
  };
}
