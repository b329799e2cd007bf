// Revenue the accountant can read (SPEC 4, docs/ledger-accounts.md): per UTC day, currency and
// service (a plan or meter code), what was recognised as revenue and how much of it promotional
// credit paid; per day, the breakage of expired paid credit and the liability held for the
// customers at the day's end. Every figure is a sum of ledger postings, so the report adds up
// to the ledger to the cent:
// - revenue: postings to `revenue`. A posting names its service; the billing run's one revenue
//   posting per account does not, and is split by its customer and grant postings, one per
//   subscription, which do (what none of them names is reported without a service);
// - promotional credit used: draws of promotional grants by charges, less what refunds gave back;
// - breakage: postings to `breakage`;
// - liability: the customers' paid balances and grants (postings to `customer` and `grant`) at
//   the day's end: today's cached totals less every posting since.
import { stringify } from 'csv-stringify/sync';
import { sql } from 'drizzle-orm';
import { type Db, query } from '../db/client.js';
import type { Minor } from '../money/money.js';

/** The charges and refunds whose grant draws are promotional credit used. */
const CHARGE_KINDS = ['subscription_charge', 'subscription_refund', 'billing_run', 'usage_charge'];

export interface RevenueRow {
  day: string;
  currency: string;
  /** A plan or meter code; null: breakage, or revenue no posting names a service for. */
  service: string | null;
  revenue: Minor;
  promotionalCreditUsed: Minor;
  breakage: Minor;
}

export interface RevenueDay {
  day: string;
  currency: string;
  revenue: Minor;
  promotionalCreditUsed: Minor;
  breakage: Minor;
  /** Paid balances and grants held for the customers at the day's end. */
  liability: Minor;
}

export interface RevenueReport {
  rows: RevenueRow[];
  days: RevenueDay[];
}

const nextDay = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000);

/** The report for the UTC days `from` to `to`, inclusive. */
export async function readRevenueReport(db: Db, from: string, to: string): Promise<RevenueReport> {
  const start = new Date(`${from}T00:00:00Z`);
  const end = nextDay(to);
  const figures = await query<{ figure: 'revenue' | 'promotional' | 'breakage' | 'held'; day: string; currency: string; service: string | null; amount: string }>(
    db,
    sql`with p as (
          select p.transaction_id, p.ledger_account, p.amount, p.grant_id, p.service, t.kind,
                 to_char(t.created_at at time zone 'UTC', 'YYYY-MM-DD') as day, a.currency
          from ledger_transactions t
          join ledger_postings p on p.transaction_id = t.id
          join accounts a on a.id = t.account_id
          where t.created_at >= ${start} and t.created_at < ${end}
        ),
        unnamed as (
          select transaction_id, day, currency, sum(amount) as amount from p
          where ledger_account = 'revenue' and service is null group by 1, 2, 3
        ),
        split as (
          select p.transaction_id, p.day, p.currency, p.service, -sum(p.amount) as amount
          from p join unnamed u on u.transaction_id = p.transaction_id
          where p.ledger_account in ('customer', 'grant') and p.service is not null
          group by 1, 2, 3, 4
        ),
        revenue as (
          select day, currency, service, amount from p where ledger_account = 'revenue' and service is not null
          union all
          select day, currency, service, amount from split
          union all
          select u.day, u.currency, null, u.amount - coalesce((select sum(s.amount) from split s where s.transaction_id = u.transaction_id), 0) from unnamed u
        )
        select 'revenue' as figure, day, currency, service, sum(amount)::text as amount from revenue group by 2, 3, 4
        union all
        select 'promotional', p.day, p.currency, p.service, (-sum(p.amount))::text
        from p join credit_grants g on g.id = p.grant_id
        where p.ledger_account = 'grant' and g.kind = 'promotional' and p.kind = any(${`{${CHARGE_KINDS.join(',')}}`}::text[])
        group by 2, 3, 4
        union all
        select 'breakage', day, currency, null, sum(amount)::text from p where ledger_account = 'breakage' group by 2, 3
        union all
        select 'held', day, currency, null, sum(amount)::text from p where ledger_account in ('customer', 'grant') group by 2, 3`,
  );
  // What the customers held at the end of `to`: what they hold now, less every posting since.
  const now = await query<{ currency: string; held: string }>(db, sql`select currency, sum(balance + granted)::text as held from accounts group by currency`);
  const since = await query<{ currency: string; amount: string }>(
    db,
    sql`select a.currency, sum(p.amount)::text as amount
        from ledger_transactions t join ledger_postings p on p.transaction_id = t.id join accounts a on a.id = t.account_id
        where t.created_at >= ${end} and p.ledger_account in ('customer', 'grant')
        group by a.currency`,
  );
  const later = new Map(since.map((r) => [r.currency, BigInt(r.amount)]));
  const closing = new Map(now.map((r) => [r.currency, BigInt(r.held) - (later.get(r.currency) ?? 0n)]));
  return assemble(figures, closing, from, to);
}

function assemble(figures: readonly { figure: string; day: string; currency: string; service: string | null; amount: string }[], closing: ReadonlyMap<string, Minor>, from: string, to: string): RevenueReport {
  const rows = new Map<string, RevenueRow>();
  const held = new Map<string, Minor>();
  for (const f of figures) {
    const amount = BigInt(f.amount);
    if (f.figure === 'held') {
      held.set(`${f.currency}/${f.day}`, amount);
      continue;
    }
    if (amount === 0n) continue;
    const key = `${f.day}/${f.currency}/${f.service ?? ''}`;
    const row = rows.get(key) ?? { day: f.day, currency: f.currency, service: f.service, revenue: 0n, promotionalCreditUsed: 0n, breakage: 0n };
    if (f.figure === 'revenue') row.revenue += amount;
    else if (f.figure === 'promotional') row.promotionalCreditUsed += amount;
    else row.breakage += amount;
    rows.set(key, row);
  }
  const sorted = [...rows.values()].sort((a, b) => a.day.localeCompare(b.day) || a.currency.localeCompare(b.currency) || (a.service ?? '\uffff').localeCompare(b.service ?? '\uffff'));

  // Every day of the window, per currency, its liability walked back from the closing one.
  const byDay = new Map<string, RevenueRow[]>();
  for (const row of sorted) byDay.set(`${row.currency}/${row.day}`, [...(byDay.get(`${row.currency}/${row.day}`) ?? []), row]);
  const total = (of: readonly RevenueRow[], figure: 'revenue' | 'promotionalCreditUsed' | 'breakage') => of.reduce((sum, r) => sum + r[figure], 0n);
  const days: RevenueDay[] = [];
  for (const [currency, atEnd] of closing) {
    let liability = atEnd;
    for (let day = to; day >= from; day = new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10)) {
      const of = byDay.get(`${currency}/${day}`) ?? [];
      days.push({ day, currency, revenue: total(of, 'revenue'), promotionalCreditUsed: total(of, 'promotionalCreditUsed'), breakage: total(of, 'breakage'), liability });
      liability -= held.get(`${currency}/${day}`) ?? 0n;
    }
  }
  days.sort((a, b) => a.day.localeCompare(b.day) || a.currency.localeCompare(b.currency));
  return { rows: sorted, days };
}

/** The column a day's total row carries as its service: no plan or meter code can be it. */
export const DAY_TOTAL = '(total)';

/**
 * The report as one CSV table for a spreadsheet: per day and currency, a row per service (the
 * breakage row's service empty), then the day's total row (service `(total)`) with the
 * customer money held at its end. Amounts stay integer minor units, as in the JSON.
 */
export function revenueCsv(report: RevenueReport): string {
  const rows: (string | bigint)[][] = [];
  const byDay = new Map<string, RevenueRow[]>();
  for (const r of report.rows) byDay.set(`${r.day} ${r.currency}`, [...(byDay.get(`${r.day} ${r.currency}`) ?? []), r]);
  for (const d of report.days) {
    for (const r of byDay.get(`${d.day} ${d.currency}`) ?? []) rows.push([r.day, r.currency, r.service ?? '', r.revenue, r.promotionalCreditUsed, r.breakage, '']);
    rows.push([d.day, d.currency, DAY_TOTAL, d.revenue, d.promotionalCreditUsed, d.breakage, d.liability]);
  }
  return stringify(rows.map((r) => r.map(String)), { header: true, columns: ['day', 'currency', 'service', 'revenue', 'promotional_credit_used', 'breakage', 'liability'] });
}
