// Closing an account over HTTP: its owner (or the provider's staff) asks, with a reason.
import { Type } from 'typebox';
import { AccountSchema, accountJson } from '../accounts/representation.js';
import { recordAudit } from '../audit/record.js';
import type { KassaApp } from '../http/kassa-app.js';
import { problemResponses, sendProblem } from '../shared/problem.js';
import { closeAccount } from './close-account.js';

const CloseBody = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 500, pattern: '\\S', description: 'why; kept in the audit log' }) },
  { title: 'CloseAccount', additionalProperties: false, examples: [{ reason: 'we moved to another provider' }] },
);
const ClosedSchema = Type.Object(
  {
    account: AccountSchema,
    cancelled_subscription_ids: Type.Array(Type.Integer()),
    refunds: Type.Array(Type.Object({ top_up_id: Type.Integer(), amount: Type.String({ pattern: '^[0-9]+$' }) }), { description: 'card and PayPal top-ups refunded through their provider, newest first' }),
    payout_due: Type.String({ pattern: '^[0-9]+$', description: 'what no refund returned: for an operator to pay out by bank transfer, integer minor units' }),
  },
  {
    title: 'ClosedAccount',
    examples: [{
      account: { ...(AccountSchema as unknown as { examples: Record<string, unknown>[] }).examples[0], status: 'closed', balance: '0', available: '0' },
      cancelled_subscription_ids: [7],
      refunds: [{ top_up_id: 12, amount: '3000' }, { top_up_id: 9, amount: '1000' }],
      payout_due: '1954',
    }],
  },
);

export async function closureRoutes(app: KassaApp) {
  const { kassa } = app;
  app.post(
    '/accounts/:id/close',
    {
      config: { access: 'closure:write' },
      schema: {
        tags: ['accounts'],
        summary: 'Close the account (its owner): subscriptions end (an in-arrears day in use is charged), the balance is refunded to the cards and PayPal that paid it, newest first, the rest is due for payout by bank transfer; then read only',
        params: Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) }),
        body: CloseBody,
        response: { 200: ClosedSchema, ...problemResponses(403, 404, 409) },
      },
    },
    async (request, reply) => {
      const at = kassa.clock.now();
      const closed = await closeAccount(kassa, request.params.id, request.body.reason, request.principal.scope, at);
      if (!closed.ok) return sendProblem(reply, closed.failure);
      const { account, cancelledSubscriptionIds, refunds, payoutDue } = closed.value;
      await recordAudit(kassa.db, request.principal, { action: 'account.closed', accountId: account.id, target: `account:${account.id}`, data: { reason: request.body.reason, refunds, payout_due: payoutDue.toString(), cancelled_subscription_ids: cancelledSubscriptionIds }, ip: request.ip, at });
      return { account: accountJson(account), cancelled_subscription_ids: cancelledSubscriptionIds, refunds, payout_due: payoutDue.toString() };
    },
  );
}
