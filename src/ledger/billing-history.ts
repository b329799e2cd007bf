// Billing history (SPEC 9, seed 004 "billing history by day and by media channel"): what was
// charged per day or month, per channel (a meter, or `plan` for subscription charges) or per
// kind, read from the daily rollup (./daily.ts). Amounts are integer minor units; refunds are
// negative. A day's rows add up exactly to that day's charges in the ledger.
import { sql } from 'drizzle-orm';
import { type Db, query } from '../db/client.js';
import { Exact } from '../money/money.js';

export type Granularity = 'day' | 'month';
export type GroupBy = 'channel' | 'kind';

export interface HistoryQuery {
  /** Inclusive, 'YYYY-MM-DD'. */
  from: string;
  to: string;
  granularity: Granularity;
  groupBy: GroupBy;
}

export interface HistoryRow {
  /** 'YYYY-MM-DD' for days, 'YYYY-MM' for months. */
  period: string;
  currency: string;
  channel?: string;
  kind: string;
  quantity: string;
  amount: string;
}

interface DailyRow {
  day: string;
  currency: string;
  channel: string;
  kind: string;
  quantity: string;
  amount: string | number | bigint;
}

/** Pure: daily rows summed into periods and groups, in period, currency, channel and kind order. */
export function groupHistory(rows: readonly DailyRow[], granularity: Granularity, groupBy: GroupBy): HistoryRow[] {
  const groups = new Map<string, { row: Omit<HistoryRow, 'quantity' | 'amount'>; quantity: Exact; amount: bigint }>();
  for (const r of rows) {
    const period = granularity === 'day' ? r.day : r.day.slice(0, 7);
    const row = groupBy === 'channel' ? { period, currency: r.currency, channel: r.channel, kind: r.kind } : { period, currency: r.currency, kind: r.kind };
    const key = JSON.stringify(row);
    const group = groups.get(key) ?? { row, quantity: new Exact(0), amount: 0n };
    groups.set(key, { row, quantity: group.quantity.plus(r.quantity), amount: group.amount + BigInt(r.amount) });
  }
  const sortKey = (r: Omit<HistoryRow, 'quantity' | 'amount'>) => [r.period, r.currency, r.channel ?? '', r.kind].join('\u0000');
  return [...groups.values()]
    .sort((a, b) => (sortKey(a.row) < sortKey(b.row) ? -1 : 1))
    .map(({ row, quantity, amount }) => ({ ...row, quantity: quantity.toString(), amount: amount.toString() }));
}

/** One account's history, or every account's (`accountId` null) summed per currency. */
export async function readBillingHistory(db: Db, accountId: number | null, q: HistoryQuery): Promise<HistoryRow[]> {
  const rows = await query<DailyRow>(
    db,
    accountId === null
      ? sql`select to_char(d.day, 'YYYY-MM-DD') as day, a.currency, d.channel, d.kind, sum(d.quantity)::text as quantity, sum(d.amount)::text as amount
            from billing_daily d join accounts a on a.id = d.account_id
            where d.day between ${q.from}::date and ${q.to}::date group by 1, 2, 3, 4`
      : sql`select to_char(d.day, 'YYYY-MM-DD') as day, a.currency, d.channel, d.kind, d.quantity::text as quantity, d.amount
            from billing_daily d join accounts a on a.id = d.account_id
            where d.account_id = ${accountId} and d.day between ${q.from}::date and ${q.to}::date`,
  );
  return groupHistory(rows, q.granularity, q.groupBy);
}

const csvField = (value: string) => (/[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

/** The same rows as CSV, a header line first; amounts stay integer minor units. */
export function historyCsv(rows: readonly HistoryRow[], groupBy: GroupBy): string {
  const columns: (keyof HistoryRow)[] = groupBy === 'channel' ? ['period', 'currency', 'channel', 'kind', 'quantity', 'amount'] : ['period', 'currency', 'kind', 'quantity', 'amount'];
  return [columns.join(','), ...rows.map((r) => columns.map((c) => csvField(String(r[c] ?? ''))).join(','))].join('\r\n') + '\r\n';
}
