// Budgets over HTTP (SPEC 4): the account's owners and billing members set spend limits per
// day or month, for the whole account, one plan or one metered service, and read what each has spent in
// its current period. A budget set or changed is evaluated at once against the spend so far.
import { and, eq, sql } from 'drizzle-orm';
import { Type } from 'typebox';
import { AmountString, amountsAreStrings, parsePositiveAmount } from '../accounts/amount.js';
import { lockAccount } from '../accounts/lock.js';
import { inTransaction } from '../accounts/transaction.js';
import { recordAudit } from '../audit/record.js';
import { type Db, query } from '../db/client.js';
import { type BudgetAction, type BudgetPeriod, budgets } from '../db/schema.js';
import type { KassaApp } from '../http/kassa-app.js';
import { problemResponses, sendProblem } from '../shared/problem.js';
import { FailureSignal, type Result, abort, fail, ok } from '../shared/result.js';
import { type BudgetStanding, budgetStandings, evaluateBudgets } from './budgets.js';

const tags = ['budgets'];
const Id = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
const AccountParams = Type.Object({ id: Id });
const BudgetParams = Type.Object({ id: Id, budget_id: Id });
const Shares = Type.Array(Type.Integer({ minimum: 1, maximum: 100 }), { maxItems: 10, uniqueItems: true, description: 'percent shares of the limit told once each per crossing (mail and `budget.threshold_crossed`), e.g. [80, 100]' });

export const BudgetSchema = Type.Object(
  {
    id: Type.Integer(),
    account_id: Type.Integer(),
    service: Type.Union([Type.String(), Type.Null()], { description: "a plan's or a metered service's code; null: every charge of the account" }),
    period: Type.String({ enum: ['day', 'month'], description: 'a UTC day, or a calendar month' }),
    amount: Type.String({ description: 'the limit, integer minor units of the account currency' }),
    currency: Type.String(),
    action: Type.String({ enum: ['notify', 'stop'], description: '`notify`: only tell; `stop`: once reached, the service is off until the period ends (entitlements answer `budget_reached`, reservations are refused; an account-wide budget, or one on a plan, suspends those subscriptions at their next charge and refuses new charges). Usage already sent is still charged' }),
    notify_at: Shares,
    period_start: Type.String({ description: 'the first UTC day of the current period' }),
    spent: Type.String({ description: 'charged in the current period (refunds counted back), integer minor units' }),
    notified: Type.Array(Type.Integer(), { description: 'the shares told in the current period' }),
    reached: Type.Boolean({ description: 'a stop budget reached in the current period: its service is off' }),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
  },
  {
    title: 'Budget',
    additionalProperties: false,
    examples: [
      { id: 3, account_id: 2, service: 'sms', period: 'month', amount: '50000', currency: 'EUR', action: 'stop', notify_at: [80], period_start: '2026-12-01', spent: '41200', notified: [80], reached: false, created_at: '2026-11-20T09:00:00.000Z', updated_at: '2026-11-20T09:00:00.000Z' },
    ],
  },
);

const BudgetBody = Type.Object(
  {
    period: Type.String({ enum: ['day', 'month'] }),
    amount: { ...AmountString, description: 'the limit, integer minor units of the account currency, as a string' },
    service: Type.Optional(Type.Union([Type.String({ pattern: '^[a-z][a-z0-9_]{0,62}$' }), Type.Null()], { description: "a plan's or a metered service's code (its subscriptions' charges, or its usage); absent or null: every charge of the account" })),
    action: Type.String({ enum: ['notify', 'stop'] }),
    notify_at: Type.Optional({ ...Shares, default: [] }),
  },
  { additionalProperties: false, examples: [{ period: 'month', amount: '50000', service: 'sms', action: 'stop', notify_at: [80] }, { period: 'day', amount: '2000', action: 'notify', notify_at: [50, 100] }] },
);

const ChangeBody = Type.Object(
  {
    amount: Type.Optional({ ...AmountString, description: 'the new limit' }),
    action: Type.Optional(Type.String({ enum: ['notify', 'stop'] })),
    notify_at: Type.Optional(Shares),
  },
  { additionalProperties: false, minProperties: 1, examples: [{ amount: '80000' }] },
);

export function budgetView(b: BudgetStanding & { currency: string }) {
  return {
    id: b.id,
    account_id: b.accountId,
    service: b.service,
    period: b.period,
    amount: b.amount.toString(),
    currency: b.currency,
    action: b.action,
    notify_at: b.notifyAt,
    period_start: b.periodStart,
    spent: b.spent.toString(),
    // The state recorded belongs to its period: a new one has told nothing yet.
    notified: b.current ? b.notified : [],
    reached: b.current && b.reachedAt !== null,
    created_at: b.createdAt.toISOString(),
    updated_at: b.updatedAt.toISOString(),
  };
}

/** A budget's service is a plan or a metered service: what is charged on its own (a plan item is charged with its plan). */
async function checkService(tx: Db, service: string | null): Promise<Result<null>> {
  if (service === null) return ok(null);
  const [known] = await query<{ charged: boolean }>(
    tx,
    sql`select meter_aggregation is not null as charged from services where code = ${service}
        union all
        select true from plans where code = ${service}`,
  );
  if (!known) return fail('validation_failed', `no plan or service ${service}`, { field: '/service' });
  if (!known.charged) return fail('validation_failed', `${service} is a plan item, charged with its plan: a budget is for the whole account, one plan or one meter`, { field: '/service' });
  return ok(null);
}

export async function budgetRoutes(app: KassaApp) {
  const { kassa } = app;
  const standing = async (db: Db, accountId: number, budgetId: number, at: Date) => (await budgetStandings(db, [accountId], at, { budgetIds: [budgetId] }))[0];

  app.post(
    '/accounts/:id/budgets',
    {
      config: { access: 'billing:write' },
      preValidation: amountsAreStrings('amount'),
      schema: { tags, summary: 'Set a spend limit per day or month, for the account, one plan or one metered service', params: AccountParams, body: BudgetBody, response: { 201: BudgetSchema, ...problemResponses(403, 404, 409) } },
    },
    async (request, reply) => {
      const accountId = request.params.id;
      const amount = parsePositiveAmount(request.body.amount, '/amount');
      if (!amount.ok) return sendProblem(reply, amount.failure);
      const at = kassa.clock.now();
      const service = request.body.service ?? null;
      const made = await inTransaction(kassa.db, async (tx) => {
        const account = await lockAccount(tx, accountId);
        if (!account) abort('not_found', `no account ${accountId}`);
        const known = await checkService(tx, service);
        if (!known.ok) throw new FailureSignal(known.failure);
        const [row] = await tx
          .insert(budgets)
          .values({ accountId, service, period: request.body.period as BudgetPeriod, amount: amount.value, action: request.body.action as BudgetAction, notifyAt: request.body.notify_at ?? [], notified: [], createdAt: at, updatedAt: at })
          .onConflictDoNothing()
          .returning({ id: budgets.id });
        if (!row) abort('already_exists', `the account has a ${request.body.period} budget for ${service ?? 'every charge'} already; change it instead`, { field: '/service' });
        await recordAudit(tx, request.principal, { action: 'budget.created', accountId, target: `budget:${row!.id}`, data: { ...request.body }, ip: request.ip, at });
        const changed = await evaluateBudgets(tx, [accountId], at, [row!.id]);
        return { view: budgetView((await standing(tx, accountId, row!.id, at))!), changed };
      });
      if (!made.ok) return sendProblem(reply, made.failure);
      if (made.value.changed.length > 0) await kassa.entitlements.refresh(kassa.db, made.value.changed);
      return reply.code(201).send(made.value.view);
    },
  );

  app.get(
    '/accounts/:id/budgets',
    { config: { access: 'billing:read' }, schema: { tags, summary: "The account's budgets, with what each has spent in its current period", params: AccountParams, response: { 200: Type.Object({ data: Type.Array(BudgetSchema) }), ...problemResponses(403, 404) } } },
    async (request, reply) => {
      const { id } = request.params;
      const [account] = await query<{ id: number }>(kassa.db, sql`select id from accounts where id = ${id}`);
      if (!account) return sendProblem(reply, { code: 'not_found', detail: `no account ${id}` });
      return { data: (await budgetStandings(kassa.db, [id], kassa.clock.now())).map(budgetView) };
    },
  );

  app.patch(
    '/accounts/:id/budgets/:budget_id',
    {
      config: { access: 'billing:write' },
      preValidation: amountsAreStrings('amount'),
      schema: { tags, summary: "Change a budget's limit, action or shares; evaluated again at once, past charges unchanged", params: BudgetParams, body: ChangeBody, response: { 200: BudgetSchema, ...problemResponses(403, 404) } },
    },
    async (request, reply) => {
      const { id: accountId, budget_id: budgetId } = request.params;
      const amount = request.body.amount === undefined ? undefined : parsePositiveAmount(request.body.amount, '/amount');
      if (amount && !amount.ok) return sendProblem(reply, amount.failure);
      const at = kassa.clock.now();
      const changed = await inTransaction(kassa.db, async (tx) => {
        await lockAccount(tx, accountId);
        const [row] = await tx
          .update(budgets)
          .set({
            ...(amount?.ok && { amount: amount.value }),
            ...(request.body.action !== undefined && { action: request.body.action as BudgetAction }),
            ...(request.body.notify_at !== undefined && { notifyAt: request.body.notify_at }),
            updatedAt: at,
          })
          .where(and(eq(budgets.id, budgetId), eq(budgets.accountId, accountId)))
          .returning({ id: budgets.id });
        if (!row) abort('not_found', `no budget ${budgetId} on account ${accountId}`);
        await recordAudit(tx, request.principal, { action: 'budget.changed', accountId, target: `budget:${budgetId}`, data: { ...request.body }, ip: request.ip, at });
        const released = await evaluateBudgets(tx, [accountId], at, [budgetId]);
        return { view: budgetView((await standing(tx, accountId, budgetId, at))!), released };
      });
      if (!changed.ok) return sendProblem(reply, changed.failure);
      if (changed.value.released.length > 0) await kassa.entitlements.refresh(kassa.db, changed.value.released);
      return changed.value.view;
    },
  );

  app.delete(
    '/accounts/:id/budgets/:budget_id',
    { config: { access: 'billing:write' }, schema: { tags, summary: 'Remove a budget: a service it stopped is on again', params: BudgetParams, response: { 204: Type.Null({ description: 'removed; no body' }), ...problemResponses(403, 404) } } },
    async (request, reply) => {
      const { id: accountId, budget_id: budgetId } = request.params;
      const at = kassa.clock.now();
      const removed = await inTransaction(kassa.db, async (tx) => {
        const [row] = await tx.delete(budgets).where(and(eq(budgets.id, budgetId), eq(budgets.accountId, accountId))).returning({ id: budgets.id });
        if (!row) abort('not_found', `no budget ${budgetId} on account ${accountId}`);
        await recordAudit(tx, request.principal, { action: 'budget.removed', accountId, target: `budget:${budgetId}`, ip: request.ip, at });
      });
      if (!removed.ok) return sendProblem(reply, removed.failure);
      await kassa.entitlements.refresh(kassa.db, [accountId]);
      return reply.code(204).send(null);
    },
  );
}
