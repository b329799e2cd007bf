// An account's usage as its people see it (SPEC 7, 9): the free allowances left.
import { eq } from 'drizzle-orm';
import { Type } from 'typebox';
import { accounts } from '../db/schema.js';
import type { KassaApp } from '../http/kassa-app.js';
import { problemResponses, sendProblem } from '../shared/problem.js';
import { readAllowances } from './allowances.js';

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
}
