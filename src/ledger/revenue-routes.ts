// The revenue report over HTTP (SPEC 4, staff): per UTC day, currency and service, from the
// ledger's postings (./revenue.ts), so it adds up to the ledger to the cent.
import { Type } from 'typebox';
import type { KassaApp } from '../http/kassa-app.js';
import { periodProblem } from '../shared/period.js';
import { problemResponses, sendProblem } from '../shared/problem.js';
import { readRevenueReport, revenueCsv } from './revenue.js';

const DAY_MS = 86_400_000;
const Minor = (description: string) => Type.String({ description: `${description}; integer minor units of the currency` });

const RevenueQuery = Type.Object({
  from: Type.Optional(Type.String({ format: 'date', description: 'first UTC day, inclusive; default: 29 days before `to`' })),
  to: Type.Optional(Type.String({ format: 'date', description: 'last UTC day, inclusive; default: today' })),
});

const RevenueReportSchema = Type.Object(
  {
    from: Type.String(),
    to: Type.String(),
    data: Type.Array(
      Type.Object(
        {
          day: Type.String({ description: 'YYYY-MM-DD (UTC)' }),
          currency: Type.String(),
          service: Type.Union([Type.String(), Type.Null()], { description: 'the plan or meter code; null: breakage, and revenue of charges made before postings named their service' }),
          revenue: Minor('recognised revenue: charges less refunds, whoever paid them (paid balance, credit grants, system credit)'),
          promotional_credit_used: Minor('the part of that revenue promotional credit grants paid (an expense: credit given, now used)'),
          breakage: Minor('the cost-basis share of paid credit that expired unused'),
        },
        { additionalProperties: false },
      ),
      { description: 'one row per day, currency and service with any figure other than zero' },
    ),
    days: Type.Array(
      Type.Object(
        {
          day: Type.String(),
          currency: Type.String(),
          revenue: Minor("the day's revenue, all services"),
          promotional_credit_used: Minor('of it, paid by promotional credit'),
          breakage: Minor("the day's breakage"),
          liability: Minor("customer money held at the day's end: every paid balance (negative while system credit is used) and every credit grant"),
        },
        { additionalProperties: false },
      ),
      { description: 'every day of the window, per currency' },
    ),
  },
  {
    title: 'RevenueReport',
    examples: [
      {
        from: '2026-12-01',
        to: '2026-12-01',
        data: [
          { day: '2026-12-01', currency: 'EUR', service: 'emails', revenue: '950', promotional_credit_used: '200', breakage: '0' },
          { day: '2026-12-01', currency: 'EUR', service: 'hosting', revenue: '2900', promotional_credit_used: '0', breakage: '0' },
          { day: '2026-12-01', currency: 'EUR', service: null, revenue: '0', promotional_credit_used: '0', breakage: '560' },
        ],
        days: [{ day: '2026-12-01', currency: 'EUR', revenue: '3850', promotional_credit_used: '200', breakage: '560', liability: '1204400' }],
      },
    ],
  },
);

export async function revenueRoutes(app: KassaApp) {
  const { kassa } = app;
  app.get(
    '/reports/revenue',
    {
      schema: {
        tags: ['reports'],
        summary: 'Revenue, promotional credit used, breakage and customer money held, per day and service (staff)',
        description:
          "Every figure is a sum of ledger postings (docs/ledger-accounts.md): `revenue` of the `revenue` account, `promotional_credit_used` of promotional grants' draws by charges (less what refunds gave back), " +
          "`breakage` of the `breakage` account, `liability` of the `customer` and `grant` accounts up to the day's end. Days are UTC; at most 366 of them. " +
          '`Accept: text/csv` answers one table: per day and currency, a row per service, then the day\'s total row (service `(total)`) with the liability.',
        querystring: RevenueQuery,
        response: {
          200: {
            description: 'The report; as CSV (a header first, per day a row per service, then its total) with Accept: text/csv',
            content: {
              'application/json': { schema: RevenueReportSchema },
              'text/csv': { schema: Type.String({ title: 'RevenueReportCsv', examples: ['day,currency,service,revenue,promotional_credit_used,breakage,liability\n2026-12-01,EUR,hosting,2900,0,0,\n2026-12-01,EUR,(total),2900,0,0,1204400\n'] }) },
            },
          },
          ...problemResponses(403),
        },
      },
    },
    async (request, reply) => {
      const to = request.query.to ?? kassa.clock.now().toISOString().slice(0, 10);
      const from = request.query.from ?? new Date(Date.parse(`${to}T00:00:00Z`) - 29 * DAY_MS).toISOString().slice(0, 10);
      const refused = periodProblem(from, to, 'a revenue report');
      if (refused) return sendProblem(reply, refused);
      const report = await readRevenueReport(kassa.db, from, to);
      if (/\btext\/csv\b/.test(request.headers.accept ?? '')) return reply.type('text/csv; charset=utf-8').send(revenueCsv(report));
      return {
        from,
        to,
        data: report.rows.map((r) => ({ day: r.day, currency: r.currency, service: r.service, revenue: r.revenue.toString(), promotional_credit_used: r.promotionalCreditUsed.toString(), breakage: r.breakage.toString() })),
        days: report.days.map((d) => ({ day: d.day, currency: d.currency, revenue: d.revenue.toString(), promotional_credit_used: d.promotionalCreditUsed.toString(), breakage: d.breakage.toString(), liability: d.liability.toString() })),
      };
    },
  );
}
