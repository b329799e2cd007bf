// Billing history (SPEC 9, seed 004 "billing history by day and by media channel"): what was
// charged per day or month, per channel (a meter, or a plan's code for its subscriptions' charges) or per
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

// A decimal as the database writes it ("12.500000"), under 1e21: its canonical text is the
// same digits less the trailing fractional zeros, as Exact would print it, without parsing it.
const PLAIN = /^(-?(?:0|[1-9][0-9]{0,20}))(?:\.([0-9]*?)0*)?$/;
const canonical = (quantity: string | Exact): string => {
  const plain = typeof quantity === 'string' ? PLAIN.exec(quantity) : null;
  return plain ? (plain[2] ? `${plain[1]}.${plain[2]}` : plain[1]!) : new Exact(quantity).toString();
};

/** Pure: daily rows summed into periods and groups, in period, currency, channel and kind order. */
export function groupHistory(rows: readonly DailyRow[], granularity: Granularity, groupBy: GroupBy): HistoryRow[] {
  // A year of one account's days is thousands of rows, each mostly its own group: each key is
  // made once, and a group is added up exactly only when a second row joins it.
  const groups = new Map<string, { row: Omit<HistoryRow, 'quantity' | 'amount'>; quantity: string | Exact; amount: bigint }>();
  for (const r of rows) {
    const period = granularity === 'day' ? r.day : r.day.slice(0, 7);
    const channel = groupBy === 'channel' ? r.channel : '';
    const key = `${period}\u0000${r.currency}\u0000${channel}\u0000${r.kind}`;
    const group = groups.get(key);
    if (group) {
      group.quantity = new Exact(group.quantity).plus(r.quantity);
      group.amount += BigInt(r.amount);
    } else {
      const row = groupBy === 'channel' ? { period, currency: r.currency, channel: r.channel, kind: r.kind } : { period, currency: r.currency, kind: r.kind };
      groups.set(key, { row, quantity: r.quantity, amount: BigInt(r.amount) });
    }
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, { row, quantity, amount }]) => ({ ...row, quantity: canonical(quantity), amount: amount.toString() }));
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
