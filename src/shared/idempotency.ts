// Every money-moving call takes an Idempotency-Key. The key, a hash of the request and the
// response are stored in the same transaction as the effect: the same key with the same
// request returns the first response; with another request it is refused.
import { createHash } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { Type } from 'typebox';
import type { Db } from '../db/client.js';
import { idempotencyKeys } from '../db/schema.js';
import { type Failure, FailureSignal, type Result, fail, ok } from './result.js';

export interface IdempotentRequest {
  scope: string;
  key: string | undefined;
  /** Whatever identifies the request: route, path parameters and body. */
  request: unknown;
}

export interface StoredResponse {
  statusCode: number;
  body: unknown;
  replayed: boolean;
}

export function requestHash(request: unknown): string {
  return createHash('sha256').update(canonicalJson(request)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null, bigintReplacer);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

const bigintReplacer = (_key: string, v: unknown) => (typeof v === 'bigint' ? v.toString() : v);

export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_\-:.]{1,255}$/;

/**
 * The header of every call that moves money. Optional in the schema so that a missing key gets
 * its own stable code (idempotency_key_required) from idempotent(), not a generic
 * validation_failed; the OpenAPI document marks it required (src/http/openapi-document.ts).
 */
export const IdempotencyKeyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      description: 'required: this call moves money. The same key with the same request answers the first response again; with another request, 409 idempotency_conflict. 1-255 of A-Z a-z 0-9 _ - : .',
    }),
  ),
});

/**
 * Runs `effect` in one transaction with the idempotency record. An expected failure
 * (returned, or thrown as FailureSignal) rolls everything back and is not stored, so
 * retrying after fixing the cause is possible.
 */
export async function idempotent(
  db: Db,
  request: IdempotentRequest,
  effect: (tx: Db) => Promise<Result<{ statusCode: number; body: unknown }>>,
): Promise<Result<StoredResponse>> {
  const { key } = request;
  if (key === undefined) return fail('idempotency_key_required', 'this call moves money: send an Idempotency-Key header', { field: '/headers/idempotency-key' });
  if (!IDEMPOTENCY_KEY_PATTERN.test(key)) {
    return fail('validation_failed', 'Idempotency-Key must be 1-255 characters of A-Z a-z 0-9 _ - : .', { field: '/headers/idempotency-key' });
  }
  const hash = requestHash(request.request);
  for (let attempt = 0; ; attempt++) {
    try {
      return await db.transaction(async (tx) => {
        const [previous] = await tx
          .select()
          .from(idempotencyKeys)
          .where(and(eq(idempotencyKeys.scope, request.scope), eq(idempotencyKeys.key, key)));
        if (previous) {
          if (previous.requestHash !== hash) {
            return fail('idempotency_conflict', 'this Idempotency-Key was used with a different request', { field: '/headers/idempotency-key' });
          }
          return ok({ statusCode: previous.statusCode, body: previous.response, replayed: true });
        }
        const result = await effect(tx as unknown as Db);
        if (!result.ok) throw new FailureSignal(result.failure);
        const body = JSON.parse(JSON.stringify(result.value.body, bigintReplacer));
        await tx.insert(idempotencyKeys).values({
          scope: request.scope,
          key,
          requestHash: hash,
          statusCode: result.value.statusCode,
          response: body,
          createdAt: new Date(),
        });
        return ok({ statusCode: result.value.statusCode, body, replayed: false });
      });
    } catch (error) {
      if (error instanceof FailureSignal) return { ok: false, failure: error.failure as Failure };
      // A concurrent request with the same key won the insert: read its stored answer.
      if (attempt === 0 && isUniqueViolation(error)) continue;
      throw error;
    }
  }
}

export function isUniqueViolation(error: unknown): boolean {
  for (let e: unknown = error; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: unknown }).code === '23505') return true;
  }
  return false;
}
