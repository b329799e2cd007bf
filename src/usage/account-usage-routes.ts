// An account's usage (SPEC 7, 9): the free allowances left, and reservations, the funds a
// product holds before a large send.
import { and, desc, eq, lt } from 'drizzle-orm';
import { Type } from 'typebox';
import { answerMoneyCall } from '../accounts/money-call.js';
import { type Db } from '../db/client.js';
import { accounts, usageReservations } from '../db/schema.js';
import type { KassaApp } from '../http/kassa-app.js';
import { Exact } from '../money/money.js';
import { IdempotencyKeyHeaders } from '../shared/idempotency.js';
import { PageQuery, page, pageOf } from '../shared/pagination.js';
import { problemResponses, sendProblem } from '../shared/problem.js';
import { readAllowances } from './allowances.js';
import { DEFAULT_RESERVATION_SECONDS, type Reservation, closeReservation, reserve } from './reservations.js';

const AccountParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) });

const AllowancesSchema = Type.Object(
  {
    account_id: Type.Integer(),
    data: Type.Array(
      Type.Object(
        {
          meter: Type.String({ description: "the metered service's code" }),
          kind: Type.String({ enum: ['monthly', 'once'], description: "`monthly`: the plan's included units, again every calendar month; `once`: units granted once per account" }),
          granted: Type.String({ description: 'units granted, exact decimal' }),
          used: Type.String({ description: 'units of it used, as last rated' }),
          remaining: Type.String({ description: 'units left' }),
          renews_at: Type.Optional(Type.String({ format: 'date-time', description: "for `monthly`: when the month's units start again" })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  {
    title: 'Allowances',
    additionalProperties: false,
    examples: [
      {
        account_id: 2,
        data: [
          { meter: 'emails', kind: 'once', granted: '2500', used: '1200', remaining: '1300' },
          { meter: 'storage', kind: 'monthly', granted: '10', used: '4.5', remaining: '5.5', renews_at: '2027-01-01T00:00:00.000Z' },
        ],
      },
    ],
  },
);

const ReservationSchema = Type.Object(
  {
    id: Type.Integer(),
    account_id: Type.Integer(),
    meter: Type.String(),
    quantity: Type.String({ description: 'the quantity reserved, exact decimal' }),
    settled: Type.String({ description: 'of it, what usage events naming the reservation reported so far' }),
    amount: Type.String({ description: 'what the quantity was priced at when granted (after free units), integer minor units' }),
    held: Type.String({ description: 'what is still held out of available funds: the unused share of amount, rounded up' }),
    status: Type.String({ enum: ['open', 'closed', 'expired'] }),
    expires_at: Type.String({ format: 'date-time' }),
    created_at: Type.String({ format: 'date-time' }),
    closed_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  },
  {
    title: 'Reservation',
    additionalProperties: false,
    examples: [{ id: 7, account_id: 2, meter: 'emails', quantity: '50000', settled: '12000', amount: '4750', held: '3610', status: 'open', expires_at: '2026-12-03T10:00:00.000Z', created_at: '2026-12-02T10:00:00.000Z', closed_at: null }],
  },
);

const ReserveBody = Type.Object(
  {
    meter: Type.String({ pattern: '^[a-z][a-z0-9_]{0,62}$', description: "a metered service the account's plan prices" }),
    quantity: Type.String({ pattern: '^(0|[1-9][0-9]{0,14})(\\.[0-9]{1,6})?$', description: 'how much the send will use, exact decimal' }),
    expires_in_seconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 7 * 86_400, default: DEFAULT_RESERVATION_SECONDS, description: 'when what is unused is released; default 24 hours' })),
  },
  { additionalProperties: false, examples: [{ meter: 'emails', quantity: '50000' }] },
);

const reservationView = (r: Reservation) => ({
  id: r.id,
  account_id: r.accountId,
  meter: r.meter,
  quantity: new Exact(r.quantity).toString(),
  settled: new Exact(r.settled).toString(),
  amount: r.amount.toString(),
  held: r.held.toString(),
  status: r.status,
  expires_at: r.expiresAt.toISOString(),
  created_at: r.createdAt.toISOString(),
  closed_at: r.closedAt?.toISOString() ?? null,
});

const ReservationParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) });

export async function accountUsageRoutes(app: KassaApp) {
  const { kassa } = app;
  app.get(
    '/accounts/:id/allowances',
    {
      config: { access: 'billing:read' },
      schema: {
        tags: ['usage'],
        summary: "The account's free allowances per meter: granted, used and left",
        description: "From the meters the account's plans price: the units included every calendar month and those granted once per account, used before anything is charged.",
        params: AccountParams,
        response: { 200: AllowancesSchema, ...problemResponses(404) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const [account] = await kassa.db.select({ id: accounts.id }).from(accounts).where(eq(accounts.id, id));
      if (!account) return sendProblem(reply, { code: 'not_found', detail: `no account ${id}` });
      return { account_id: id, data: await readAllowances(kassa.db, id, kassa.clock.now()) };
    },
  );

  app.post(
    '/accounts/:id/reservations',
    {
      schema: {
        tags: ['usage'],
        summary: 'Reserve the price of a large send (staff): held out of available funds, or refused with what is missing',
        description:
          'Priced as rating would price it now: free units first, then the tiers over the month so far, after what other open reservations of the meter count on. ' +
          'Granted: 201 with the hold. Refused: 422 `insufficient_funds` with `amount`, `available` and `missing`. Usage events carrying `reservation_id` settle it; closing it or its expiry releases the rest.',
        params: AccountParams,
        headers: IdempotencyKeyHeaders,
        body: ReserveBody,
        response: { 201: ReservationSchema, ...problemResponses(403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const { meter, quantity, expires_in_seconds } = request.body;
      return answerMoneyCall(request, reply, {
        accountId: request.params.id,
        statusCode: 201,
        effect: async (tx, at) => {
          const made = await reserve(tx, request.params.id, { meter, quantity: new Exact(quantity), expiresInSeconds: expires_in_seconds ?? DEFAULT_RESERVATION_SECONDS }, at);
          return made.ok ? { ok: true, value: { body: reservationView(made.value) } } : made;
        },
      });
    },
  );

  app.get(
    '/accounts/:id/reservations',
    {
      config: { access: 'billing:read' },
      schema: { tags: ['usage'], summary: "The account's usage reservations, newest first", params: AccountParams, querystring: PageQuery, response: { 200: pageOf(ReservationSchema), ...problemResponses(404) } },
    },
    async (request, reply) => {
      const { id } = request.params;
      const [account] = await kassa.db.select({ id: accounts.id }).from(accounts).where(eq(accounts.id, id));
      if (!account) return sendProblem(reply, { code: 'not_found', detail: `no account ${id}` });
      const { limit, cursor } = request.query;
      const rows = await kassa.db
        .select()
        .from(usageReservations)
        .where(and(eq(usageReservations.accountId, id), cursor === undefined ? undefined : lt(usageReservations.id, Number(cursor))))
        .orderBy(desc(usageReservations.id))
        .limit(limit + 1);
      const { data, next_cursor } = page(rows, limit);
      return { data: data.map(reservationView), next_cursor };
    },
  );

  app.get(
    '/reservations/:id',
    { schema: { tags: ['usage'], summary: 'Read a usage reservation (staff)', params: ReservationParams, response: { 200: ReservationSchema, ...problemResponses(403, 404) } } },
    async (request, reply) => {
      const [row] = await kassa.db.select().from(usageReservations).where(eq(usageReservations.id, request.params.id));
      if (!row) return sendProblem(reply, { code: 'not_found', detail: `no reservation ${request.params.id}` });
      return reservationView(row);
    },
  );

  app.post(
    '/reservations/:id/close',
    {
      schema: {
        tags: ['usage'],
        summary: 'Close a usage reservation (staff): what it still holds is released; closing one that is no longer open answers it as it is',
        params: ReservationParams,
        response: { 200: ReservationSchema, ...problemResponses(403, 404) },
      },
    },
    async (request, reply) => {
      const closed = await kassa.db.transaction((tx) => closeReservation(tx as unknown as Db, request.params.id, kassa.clock.now()));
      if (!closed.ok) return sendProblem(reply, closed.failure);
      kassa.entitlements.invalidate(closed.value.accountId);
      return reservationView(closed.value);
    },
  );
}
