// Read access to an account's ledger: every money movement, with its postings.
import { eq } from 'drizzle-orm';
import { Type } from 'typebox';
import type { KassaApp } from '../http/kassa-app.js';
import { accounts } from '../db/schema.js';
import { PageQuery, pageOf } from '../shared/pagination.js';
import { problemResponses, sendProblem } from '../shared/problem.js';
import { listLedger } from './history.js';

const Nullable = <T extends ReturnType<typeof Type.String> | ReturnType<typeof Type.Integer>>(schema: T) => Type.Union([schema, Type.Null()]);

const PostingSchema = Type.Object({
  ledger_account: Type.Union([
    Type.Literal('customer'),
    Type.Literal('revenue'),
    Type.Literal('adjustments'),
    Type.Literal('clearing_bank_transfer'),
    Type.Literal('clearing_card'),
    Type.Literal('clearing_paypal'),
    Type.Literal('payouts_due'),
    Type.Literal('grant'),
    Type.Literal('promotions'),
    Type.Literal('grant_sales'),
    Type.Literal('breakage'),
  ], { description: "customer: the paid balance; grant: a credit grant's own sub-account (grant_id); clearing_*: where a top-up's money comes from, per way of paying; promotions, grant_sales, breakage: see docs/ledger-accounts.md" }),
  amount: Type.String({ description: 'integer minor units; positive adds to the ledger account' }),
  subscription_id: Nullable(Type.Integer()),
  billed_period_start: Nullable(Type.String({ format: 'date-time', description: 'the subscription period this posting pays' })),
  grant_id: Nullable(Type.Integer({ description: 'the credit grant a `grant` posting draws from or adds to' })),
  service: Nullable(Type.String({ description: "the plan or meter code a charge's or refund's posting belongs to (GET /v1/reports/revenue reports revenue by it); the billing run's one revenue posting per account has none, its customer and grant postings name each subscription's plan" })),
});

const LedgerTransactionSchema = Type.Object({
  id: Type.Integer(),
  kind: Type.Union([
    Type.Literal('adjustment'),
    Type.Literal('subscription_charge'),
    Type.Literal('subscription_refund'),
    Type.Literal('billing_run'),
    Type.Literal('usage_charge'),
    Type.Literal('reversal'),
    Type.Literal('top_up'),
    Type.Literal('top_up_refund'),
    Type.Literal('chargeback'),
    Type.Literal('payout'),
    Type.Literal('grant'),
    Type.Literal('grant_void'),
    Type.Literal('grant_expiry'),
  ]),
  description: Type.String(),
  customer_amount: Type.String({ description: "the transaction's effect on the balance, integer minor units" }),
  reverses_id: Nullable(Type.Integer()),
  created_at: Type.String({ format: 'date-time' }),
  postings: Type.Array(PostingSchema),
}, {
  examples: [
    {
      id: 3,
      kind: 'subscription_charge',
      description: 'Device management Starter: 2026-11-02 13:00 to 2026-11-03 00:00 UTC',
      customer_amount: '-56',
      reverses_id: null,
      created_at: '2026-11-02T13:00:00.000Z',
      postings: [
        { ledger_account: 'customer', amount: '-56', subscription_id: 1, billed_period_start: '2026-11-02T00:00:00.000Z', grant_id: null, service: 'starter' },
        { ledger_account: 'grant', amount: '-100', subscription_id: 1, billed_period_start: null, grant_id: 4, service: 'starter' },
        { ledger_account: 'revenue', amount: '156', subscription_id: 1, billed_period_start: null, grant_id: null, service: 'starter' },
      ],
    },
  ],
});

export async function ledgerRoutes(app: KassaApp) {
  app.get(
    '/accounts/:id/ledger',
    { config: { access: 'billing:read' },
      schema: {
        tags: ['ledger'],
        summary: "List an account's ledger transactions with their postings, oldest first",
        params: Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) }),
        querystring: PageQuery,
        response: { 200: pageOf(LedgerTransactionSchema), ...problemResponses(404) },
      },
    },
    async (request, reply) => {
      const accountId = request.params.id;
      const [account] = await app.kassa.db.select({ id: accounts.id }).from(accounts).where(eq(accounts.id, accountId));
      if (!account) return sendProblem(reply, { code: 'not_found', detail: `no account ${accountId}` });
      return listLedger(app.kassa.db, accountId, request.query);
    },
  );
}
