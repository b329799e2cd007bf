// Runs a lifecycle operation for a route: for real, under the caller's Idempotency-Key in one
// transaction with its effects; or as a preview, whose transaction is always rolled back so
// that nothing it might touch is ever kept.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kassa } from '../context.js';
import type { Db } from '../db/client.js';
import { answerMoneyCall } from '../accounts/money-call.js';
import { sendProblem } from '../shared/problem.js';
import { type Result, ok } from '../shared/result.js';
import { countCharged } from '../operations/metrics.js';
import type { Decision } from './decisions.js';
import type { OperationInput, Outcome } from './outcome.js';
import { readSubscription } from './read.js';
import { outcomeView, previewView } from './views.js';

export type Operation<I> = (tx: Db, kassa: Kassa, input: I & OperationInput, at: Date) => Promise<Result<Outcome>>;

export async function perform<I>(kassa: Kassa, request: FastifyRequest, reply: FastifyReply, accountId: number, operation: Operation<I>, input: I, statusCode = 200) {
  let charged = new Map<string, bigint>();
  return answerMoneyCall(request, reply, {
    accountId,
    statusCode,
    effect: async (tx, at) => {
      const outcome = await operation(tx, kassa, { ...input, preview: false }, at);
      if (!outcome.ok) return outcome;
      charged = new Map([[outcome.value.currency, chargedBy(outcome.value.decision)]]);
      return ok({ body: outcomeView(outcome.value, await readSubscription(tx, outcome.value.subscription!, at)) });
    },
    committed: () => countCharged('subscription', charged),
  });
}

/** What a decision charges the customer: its positive movements (refunds are not charges). */
function chargedBy(decision: Decision): bigint {
  return decision.movements.reduce((sum, m) => (m.amount > 0n ? sum + m.amount : sum), 0n);
}

class PreviewDone {
  constructor(readonly result: Result<Outcome>) {}
}

export async function preview<I>(kassa: Kassa, reply: FastifyReply, operation: Operation<I>, input: I) {
  const at = kassa.clock.now();
  let result: Result<Outcome> | undefined;
  try {
    await kassa.db.transaction(async (tx) => {
      throw new PreviewDone(await operation(tx as unknown as Db, kassa, { ...input, preview: true }, at));
    });
  } catch (error) {
    if (!(error instanceof PreviewDone)) throw error;
    result = error.result;
  }
  if (!result!.ok) return sendProblem(reply, result!.failure);
  return reply.code(200).send(previewView(result!.value));
}
