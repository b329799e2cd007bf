// The accounts API: open accounts, read them and their balance, change financial settings,
// and the operator's balance adjustments (customers' own top-ups are in src/payments).
import { eq } from 'drizzle-orm';
import { Type } from 'typebox';
import type { KassaApp } from '../http/kassa-app.js';
import { accounts } from '../db/schema.js';
import { answerMoneyCall } from './money-call.js';
import { PageQuery, pageOf } from '../shared/pagination.js';
import { IdempotencyKeyHeaders } from '../shared/idempotency.js';
import { problemResponses, sendProblem } from '../shared/problem.js';
import { ok } from '../shared/result.js';
import { adjustBalance } from './adjust-balance.js';
import { amountsAreStrings, parsePositiveAmount } from './amount.js';
import { createAccount } from './create-account.js';
import { listAccounts } from './list-accounts.js';
import { AccountSchema, accountJson, accountView, suspendedForFunds } from './representation.js';
import { AccountParams, AdjustmentBody, CreateAccountBody, UpdateSettingsBody } from './schemas.js';
import { updateAccountSettings } from './update-settings.js';

const tags = ['accounts'];

const AdjustmentSchema = Type.Object({
  transaction_id: Type.Integer({ description: 'the ledger transaction that moved the money' }),
  account_id: Type.Integer(),
  direction: Type.Union([Type.Literal('credit'), Type.Literal('debit')]),
  amount: Type.String({ description: 'integer minor units' }),
  reason: Type.String(),
  currency: Type.String(),
  balance: Type.String({ description: 'the balance after the adjustment (and any resumed subscriptions), minor units' }),
  available: Type.String({ description: 'balance plus usable credit after the adjustment, minor units' }),
  resumed_subscription_ids: Type.Array(Type.Integer(), { description: 'suspended subscriptions this credit resumed' }),
  created_at: Type.String({ format: 'date-time' }),
}, {
  examples: [
    {
      transaction_id: 2,
      account_id: 2,
      direction: 'credit',
      amount: '5000',
      reason: 'bank transfer',
      currency: 'EUR',
      balance: '5000',
      available: '5000',
      resumed_subscription_ids: [],
      created_at: '2026-11-02T13:00:00.000Z',
    },
  ],
});

export async function accountRoutes(app: KassaApp) {
  app.post(
    '/accounts',
    {
      preValidation: amountsAreStrings('low_balance_threshold'),
      schema: { tags, summary: 'Open a customer account (a trial unless type says billing)', body: CreateAccountBody, response: { 201: AccountSchema, ...problemResponses(409) } },
    },
    async (request, reply) => {
      const created = await createAccount(app.kassa, request.body, app.kassa.clock.now());
      if (!created.ok) return sendProblem(reply, created.failure);
      return reply.code(201).send(accountJson(created.value));
    },
  );

  app.get(
    '/accounts',
    {
      schema: {
        tags,
        summary: 'List accounts, oldest first',
        querystring: Type.Intersect([PageQuery, Type.Object({ external_ref: Type.Optional(Type.String({ description: "only the account with this provider reference" })) })]),
        response: { 200: pageOf(AccountSchema), ...problemResponses() },
      },
    },
    async (request) => {
      const listed = await listAccounts(app.kassa.db, request.query);
      const suspended = await suspendedForFunds(app.kassa.db, listed.data.map((a) => a.id));
      return { data: listed.data.map((a) => accountJson(a, suspended.has(a.id))), next_cursor: listed.next_cursor };
    },
  );

  app.get(
    '/accounts/:id',
    { config: { access: 'account:read' }, schema: { tags, summary: 'Read an account', params: AccountParams, response: { 200: AccountSchema, ...problemResponses(404) } } },
    async (request, reply) => {
      const [account] = await app.kassa.db.select().from(accounts).where(eq(accounts.id, request.params.id));
      if (!account) return sendProblem(reply, { code: 'not_found', detail: `no account ${request.params.id}` });
      return accountView(app.kassa.db, account);
    },
  );

  app.patch(
    '/accounts/:id',
    { config: { access: 'account:write', fieldAccess: { credit_enabled: 'credit:write' } },
      preValidation: amountsAreStrings('low_balance_threshold'),
      schema: {
        tags,
        summary: 'Change the name and financial settings: credit, low-balance threshold, billing e-mails',
        params: AccountParams,
        body: UpdateSettingsBody,
        response: { 200: AccountSchema, ...problemResponses(404, 422) },
      },
    },
    async (request, reply) => {
      const updated = await updateAccountSettings(app.kassa, request.params.id, request.body, app.kassa.clock.now());
      if (!updated.ok) return sendProblem(reply, updated.failure);
      app.kassa.entitlements.invalidate(request.params.id);
      return accountView(app.kassa.db, updated.value);
    },
  );

  app.post(
    '/accounts/:id/adjustments',
    { config: { access: 'staff' },
      preValidation: amountsAreStrings('amount'),
      schema: {
        tags,
        summary: "Adjust an account's balance (operator credit or debit); needs an Idempotency-Key",
        params: AccountParams,
        headers: IdempotencyKeyHeaders,
        body: AdjustmentBody,
        response: { 201: AdjustmentSchema, ...problemResponses(404, 409, 422) },
      },
    },
    async (request, reply) => {
      const accountId = request.params.id;
      const amount = parsePositiveAmount(request.body.amount, '/amount');
      if (!amount.ok) return sendProblem(reply, amount.failure);
      const adjustment = { direction: request.body.direction, amount: amount.value, reason: request.body.reason };
      return answerMoneyCall(request, reply, {
        accountId,
        statusCode: 201,
        // The shape adjustments' keys were released under.
        scope: `${request.principal.scope}:account:${accountId}`,
        identity: { route: 'account.adjust', accountId, body: request.body },
        effect: async (tx, at) => {
          const adjusted = await adjustBalance(tx, app.kassa, accountId, adjustment, at);
          if (!adjusted.ok) return adjusted;
          // A balance adjustment is an operator action: audited with the money it moves.
          const audit = {
            action: `balance.${adjustment.direction}ed`,
            accountId,
            target: `ledger_transaction:${adjusted.value.transaction_id}`,
            data: { amount: adjustment.amount.toString(), reason: adjustment.reason },
          };
          return ok({ body: adjusted.value, audit });
        },
      });
    },
  );
}
