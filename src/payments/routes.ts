// Top-ups over HTTP: the provider's bank account (staff), a customer's request to top up
// (owner and billing members), and an operator's confirmation or rejection of a bank transfer.
import { eq } from 'drizzle-orm';
import { Type } from 'typebox';
import { answerMoneyCall } from '../accounts/money-call.js';
import { inTransaction } from '../accounts/transaction.js';
import { parsePositiveAmount } from '../accounts/amount.js';
import { AmountString } from '../accounts/amount.js';
import { saveProviderSetting } from '../audit/provider-setting.js';
import { recordAudit } from '../audit/record.js';
import { accounts, topUps } from '../db/schema.js';
import type { KassaApp } from '../http/kassa-app.js';
import { writeOutbox } from '../outbox/write.js';
import { IdempotencyKeyHeaders } from '../shared/idempotency.js';
import { problemResponses, sendProblem } from '../shared/problem.js';
import { PageQuery, pageOf } from '../shared/pagination.js';
import { type Result, ok } from '../shared/result.js';
import type { Db } from '../db/client.js';
import { listPayments, paymentsCsv } from './history.js';
import { parseStatement } from './bank-statement.js';
import { importStatement } from './import-statement.js';
import { BANK_ACCOUNT_SETTING, checkBankAccount } from './bank-account.js';
import { type TopUp, readBankAccount, receiveTopUp, rejectTopUp, requestBankTransfer, topUpJson } from './top-ups.js';
import { cancelTopUp, requestCardTopUp } from './card-top-up.js';
import { refundTopUp } from './refund.js';
import { TOP_UP_LIMITS_SETTING, checkTopUpLimits, readTopUpLimits } from './limits.js';
import { assignStatementLine, dismissStatementLine, listStatementLines, statementLineJson } from './statement-lines.js';
import { stripeFor } from './stripe/client.js';
import { paypalFor } from './paypal/client.js';
import { requestPayPalTopUp } from './paypal/paypal-top-up.js';
import { publicUrl as publicUrlOf } from './settings.js';

const tags = ['top-ups'];
const Id = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
const IdParams = Type.Object({ id: Id });
const Text = (maxLength: number, description: string) => Type.String({ minLength: 1, maxLength, pattern: '\\S', description });

const BankAccountSchema = Type.Object(
  {
    iban: Type.String({ minLength: 5, maxLength: 50, description: 'checked with its check digits; kept without spaces' }),
    bic: Type.String({ minLength: 8, maxLength: 14 }),
    beneficiary: Text(140, 'the account holder customers pay to'),
  },
  { title: 'BankAccount', additionalProperties: false, examples: [{ iban: 'DE89370400440532013000', bic: 'COBADEFFXXX', beneficiary: 'Example Cloud GmbH' }] },
);
const ReturnUrl = (description: string) => Type.Optional(Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2048, description }));
const TopUpBody = Type.Object(
  {
    method: Type.Union([Type.Literal('bank_transfer'), Type.Literal('card'), Type.Literal('paypal')]),
    amount: AmountString,
    save_card: Type.Optional(Type.Boolean({ description: 'card: keep the card for later payments and automatic top-up' })),
    success_url: ReturnUrl("card and PayPal: where the customer comes back after paying (default: Kassa's own page, which for PayPal also captures the payment)"),
    cancel_url: ReturnUrl('card and PayPal: where the customer who gives up comes back'),
  },
  { title: 'RequestTopUp', additionalProperties: false, examples: [{ method: 'bank_transfer', amount: '10000' }, { method: 'card', amount: '2500', save_card: true, success_url: 'https://cloud.example/billing?paid=1' }] },
);
const Minor = (description: string) => Type.String({ pattern: '^[0-9]+$', description: `${description}, integer minor units` });
const TOP_UP_EXAMPLE = {
  id: 1, account_id: 2, method: 'bank_transfer', status: 'pending', currency: 'EUR', amount: '10000', received: '0', refunded: '0', expires_at: '2026-12-02T13:00:00.000Z',
  created_at: '2026-11-02T13:00:00.000Z', updated_at: '2026-11-02T13:00:00.000Z',
  bank_transfer: { reference: 'RF74 0000 0000 1', beneficiary: 'Example Cloud GmbH', iban: 'DE89 3704 0044 0532 0130 00', bic: 'COBADEFFXXX', amount: '10000', pay_by: '2026-12-02T13:00:00.000Z' },
  card: null,
  paypal: null,
};
export const TopUpSchema = Type.Object(
  {
    id: Type.Integer(),
    account_id: Type.Integer(),
    method: Type.Union([Type.Literal('bank_transfer'), Type.Literal('card'), Type.Literal('paypal')]),
    status: Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed'), Type.Literal('cancelled'), Type.Literal('expired')]),
    currency: Type.String(),
    amount: Minor('asked for'),
    received: Minor('arrived and credited so far'),
    refunded: Minor('given back'),
    expires_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
    bank_transfer: Type.Union([
      Type.Object({
        reference: Type.String({ description: 'the ISO 11649 creditor reference the transfer must carry' }),
        beneficiary: Type.String(),
        iban: Type.String(),
        bic: Type.String(),
        amount: Minor('still to pay'),
        pay_by: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
      }),
      Type.Null(),
    ], { description: 'what to pay, to whom and with which reference (bank transfers)' }),
    card: Type.Union([
      Type.Object({
        checkout_url: Type.Union([Type.String({ format: 'uri' }), Type.Null()], { description: "Stripe Checkout's page: send the customer there to pay (while pending)" }),
        save_card: Type.Boolean(),
      }),
      Type.Null(),
    ], { description: 'where to pay (card top-ups)' }),
    paypal: Type.Union([
      Type.Object({
        approve_url: Type.Union([Type.String({ format: 'uri' }), Type.Null()], { description: "PayPal's page: send the buyer there to approve the payment (while pending)" }),
        order_id: Type.Union([Type.String(), Type.Null()]),
      }),
      Type.Null(),
    ], { description: 'where to pay (PayPal top-ups)' }),
  },
  { title: 'TopUp', examples: [TOP_UP_EXAMPLE] },
);
const PaymentSchema = Type.Object(
  { ...TopUpSchema.properties, transaction_ids: Type.Array(Type.Integer(), { description: 'the ledger transactions its money produced, one per arrival' }) },
  { title: 'Payment', examples: [{ ...TOP_UP_EXAMPLE, transaction_ids: [] }] },
);
const PaymentFilters = Type.Object({
  from: Type.Optional(Type.String({ format: 'date-time', description: 'created at or after' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'created before' })),
  status: Type.Optional(TopUpSchema.properties.status),
  method: Type.Optional(TopUpSchema.properties.method),
});
const StatementLineStatus = Type.Union([Type.Literal('unmatched'), Type.Literal('matched'), Type.Literal('dismissed')]);
const StatementLineSchema = Type.Object(
  {
    id: Type.Integer(),
    statement_id: Type.Integer(),
    line: Type.Integer({ description: "the line's place in its statement" }),
    booked_on: Type.String({ description: 'the booking date, YYYY-MM-DD' }),
    amount: Minor('credited to the provider'),
    currency: Type.String(),
    reference: Type.String({ description: 'the remittance text' }),
    counterparty: Type.String(),
    bank_reference: Type.String({ description: "the bank's reference of the entry" }),
    status: StatementLineStatus,
    note: Type.Union([Type.String(), Type.Null()], { description: 'why it is unmatched, or the reason it was dismissed' }),
    top_up_id: Type.Union([Type.Integer(), Type.Null()]),
  },
  { title: 'StatementLine', examples: [{ id: 3, statement_id: 1, line: 2, booked_on: '2026-11-04', amount: '5000', currency: 'EUR', reference: 'invoice 12', counterparty: 'Beta Ltd', bank_reference: 'E2E-0002', status: 'unmatched', note: 'no creditor reference in the remittance text', top_up_id: null }] },
);
const TopUpLimitsSchema = Type.Record(
  Type.String({ pattern: '^[A-Z]{3}$' }),
  Type.Object({ min: Type.Optional(Minor('the smallest top-up')), max: Type.Optional(Minor('the largest top-up')) }, { additionalProperties: false }),
  { title: 'TopUpLimits', description: 'per ISO 4217 currency', examples: [{ EUR: { min: '500', max: '1000000' }, USD: { min: '500' } }] },
);
const AssignBody = Type.Object({ top_up_id: Id }, { title: 'AssignStatementLine', additionalProperties: false, examples: [{ top_up_id: 12 }] });
const STATEMENT_LIMIT_BYTES = 10 * 1024 * 1024;
const ImportSchema = Type.Object(
  {
    statement_id: Type.Integer(),
    already_imported: Type.Boolean({ description: 'this statement was imported before: nothing was done again' }),
    lines: Type.Integer({ description: 'credit lines read' }),
    matched: Type.Integer(),
    unmatched: Type.Integer({ description: 'kept for an operator: no reference, an unknown one, another currency...' }),
    credited: Type.Array(Type.Object({ top_up_id: Type.Integer(), account_id: Type.Integer(), amount: Minor('credited') })),
  },
  { title: 'StatementImport', examples: [{ statement_id: 1, already_imported: false, lines: 2, matched: 1, unmatched: 1, credited: [{ top_up_id: 1, account_id: 2, amount: '12550' }] }] },
);
const ConfirmBody = Type.Object(
  { amount: AmountString, bank_reference: Text(140, "the bank's reference of the payment: the same one twice credits once") },
  { title: 'ConfirmTopUp', additionalProperties: false, examples: [{ amount: '10000', bank_reference: 'BANK-2026-11-04-0042' }] },
);
const RefundBody = Type.Object(
  {
    amount: Type.Optional(AmountString),
    reason: Text(500, 'why; kept in the audit log and told to the customer'),
    bank_reference: Type.Optional(Text(140, "a bank transfer's: the reference of your transfer back to the customer")),
  },
  { title: 'RefundTopUp', additionalProperties: false, examples: [{ amount: '1000', reason: 'service not delivered on 2026-11-03' }, { reason: 'account closed', bank_reference: 'OUT-2026-11-30-7' }] },
);
const RejectBody = Type.Object({ reason: Text(500, 'why; kept in the audit log') }, { title: 'RejectTopUp', additionalProperties: false, examples: [{ reason: 'no such payment arrived' }] });

export async function paymentRoutes(app: KassaApp) {
  const { kassa } = app;
  const accountOf = async (topUpId: number) => (await kassa.db.select({ accountId: topUps.accountId }).from(topUps).where(eq(topUps.id, topUpId)))[0]?.accountId;

  app.get(
    '/settings/bank-account',
    { schema: { tags: ['settings'], summary: 'The bank account customers transfer to (staff)', response: { 200: BankAccountSchema, ...problemResponses(403, 404) } } },
    async (_request, reply) => (await readBankAccount(kassa.db)) ?? sendProblem(reply, { code: 'not_found', detail: 'no bank account is set: PUT /v1/settings/bank-account' }),
  );

  app.put(
    '/settings/bank-account',
    { schema: { tags: ['settings'], summary: 'Set the bank account customers transfer to (staff); the IBAN and BIC are checked', body: BankAccountSchema, response: { 200: BankAccountSchema, ...problemResponses(403) } } },
    async (request, reply) => {
      const checked = checkBankAccount(request.body);
      if (!checked.ok) return sendProblem(reply, checked.failure);
      const value = checked.value;
      await saveProviderSetting(kassa.db, request.principal, { key: BANK_ACCOUNT_SETTING, value, action: 'settings.bank_account_changed', data: { ...value } }, request.ip, kassa.clock.now());
      return value;
    },
  );

  app.get(
    '/settings/top-up-limits',
    { schema: { tags: ['settings'], summary: 'The smallest and largest top-up per currency (staff); a currency not named takes any amount', response: { 200: TopUpLimitsSchema, ...problemResponses(403) } } },
    async () => readTopUpLimits(kassa.db),
  );

  app.put(
    '/settings/top-up-limits',
    { schema: { tags: ['settings'], summary: 'Set the smallest and largest top-up per currency (staff), replacing what was set', body: TopUpLimitsSchema, response: { 200: TopUpLimitsSchema, ...problemResponses(403) } } },
    async (request, reply) => {
      const checked = checkTopUpLimits(request.body);
      if (!checked.ok) return sendProblem(reply, checked.failure);
      const value = checked.value;
      await saveProviderSetting(kassa.db, request.principal, { key: TOP_UP_LIMITS_SETTING, value, action: 'settings.top_up_limits_changed', data: { ...value } }, request.ip, kassa.clock.now());
      return value;
    },
  );

  app.post(
    '/accounts/:id/top-ups',
    {
      config: { access: 'billing:write' },
      schema: {
        tags,
        summary: 'Top up: a card answers the Stripe Checkout page to send the customer to; a bank transfer what to pay, to whom and with which reference. The balance grows when the money arrives',
        params: IdParams,
        headers: IdempotencyKeyHeaders,
        body: TopUpBody,
        response: { 201: TopUpSchema, ...problemResponses(403, 404, 409, 422, 502) },
      },
    },
    async (request, reply) => {
      const accountId = request.params.id;
      const { method, save_card: saveCard, success_url: successUrl, cancel_url: cancelUrl } = request.body;
      const amount = parsePositiveAmount(request.body.amount, '/amount');
      if (!amount.ok) return sendProblem(reply, amount.failure);
      if (method !== 'card' && saveCard !== undefined) return sendProblem(reply, { code: 'validation_failed', detail: 'save_card is for card top-ups only', field: '/save_card' });
      const redirects = (['success_url', 'cancel_url'] as const).find((field) => request.body[field] !== undefined);
      if (method === 'bank_transfer' && redirects) return sendProblem(reply, { code: 'validation_failed', detail: `${redirects} is for card and PayPal top-ups only`, field: `/${redirects}` });
      const publicUrl = publicUrlOf(kassa);
      const cancel = (id: number) => cancelUrl ?? `${publicUrl}/top-ups/${id}/cancelled`;
      // A card or PayPal top-up starts at the provider, which answers where the customer pays.
      let startAtProvider: ((tx: Db, at: Date) => Promise<Result<TopUp>>) | undefined;
      if (method === 'card') {
        const stripe = await stripeFor(kassa);
        if (!stripe.ok) return sendProblem(reply, stripe.failure);
        const success = (id: number) => successUrl ?? `${publicUrl}/top-ups/${id}/paid`;
        startAtProvider = (tx, at) => requestCardTopUp(tx, stripe.value.stripe, accountId, { amount: amount.value, saveCard: saveCard ?? false, successUrl: success, cancelUrl: cancel }, request.principal.scope, at);
      }
      if (method === 'paypal') {
        const paypal = await paypalFor(kassa);
        if (!paypal.ok) return sendProblem(reply, paypal.failure);
        const back = (id: number) => successUrl ?? `${publicUrl}/top-ups/${id}/paypal-return`;
        startAtProvider = (tx, at) => requestPayPalTopUp(tx, paypal.value, accountId, { amount: amount.value, returnUrl: back, cancelUrl: cancel }, request.principal.scope, at);
      }
      return answerMoneyCall(request, reply, {
        accountId,
        statusCode: 201,
        effect: async (tx, at) => {
          if (startAtProvider) {
            const started = await startAtProvider(tx, at);
            if (!started.ok) return started;
            const topUp = started.value;
            await writeOutbox(tx, accountId, 'top_up.requested', { account_id: accountId, top_up_id: topUp.id, method: topUp.method, amount: topUp.amountRequested, currency: topUp.currency }, at);
            return ok({ body: topUpJson(topUp, null), audit: { action: 'top_up.requested', accountId, target: `top_up:${topUp.id}`, data: { method: topUp.method, amount: topUp.amountRequested.toString(), provider_ref: topUp.providerRef } } });
          }
          const requested = await requestBankTransfer(tx, accountId, amount.value, request.principal.scope, at);
          if (!requested.ok) return requested;
          const { topUp, bank } = requested.value;
          const body = topUpJson(topUp, bank);
          // The instructions travel with the event, so the mail shows what the answer showed.
          await writeOutbox(tx, accountId, 'top_up.requested', { account_id: accountId, top_up_id: topUp.id, method: topUp.method, amount: topUp.amountRequested, currency: topUp.currency, bank_transfer: body.bank_transfer }, at);
          return ok({ body, audit: { action: 'top_up.requested', accountId, target: `top_up:${topUp.id}`, data: { method: topUp.method, amount: topUp.amountRequested.toString() } } });
        },
      });
    },
  );

  app.get(
    '/accounts/:id/payments',
    {
      config: { access: 'billing:read' },
      schema: {
        tags,
        summary: "An account's payment history: its top-ups, oldest first, with the ledger transactions each produced; CSV with Accept: text/csv",
        params: IdParams,
        querystring: Type.Intersect([PageQuery, PaymentFilters]),
        response: {
          200: {
            description: 'A page of payments; as CSV (one a line, a header first, the next page in the Link header) with Accept: text/csv',
            content: { 'application/json': { schema: pageOf(PaymentSchema) }, 'text/csv': { schema: Type.String({ title: 'PaymentsCsv', examples: ['id,created_at,method,status,currency,amount,received,refunded,reference,expires_at,transaction_ids\n'] }) } },
          },
          ...problemResponses(404),
        },
      },
    },
    async (request, reply) => {
      const accountId = request.params.id;
      const [account] = await kassa.db.select({ id: accounts.id }).from(accounts).where(eq(accounts.id, accountId));
      if (!account) return sendProblem(reply, { code: 'not_found', detail: `no account ${accountId}` });
      const payments = await listPayments(kassa.db, { ...request.query, accountId });
      if (/\btext\/csv\b/.test(request.headers.accept ?? '')) {
        if (payments.next_cursor) reply.header('link', `</v1/accounts/${accountId}/payments?cursor=${payments.next_cursor}>; rel="next"`);
        return reply.type('text/csv; charset=utf-8').send(paymentsCsv(payments.data));
      }
      return payments;
    },
  );

  // Statements come as the bank gives them (camt.053 XML or CSV), in their own scope so no
  // other route takes a text body.
  await app.register(async (child) => {
    child.addContentTypeParser(['application/xml', 'text/xml', 'text/csv', 'text/plain'], { parseAs: 'string', bodyLimit: STATEMENT_LIMIT_BYTES }, (_request, body, done) => done(null, body));
    (child as KassaApp).post(
      '/bank-statements',
      {
        bodyLimit: STATEMENT_LIMIT_BYTES,
        schema: {
          consumes: ['application/xml', 'text/csv'],
          tags,
          summary: 'Import a bank statement (staff): camt.053 XML or CSV; credit lines with the reference of a pending top-up credit it, the rest stay unmatched; the same statement twice changes nothing',
          body: Type.String({ title: 'BankStatement', maxLength: STATEMENT_LIMIT_BYTES, description: 'ISO 20022 camt.053 (application/xml) or CSV with the header date,amount,currency,reference,counterparty (text/csv)', examples: ['date,amount,currency,reference,counterparty\n2026-11-04,125.50,EUR,RF18 5390 0754 7034,Acme GmbH\n'] }),
          response: { 200: ImportSchema, ...problemResponses(403) },
        },
      },
      async (request, reply) => {
        const statement = parseStatement(request.body as string);
        if (!statement.ok) return sendProblem(reply, statement.failure);
        const summary = await importStatement(kassa, statement.value, kassa.clock.now());
        if (!summary.already_imported) {
          await recordAudit(kassa.db, request.principal, { action: 'bank_statement.imported', target: `bank_statement:${summary.statement_id}`, data: { statement: statement.value.id, lines: summary.lines, matched: summary.matched }, ip: request.ip, at: kassa.clock.now() });
        }
        return summary;
      },
    );
  });

  app.get(
    '/top-ups',
    {
      schema: {
        tags,
        summary: "Every account's top-ups (staff), oldest first: ?status=pending&method=bank_transfer lists the transfers still awaited",
        querystring: Type.Intersect([PageQuery, PaymentFilters, Type.Object({ account_id: Type.Optional(Id) })]),
        response: { 200: pageOf(PaymentSchema), ...problemResponses(403) },
      },
    },
    async (request) => listPayments(kassa.db, { ...request.query, accountId: request.query.account_id }),
  );

  app.get(
    '/bank-statement-lines',
    {
      schema: {
        tags,
        summary: 'Imported statement lines by status (staff), oldest first; by default the unmatched ones an operator has to assign or dismiss',
        querystring: Type.Intersect([PageQuery, Type.Object({ status: Type.Optional(StatementLineStatus) })]),
        response: { 200: pageOf(StatementLineSchema), ...problemResponses(403) },
      },
    },
    async (request) => listStatementLines(kassa.db, { ...request.query, status: request.query.status ?? 'unmatched' }),
  );

  app.post(
    '/bank-statement-lines/:id/assign',
    {
      schema: {
        tags,
        summary: 'Assign an unmatched statement line to the bank-transfer top-up it pays (staff): credited once, even if the top-up expired meanwhile',
        params: IdParams,
        headers: IdempotencyKeyHeaders,
        body: AssignBody,
        response: { 200: StatementLineSchema, ...problemResponses(403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const accountId = await accountOf(request.body.top_up_id);
      if (accountId === undefined) return sendProblem(reply, { code: 'not_found', detail: `no top-up ${request.body.top_up_id}`, field: '/top_up_id' });
      return answerMoneyCall(request, reply, {
        accountId,
        statusCode: 200,
        effect: async (tx, at) => {
          const { line, confirmed } = await assignStatementLine(tx, kassa, request.params.id, request.body.top_up_id, at);
          const audit = { action: 'bank_statement_line.assigned', accountId, target: `bank_statement_line:${line.id}`, data: { top_up_id: line.topUpId, amount: line.amount.toString(), transaction_id: confirmed.credited?.transactionId ?? null } };
          return ok({ body: statementLineJson(line), audit });
        },
      });
    },
  );

  app.post(
    '/bank-statement-lines/:id/dismiss',
    { schema: { tags, summary: 'Dismiss an unmatched statement line that pays no top-up (staff), with the reason', params: IdParams, body: RejectBody, response: { 200: StatementLineSchema, ...problemResponses(403, 404, 409) } } },
    async (request, reply) => {
      const dismissed = await inTransaction(kassa.db, async (tx) => {
        const line = await dismissStatementLine(tx, request.params.id, request.body.reason);
        await recordAudit(tx, request.principal, { action: 'bank_statement_line.dismissed', target: `bank_statement_line:${line.id}`, data: { reason: request.body.reason, amount: line.amount.toString(), currency: line.currency }, ip: request.ip, at: kassa.clock.now() });
        return statementLineJson(line);
      });
      return dismissed.ok ? dismissed.value : sendProblem(reply, dismissed.failure);
    },
  );

  app.post(
    '/top-ups/:id/confirm',
    {
      schema: {
        tags,
        summary: 'Confirm money that arrived for a pending bank transfer (staff): credits it once; a part leaves the rest expected',
        params: IdParams,
        headers: IdempotencyKeyHeaders,
        body: ConfirmBody,
        response: { 200: TopUpSchema, ...problemResponses(403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const amount = parsePositiveAmount(request.body.amount, '/amount');
      if (!amount.ok) return sendProblem(reply, amount.failure);
      const accountId = await accountOf(request.params.id);
      if (accountId === undefined) return sendProblem(reply, { code: 'not_found', detail: `no top-up ${request.params.id}` });
      return answerMoneyCall(request, reply, {
        accountId,
        statusCode: 200,
        effect: async (tx, at) => {
          const confirmed = await receiveTopUp(tx, kassa, request.params.id, { amount: amount.value, externalRef: request.body.bank_reference.trim() }, at);
          const audit = confirmed.credited
            ? { action: 'top_up.confirmed', accountId, target: `top_up:${request.params.id}`, data: { amount: amount.value.toString(), bank_reference: request.body.bank_reference, transaction_id: confirmed.credited.transactionId } }
            : undefined;
          return ok({ body: topUpJson(confirmed.topUp, await readBankAccount(tx)), audit });
        },
      });
    },
  );

  app.post(
    '/top-ups/:id/refund',
    {
      schema: {
        tags,
        summary: "Refund a top-up (staff), in full or in part: a card through Stripe, PayPal through PayPal, a bank transfer by the operator's own transfer back; never more than it received and has not given back",
        params: IdParams,
        headers: IdempotencyKeyHeaders,
        body: RefundBody,
        response: { 200: TopUpSchema, ...problemResponses(403, 404, 409, 422, 502) },
      },
    },
    async (request, reply) => {
      const amount = request.body.amount === undefined ? undefined : parsePositiveAmount(request.body.amount, '/amount');
      if (amount && !amount.ok) return sendProblem(reply, amount.failure);
      const accountId = await accountOf(request.params.id);
      if (accountId === undefined) return sendProblem(reply, { code: 'not_found', detail: `no top-up ${request.params.id}` });
      const requestKey = String(request.headers['idempotency-key'] ?? '');
      return answerMoneyCall(request, reply, {
        accountId,
        statusCode: 200,
        effect: async (tx, at) => {
          const stripe = async () => {
            const access = await stripeFor(kassa);
            return access.ok ? ok(access.value.stripe) : access;
          };
          const refunded = await refundTopUp(tx, { stripe, paypal: () => paypalFor(kassa) }, request.params.id, { amount: amount?.value, reason: request.body.reason, bankReference: request.body.bank_reference?.trim(), requestKey, createdBy: request.principal.scope }, at);
          if (!refunded.ok) return refunded;
          const { topUp, debited } = refunded.value;
          const audit = { action: 'top_up.refunded', accountId, target: `top_up:${topUp.id}`, data: { amount: debited?.amount.toString() ?? '0', reason: request.body.reason, transaction_id: debited?.transactionId ?? null } };
          return ok({ body: topUpJson(topUp, await readBankAccount(tx)), audit });
        },
      });
    },
  );

  app.post(
    '/top-ups/:id/cancel',
    { schema: { tags, summary: 'Cancel a pending top-up nothing arrived for (staff); a card checkout is expired at Stripe so it can no longer be paid', params: IdParams, body: RejectBody, response: { 200: TopUpSchema, ...problemResponses(403, 404, 409, 502) } } },
    async (request, reply) => {
      const at = kassa.clock.now();
      const cancelled = await inTransaction(kassa.db, async (tx) => {
        const topUp = await cancelTopUp(tx, () => stripeFor(kassa), request.params.id, at);
        await writeOutbox(tx, topUp.accountId, 'top_up.cancelled', { account_id: topUp.accountId, top_up_id: topUp.id, method: topUp.method, reason: request.body.reason }, at);
        await recordAudit(tx, request.principal, { action: 'top_up.cancelled', accountId: topUp.accountId, target: `top_up:${topUp.id}`, data: { reason: request.body.reason }, ip: request.ip, at });
        return topUpJson(topUp, await readBankAccount(tx));
      });
      if (!cancelled.ok) return sendProblem(reply, cancelled.failure);
      return cancelled.value;
    },
  );

  app.post(
    '/top-ups/:id/reject',
    { schema: { tags, summary: 'Reject a pending bank transfer nothing arrived for (staff)', params: IdParams, body: RejectBody, response: { 200: TopUpSchema, ...problemResponses(403, 404, 409) } } },
    async (request, reply) => {
      const at = kassa.clock.now();
      const rejected = await inTransaction(kassa.db, async (tx) => {
        const topUp = await rejectTopUp(tx, request.params.id, at);
        await writeOutbox(tx, topUp.accountId, 'top_up.failed', { account_id: topUp.accountId, top_up_id: topUp.id, method: topUp.method, reason: request.body.reason }, at);
        await recordAudit(tx, request.principal, { action: 'top_up.rejected', accountId: topUp.accountId, target: `top_up:${topUp.id}`, data: { reason: request.body.reason }, ip: request.ip, at });
        return topUpJson(topUp, await readBankAccount(tx));
      });
      if (!rejected.ok) return sendProblem(reply, rejected.failure);
      return rejected.value;
    },
  );
}
