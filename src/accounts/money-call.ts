// A call that moves money is answered once. Under the caller's Idempotency-Key its effect, its
// audit entry and the idempotency record commit in one transaction; the same key with the same
// request replays the stored answer (header `idempotent-replayed: true`); a failure rolls
// everything back and is not stored. After a commit the account's entitlements are
// invalidated, since what it may do has changed.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type AuditEntry, recordAudit } from '../audit/record.js';
import type { Db } from '../db/client.js';
import { idempotent } from '../shared/idempotency.js';
import { sendProblem } from '../shared/problem.js';
import { type Result, ok } from '../shared/result.js';

export interface MoneyCall {
  accountId: number;
  statusCode: number;
  /**
   * What the key is stored under: by default the caller's scope, and the route, its
   * parameters and body. A route whose records were released under another shape keeps it,
   * so a retry sent across an upgrade still finds its first answer.
   */
  scope?: string;
  identity?: unknown;
  /** Runs in the transaction at the call's one instant; the audit entry, when given, joins it. */
  effect(tx: Db, at: Date): Promise<Result<{ body: unknown; audit?: Omit<AuditEntry, 'ip' | 'at'> }>>;
  /** Runs once the effect's transaction has committed; never for a replayed answer or a refusal. */
  committed?(): void;
}

export async function answerMoneyCall(request: FastifyRequest, reply: FastifyReply, call: MoneyCall) {
  const { kassa } = request.server;
  const at = kassa.clock.now();
  const key = request.headers['idempotency-key'];
  const stored = await idempotent(
    kassa.db,
    {
      scope: call.scope ?? request.principal.scope,
      key: Array.isArray(key) ? key[0] : key,
      request: call.identity ?? { route: `${request.method} ${request.routeOptions.url}`, params: request.params, body: request.body },
    },
    async (tx) => {
      const done = await call.effect(tx, at);
      if (!done.ok) return done;
      if (done.value.audit) await recordAudit(tx, request.principal, { ...done.value.audit, ip: request.ip, at });
      return ok({ statusCode: call.statusCode, body: done.value.body });
    },
  );
  if (!stored.ok) return sendProblem(reply, stored.failure);
  if (!stored.value.replayed) {
    kassa.entitlements.invalidate(call.accountId);
    call.committed?.();
  }
  return reply.code(stored.value.statusCode).header('idempotent-replayed', String(stored.value.replayed)).send(stored.value.body);
}
