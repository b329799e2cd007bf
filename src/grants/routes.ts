// Credit grants over HTTP (SPEC 4): operators and provider keys create, void and record the
// payment of grants; the account's members read them. Creating, voiding and paying move
// money, so each takes an Idempotency-Key and is answered once.
import { and, desc, eq, lt } from 'drizzle-orm';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type Static, Type } from 'typebox';
import { AmountString, amountsAreStrings, parseNonNegativeAmount, parsePositiveAmount } from '../accounts/amount.js';
import { answerMoneyCall } from '../accounts/money-call.js';
import { type Db } from '../db/client.js';
import { type GrantStatus, accounts, creditGrants } from '../db/schema.js';
import type { KassaApp } from '../http/kassa-app.js';
import { IdempotencyKeyHeaders } from '../shared/idempotency.js';
import { PageQuery, page, pageOf } from '../shared/pagination.js';
import { problemResponses, sendProblem } from '../shared/problem.js';
import { type Result, fail, ok } from '../shared/result.js';
import { saveProviderSetting } from '../audit/provider-setting.js';
import { GRANTS_SETTING, readGrantSettings } from './settings.js';
import { DEFAULT_PRIORITY, type GrantInput, type HeldGrant, createGrant, markGrantPaid, voidGrant, withHeld } from './grants.js';

const tags = ['grants'];
const Id = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
const AccountParams = Type.Object({ id: Id });
const GrantParams = Type.Object({ id: Id, grant_id: Id });
const Instant = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);
const STATUSES: GrantStatus[] = ['awaiting_payment', 'scheduled', 'active', 'voided', 'expired'];
const ServiceCode = Type.String({ pattern: '^[a-z][a-z0-9_]{0,62}$' });

export const GrantSchema = Type.Object(
  {
    id: Type.Integer(),
    account_id: Type.Integer(),
    kind: Type.String({ enum: ['promotional', 'paid'], description: '`promotional`: credit given (a bonus, a goodwill credit); `paid`: credit the customer bought, at `cost_basis`' }),
    status: Type.String({
      enum: STATUSES,
      description: '`awaiting_payment`: a paid grant whose price is still to come (it counts down from its payment); `scheduled`: its effective time is still to come; `active`: it pays charges; `voided`, `expired`: over, what was left written off',
    }),
    amount: Type.String({ description: 'face value, integer minor units of the account currency' }),
    remaining: Type.String({ description: 'what it still holds: the sum of its ledger postings' }),
    cost_basis: Type.String({ description: 'what the customer paid for it; 0 for promotional credit' }),
    currency: Type.String(),
    priority: Type.Integer({ description: 'drawn lower first, after grants scoped to the charged service' }),
    scope: Type.Union([Type.Array(Type.String()), Type.Null()], { description: 'the service (meter) and plan codes it pays; null: any charge' }),
    effective_at: Type.String({ format: 'date-time' }),
    expires_at: Instant,
    reason: Type.String(),
    paid_at: Instant,
    expiry_notice_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'when the account was told it expires soon' }),
    closed_at: Instant,
    created_at: Type.String({ format: 'date-time' }),
  },
  {
    title: 'CreditGrant',
    additionalProperties: false,
    examples: [
      {
        id: 4,
        account_id: 2,
        kind: 'promotional',
        status: 'active',
        amount: '1000',
        remaining: '700',
        cost_basis: '0',
        currency: 'EUR',
        priority: 100,
        scope: null,
        effective_at: '2026-12-01T00:00:00.000Z',
        expires_at: '2026-12-31T00:00:00.000Z',
        reason: 'sign-up bonus',
        paid_at: null,
        expiry_notice_at: null,
        closed_at: null,
        created_at: '2026-12-01T00:00:00.000Z',
      },
    ],
  },
);

const CreateGrantBody = Type.Object(
  {
    kind: Type.String({ enum: ['promotional', 'paid'] }),
    amount: { ...AmountString, description: 'face value, integer minor units of the account currency, as a string' },
    cost_basis: Type.Optional({ ...AmountString, description: 'paid grants: what the customer pays for it (at most `amount`), integer minor units; promotional grants: 0 or absent' }),
    priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, default: DEFAULT_PRIORITY, description: 'drawn lower first; default 100' })),
    scope: Type.Optional(Type.Union([Type.Array(ServiceCode, { minItems: 1, maxItems: 100, uniqueItems: true }), Type.Null()], { description: 'service (meter) and plan codes it may pay; absent or null: any charge' })),
    effective_at: Type.Optional(Type.String({ format: 'date-time', description: 'default: now' })),
    expires_at: Type.Optional(Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'when what is left is written off; absent or null: never' })),
    expires_in_days: Type.Optional(Type.Integer({ minimum: 1, maximum: 36_500, description: 'instead of `expires_at`: this many days after it takes effect' })),
    reason: Type.String({ minLength: 1, maxLength: 500 }),
    purchase: Type.Optional(Type.String({ enum: ['paid', 'pending'], default: 'paid', description: 'paid grants: its price was received already (`paid`, the default) or is awaited (`pending`: the grant waits, and counts down from its payment)' })),
  },
  {
    additionalProperties: false,
    examples: [
      { kind: 'promotional', amount: '1000', expires_in_days: 30, reason: 'sign-up bonus' },
      { kind: 'paid', amount: '12000', cost_basis: '10000', expires_in_days: 365, reason: 'annual bundle', purchase: 'pending' },
      { kind: 'promotional', amount: '500', scope: ['emails'], priority: 10, reason: 'goodwill after the 2026-11-30 outage' },
    ],
  },
);

const VoidBody = Type.Object({ reason: Type.String({ minLength: 1, maxLength: 500 }) }, { additionalProperties: false, examples: [{ reason: 'granted by mistake' }] });

const ListQuery = Type.Intersect([PageQuery, Type.Object({ status: Type.Optional(Type.String({ enum: STATUSES })) })]);

export function grantView(grant: HeldGrant, currency: string) {
  return {
    id: grant.id,
    account_id: grant.accountId,
    kind: grant.kind,
    status: grant.status,
    amount: grant.amount.toString(),
    remaining: grant.held.toString(),
    cost_basis: grant.costBasis.toString(),
    currency,
    priority: grant.priority,
    scope: grant.scope,
    effective_at: grant.effectiveAt.toISOString(),
    expires_at: grant.expiresAt?.toISOString() ?? null,
    reason: grant.reason,
    paid_at: grant.paidAt?.toISOString() ?? null,
    expiry_notice_at: grant.expiryNoticeAt?.toISOString() ?? null,
    closed_at: grant.closedAt?.toISOString() ?? null,
    created_at: grant.createdAt.toISOString(),
  };
}

type CreateBody = Static<typeof CreateGrantBody>;

/** The request read into a grant, or the field at fault. */
export function readGrantRequest(body: CreateBody): Result<GrantInput> {
  const amount = parsePositiveAmount(body.amount, '/amount');
  if (!amount.ok) return amount;
  const costBasis = body.cost_basis === undefined ? ok(0n) : parseNonNegativeAmount(body.cost_basis, '/cost_basis');
  if (!costBasis.ok) return costBasis;
  const kind = body.kind as GrantInput['kind'];
  if (kind === 'promotional' && costBasis.value !== 0n) return fail('validation_failed', 'promotional credit has no cost basis', { field: '/cost_basis' });
  if (costBasis.value > amount.value) return fail('validation_failed', 'cost_basis may not exceed amount', { field: '/cost_basis' });
  if (kind === 'promotional' && body.purchase === 'pending') return fail('validation_failed', 'only a paid grant awaits a payment', { field: '/purchase' });
  if (body.expires_at && body.expires_in_days !== undefined) return fail('validation_failed', 'give expires_at or expires_in_days, not both', { field: '/expires_in_days' });
  const effectiveAt = body.effective_at === undefined ? null : new Date(body.effective_at);
  return ok({
    kind,
    amount: amount.value,
    costBasis: costBasis.value,
    priority: body.priority ?? DEFAULT_PRIORITY,
    scope: body.scope ?? null,
    effectiveAt,
    expiresAt: body.expires_at ? new Date(body.expires_at) : null,
    expiresInDays: body.expires_in_days ?? null,
    reason: body.reason,
    purchase: (body.purchase ?? 'paid') as GrantInput['purchase'],
  });
}

const GrantSettingsSchema = Type.Object(
  { expiry_notice_days: Type.Integer({ minimum: 0, maximum: 365, description: 'days before a credit grant expires that the account is told what it still holds (mail and `grant.expiring`); 0: on the day it expires' }) },
  { title: 'GrantSettings', additionalProperties: false, examples: [{ expiry_notice_days: 7 }] },
);

export async function grantRoutes(app: KassaApp) {
  const { kassa } = app;
  const currencyOf = async (db: Db, accountId: number) => (await db.select({ currency: accounts.currency }).from(accounts).where(eq(accounts.id, accountId)))[0]?.currency;

  app.post(
    '/accounts/:id/grants',
    {
      preValidation: amountsAreStrings('amount', 'cost_basis'),
      schema: {
        tags,
        summary: 'Give or sell credit to an account (staff); needs an Idempotency-Key',
        description:
          'A grant is its own ledger sub-account in the account currency. In effect at once (201, `active`), at `effective_at` (`scheduled`), or, for a paid grant whose price is still to come, ' +
          'after POST .../paid (`awaiting_payment`). Charges draw grants scoped to the charged service first, then by priority, soonest expiry, promotional before paid, oldest first; then the paid balance.',
        params: AccountParams,
        headers: IdempotencyKeyHeaders,
        body: CreateGrantBody,
        response: { 201: GrantSchema, ...problemResponses(403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const input = readGrantRequest(request.body);
      if (!input.ok) return sendProblem(reply, input.failure);
      const accountId = request.params.id;
      return answerMoneyCall(request, reply, {
        accountId,
        statusCode: 201,
        effect: async (tx, at) => {
          const made = await createGrant(tx, kassa, accountId, input.value, at);
          if (!made.ok) return made;
          const body = grantView(made.value, (await currencyOf(tx, accountId))!);
          return ok({ body, audit: { action: 'grant.created', accountId, data: { grant_id: made.value.id, kind: body.kind, amount: body.amount, reason: body.reason } } });
        },
      });
    },
  );

  app.get(
    '/accounts/:id/grants',
    {
      config: { access: 'billing:read' },
      schema: { tags, summary: "The account's credit grants, newest first, with what each holds", params: AccountParams, querystring: ListQuery, response: { 200: pageOf(GrantSchema), ...problemResponses(404) } },
    },
    async (request, reply) => {
      const { id } = request.params;
      const currency = await currencyOf(kassa.db, id);
      if (!currency) return sendProblem(reply, { code: 'not_found', detail: `no account ${id}` });
      const { limit, cursor, status } = request.query;
      const rows = await kassa.db
        .select()
        .from(creditGrants)
        .where(and(eq(creditGrants.accountId, id), status === undefined ? undefined : eq(creditGrants.status, status as GrantStatus), cursor === undefined ? undefined : lt(creditGrants.id, Number(cursor))))
        .orderBy(desc(creditGrants.id))
        .limit(limit + 1);
      const { data, next_cursor } = page(rows, limit);
      return { data: (await withHeld(kassa.db, data)).map((g) => grantView(g, currency)), next_cursor };
    },
  );

  app.get(
    '/accounts/:id/grants/:grant_id',
    { config: { access: 'billing:read' }, schema: { tags, summary: 'Read a credit grant and what it holds', params: GrantParams, response: { 200: GrantSchema, ...problemResponses(404) } } },
    async (request, reply) => {
      const { id, grant_id } = request.params;
      const [row] = await kassa.db.select().from(creditGrants).where(and(eq(creditGrants.id, grant_id), eq(creditGrants.accountId, id)));
      if (!row) return sendProblem(reply, { code: 'not_found', detail: `no credit grant ${grant_id} on account ${id}` });
      const [held] = await withHeld(kassa.db, [row]);
      return grantView(held!, (await currencyOf(kassa.db, id))!);
    },
  );

  /** A grant's change under an Idempotency-Key: found on this account, changed, answered once. */
  const changeGrant = (request: FastifyRequest, reply: FastifyReply, { id, grant_id }: { id: number; grant_id: number }, action: string, change: (tx: Db, at: Date) => Promise<Result<HeldGrant>>) => {
    return answerMoneyCall(request, reply, {
      accountId: id,
      statusCode: 200,
      effect: async (tx, at) => {
        const [row] = await tx.select({ id: creditGrants.id }).from(creditGrants).where(and(eq(creditGrants.id, grant_id), eq(creditGrants.accountId, id)));
        if (!row) return fail('not_found', `no credit grant ${grant_id} on account ${id}`);
        const changed = await change(tx, at);
        if (!changed.ok) return changed;
        return ok({ body: grantView(changed.value, (await currencyOf(tx, id))!), audit: { action, accountId: id, data: { grant_id, ...((request.body as object | undefined) ?? {}) } } });
      },
    });
  };

  app.post(
    '/accounts/:id/grants/:grant_id/void',
    {
      schema: {
        tags,
        summary: 'Void a credit grant (staff); needs an Idempotency-Key',
        description: 'What it still holds is written off by a reversing ledger transaction (promotional credit back to `promotions`; of paid credit, the cost basis share to `grant_sales`, the rest to `promotions`). Nothing is deleted.',
        params: GrantParams,
        headers: IdempotencyKeyHeaders,
        body: VoidBody,
        response: { 200: GrantSchema, ...problemResponses(403, 404, 409, 422) },
      },
    },
    (request, reply) => changeGrant(request, reply, request.params, 'grant.voided', (tx, at) => voidGrant(tx, request.params.grant_id, request.body.reason, at)),
  );

  app.post(
    '/accounts/:id/grants/:grant_id/paid',
    {
      schema: {
        tags,
        summary: "Record a paid grant's price received (staff); needs an Idempotency-Key",
        description: 'The grant takes effect now (or at its effective time, if still to come), and its expiry moves by as long as the payment came late: it counts down from its payment.',
        params: GrantParams,
        headers: IdempotencyKeyHeaders,
        response: { 200: GrantSchema, ...problemResponses(403, 404, 409, 422) },
      },
    },
    (request, reply) => changeGrant(request, reply, request.params, 'grant.paid', (tx, at) => markGrantPaid(tx, kassa, request.params.grant_id, at)),
  );

  app.get(
    '/settings/grants',
    { schema: { tags: ['settings'], summary: 'When accounts are told a credit grant expires soon (staff)', response: { 200: GrantSettingsSchema, ...problemResponses(403) } } },
    async () => readGrantSettings(kassa.db),
  );

  app.put(
    '/settings/grants',
    { schema: { tags: ['settings'], summary: 'Set when accounts are told a credit grant expires soon (staff)', body: GrantSettingsSchema, response: { 200: GrantSettingsSchema, ...problemResponses(403) } } },
    async (request) => {
      const value = { expiry_notice_days: request.body.expiry_notice_days };
      await saveProviderSetting(kassa.db, request.principal, { key: GRANTS_SETTING, value, action: 'settings.grants_changed', data: { ...value } }, request.ip, kassa.clock.now());
      return value;
    },
  );
}
