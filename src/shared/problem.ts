// RFC 9457 problem+json: the one place failures become HTTP responses.
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { type Failure, failureStatus } from './result.js';

export const ProblemSchema = Type.Object(
  {
    type: Type.String({ description: 'URI naming the problem: https://kassa.dev/problems/{code}' }),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String({ description: 'Stable machine-readable code, e.g. insufficient_funds' }),
    detail: Type.String(),
    field: Type.Optional(Type.String({ description: 'The request field at fault, as a JSON pointer' })),
    request_id: Type.Optional(Type.String({ description: "The request's id, as in its X-Request-Id header and its log lines" })),
  },
  {
    $id: 'Problem',
    additionalProperties: true,
    description: 'RFC 9457 problem details',
    examples: [
      {
        type: 'https://kassa.dev/problems/insufficient_funds',
        title: 'insufficient funds',
        status: 422,
        code: 'insufficient_funds',
        detail: 'a debit of 10000 exceeds the 4164 available',
        field: '/amount',
        available: '4164',
        currency: 'EUR',
      },
    ],
  },
);

export function problemBody(failure: Failure) {
  const status = failureStatus[failure.code];
  return {
    type: `https://kassa.dev/problems/${failure.code}`,
    title: failure.code.replaceAll('_', ' '),
    status,
    code: failure.code,
    detail: failure.detail,
    ...(failure.field === undefined ? {} : { field: failure.field }),
    ...failure.extra,
  };
}

export function sendProblem(reply: FastifyReply, failure: Failure) {
  const retryAfter = failure.extra?.retry_after_seconds;
  if (typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
  return reply.code(failureStatus[failure.code]).type('application/problem+json').send({ ...problemBody(failure), request_id: reply.request.id });
}

/** One object for every route: its response serializer is compiled once (../shared/serialization.ts). */
const PROBLEM_REF = Object.freeze({ $ref: 'Problem#' });

/** Response schemas for the errors a route can answer with, for the OpenAPI document. */
export function problemResponses(...statuses: number[]) {
  const out: Record<number, { $ref: string }> = {};
  for (const status of new Set([400, 401, 413, 500, ...statuses])) out[status] = PROBLEM_REF;
  return out;
}
