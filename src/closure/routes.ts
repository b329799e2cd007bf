// Closing an account over HTTP: its owner (or the provider's staff) asks, with a reason. Then
// the provider's staff list what is due for payout and record the bank transfers that pay it.
import { Type } from 'typebox';
import { AmountString, parsePositiveAmount } from '../accounts/amount.js';
import { answerMoneyCall } from '../accounts/money-call.js';
import { AccountSchema, accountJson } from '../accounts/representation.js';
import { recordAudit } from '../audit/record.js';
import type { KassaApp } from '../http/kassa-app.js';
import { IdempotencyKeyHeaders } from '../shared/idempotency.js';
import { PageQuery, page, pageOf } from '../shared/pagination.js';
import { problemResponses, sendProblem } from '../shared/problem.js';
import { closeAccount } from './close-account.js';
import { listPayoutsDue, recordPayout } from './payouts.js';

const Minor = (description: string) => Type.String({ pattern: '^[0-9]+$', description: `${description}, integer minor units` });
const PayoutDueSchema = Type.Object(
  { account_id: Type.Integer(), name: Type.String(), currency: Type.String(), due: Minor('still to pay out') },
  { title: 'PayoutDue', examples: [{ account_id: 41, name: 'Acme Ltd', currency: 'EUR', due: '1954' }] },
);
const PayoutBody = Type.Object(
  {
    amount: Type.Optional(AmountString),
    bank_reference: Type.String({ minLength: 1, maxLength: 140, pattern: '\\S', description: 'the reference of your bank transfer to the customer' }),
  },
  { title: 'RecordPayout', additionalProperties: false, examples: [{ bank_reference: 'OUT-2026-12-02-3' }, { amount: '1000', bank_reference: 'OUT-2026-12-02-4' }] },
);
const PayoutSchema = Type.Object(
  { account_id: Type.Integer(), paid: Minor('paid out by this transfer'), still_due: Minor('left to pay out'), transaction_id: Type.Integer({ description: 'the ledger transaction: payouts_due to the bank clearing account' }) },
  { title: 'Payout', examples: [{ account_id: 41, paid: '1954', still_due: '0', transaction_id: 9120 }] },
);

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
  app.get(
    '/payouts',
    {
      schema: {
        tags: ['accounts'],
        summary: 'Closed accounts with money still to pay out by bank transfer (staff): what their refunds could not return',
        querystring: PageQuery,
        response: { 200: pageOf(PayoutDueSchema), ...problemResponses(403) },
      },
    },
    async (request) => {
      const { data, next_cursor } = page(await listPayoutsDue(kassa.db, request.query), request.query.limit);
      return { data: data.map((due) => ({ account_id: due.id, name: due.name, currency: due.currency, due: due.due.toString() })), next_cursor };
    },
  );

  app.post(
    '/accounts/:id/payouts',
    {
      schema: {
        tags: ['accounts'],
        summary: "Record a bank transfer that paid out a closed account's money (staff): all that is due, or a part of it; never more",
        params: Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) }),
        headers: IdempotencyKeyHeaders,
        body: PayoutBody,
        response: { 201: PayoutSchema, ...problemResponses(403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const amount = request.body.amount === undefined ? undefined : parsePositiveAmount(request.body.amount, '/amount');
      if (amount && !amount.ok) return sendProblem(reply, amount.failure);
      const bankReference = request.body.bank_reference.trim();
      return answerMoneyCall(request, reply, {
        accountId: request.params.id,
        statusCode: 201,
        effect: async (tx, at) => {
          const made = await recordPayout(tx, request.params.id, { amount: amount?.value, bankReference, createdBy: request.principal.scope }, at);
          if (!made.ok) return made;
          const body = { account_id: made.value.accountId, paid: made.value.paid.toString(), still_due: made.value.stillDue.toString(), transaction_id: made.value.transactionId };
          return { ok: true, value: { body, audit: { action: 'payout.recorded', accountId: made.value.accountId, target: `account:${made.value.accountId}`, data: { ...body, bank_reference: bankReference } } } };
        },
      });
    },
  );
}
