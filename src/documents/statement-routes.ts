// An account's statement over HTTP (SPEC 9): JSON, and the same as a PDF. Read with
// documents:read (owners, billing members, staff), like the documents it names.
import { eq } from 'drizzle-orm';
import { Type } from 'typebox';
import { accounts } from '../db/schema.js';
import type { KassaApp } from '../http/kassa-app.js';
import { problemResponses, sendProblem } from '../shared/problem.js';
import { periodProblem } from '../shared/period.js';
import type { Failure } from '../shared/result.js';
import { readBillingDetails } from './billing-details.js';
import { IdParams, Minor } from './document-routes.js';
import { loadLogo } from './logo.js';
import { readProviderDetails } from './provider-details.js';
import { type Statement, accountStatement } from './statement.js';
import { renderStatementPdf } from './statement-pdf.js';

const StatementQuery = Type.Object({
  from: Type.Optional(Type.String({ format: 'date', description: 'the first UTC day, included; default: the first day of this month' })),
  to: Type.Optional(Type.String({ format: 'date', description: 'the last UTC day, included; default: today' })),
});
const StatementSchema = Type.Object(
  {
    account_id: Type.Integer(),
    currency: Type.String(),
    from: Type.String({ format: 'date' }),
    to: Type.String({ format: 'date' }),
    opening_balance: Minor('the balance when the period began'),
    closing_balance: Minor('the balance when it ended: the opening balance plus every entry'),
    credits: Minor('money in over the period'),
    debits: Minor('money out over the period'),
    entries: Type.Array(
      Type.Object({
        transaction_id: Type.Integer(),
        at: Type.String({ format: 'date-time' }),
        kind: Type.String({ description: 'the ledger transaction kind: top_up, billing_run, subscription_charge, subscription_refund, usage_charge, adjustment, grant...' }),
        description: Type.String(),
        amount: Minor('the change of the balance'),
        grants: Minor("the change of the account's credit grants"),
        balance: Minor('the balance after it'),
        documents: Type.Array(Type.String(), { description: 'the numbers of the invoices, credit notes and receipts it is on' }),
      }),
    ),
  },
  {
    title: 'Statement',
    examples: [
      {
        account_id: 41, currency: 'EUR', from: '2026-11-01', to: '2026-11-30', opening_balance: '0', closing_balance: '3300', credits: '10000', debits: '6700',
        entries: [
          { transaction_id: 7, at: '2026-11-02T09:12:00.000Z', kind: 'top_up', description: 'Top-up 3 by card', amount: '10000', grants: '0', balance: '10000', documents: ['RCT-2026-000004'] },
          { transaction_id: 9, at: '2026-11-03T00:00:00.000Z', kind: 'billing_run', description: 'Billing run 2026-11-03', amount: '-6700', grants: '0', balance: '3300', documents: ['INV-2026-000031'] },
        ],
      },
    ],
  },
);

export async function statementRoutes(app: KassaApp) {
  /** The account and the period asked, or the problem. */
  async function statementOf(id: number, query: { from?: string; to?: string }): Promise<Failure | { account: { id: number; name: string; currency: string }; statement: Statement }> {
    const [account] = await app.kassa.db.select({ id: accounts.id, name: accounts.name, currency: accounts.currency }).from(accounts).where(eq(accounts.id, id));
    if (!account) return { code: 'not_found', detail: `no account ${id}` };
    const today = app.kassa.clock.now().toISOString().slice(0, 10);
    const from = query.from ?? `${today.slice(0, 8)}01`;
    const to = query.to ?? today;
    const refused = periodProblem(from, to, 'a statement');
    if (refused) return refused;
    return { account, statement: await accountStatement(app.kassa.db, account, from, to) };
  }

  app.get(
    '/accounts/:id/statement',
    {
      config: { access: 'documents:read' },
      schema: {
        tags: ['documents'],
        summary: "The account's statement for a period: opening balance, every entry with its documents, closing balance",
        description: 'Every ledger transaction of the UTC days `from` to `to` (both included, at most 366) that moved the balance or the credit grants, oldest first, with the balance after each and the numbers of the documents it is on (a charge still waiting for its month’s invoice has none yet).',
        params: IdParams,
        querystring: StatementQuery,
        response: { 200: StatementSchema, ...problemResponses(403, 404) },
      },
    },
    async (request, reply) => {
      const found = await statementOf(request.params.id, request.query);
      return 'code' in found ? sendProblem(reply, found) : found.statement;
    },
  );

  app.get(
    '/accounts/:id/statement/pdf',
    {
      config: { access: 'documents:read' },
      schema: {
        tags: ['documents'],
        summary: 'The same statement as a PDF, in the language of the account’s billing details, naming the provider as on its documents',
        params: IdParams,
        querystring: StatementQuery,
        response: {
          200: { description: 'The PDF, `inline`, named `statement-{account}-{from}-{to}.pdf`', content: { 'application/pdf': { schema: Type.Unsafe<Buffer>({ title: 'StatementPdf', type: 'string', format: 'binary', examples: ['(a PDF file)'] }) } } },
          ...problemResponses(403, 404),
        },
      },
    },
    async (request, reply) => {
      const found = await statementOf(request.params.id, request.query);
      if ('code' in found) return sendProblem(reply, found);
      const seller = await readProviderDetails(app.kassa.db);
      const details = await readBillingDetails(app.kassa.db, found.account.id);
      const buyer = details ?? { legal_name: found.account.name, address_line1: null, address_line2: null, postal_code: null, city: null, region: null, country: null, vat_id: null };
      const { statement } = found;
      const pdf = await renderStatementPdf({ statement, language: details?.language ?? 'en', seller, buyer, madeOn: app.kassa.clock.now().toISOString().slice(0, 10) }, await loadLogo(app.kassa.db));
      return reply.type('application/pdf').header('content-disposition', `inline; filename="statement-${statement.account_id}-${statement.from}-${statement.to}.pdf"`).send(pdf);
    },
  );
}
