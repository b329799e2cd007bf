// The billing history's daily rollup (SPEC 9): every charge adds its amount (and quantity) to
// its account's row for the UTC day it was charged, its channel and its kind, in the same
// transaction as the ledger transaction itself. So a day's rows add up exactly to that day's
// charges in the ledger, and a year of an account's history is one indexed range read.
import { sql } from 'drizzle-orm';
import { type Db, query } from '../db/client.js';
import type { HistoryKind } from '../db/schema.js';
import { Exact, type Minor } from '../money/money.js';

export interface DailyAmount {
  accountId: number;
  channel: string;
  kind: HistoryKind;
  /** Exact decimal: units used, periods charged. */
  quantity: string;
  amount: Minor;
}

/** An insert into billing_daily adds to the day's row, as every writer of it does (the billing run's own statement too). */
export const ADD_TO_DAY = sql`on conflict (account_id, day, channel, kind) do update
  set quantity = billing_daily.quantity + excluded.quantity, amount = billing_daily.amount + excluded.amount`;

/** The UTC day a charge made at `at` counts on. */
export const chargeDay = (at: Date) => at.toISOString().slice(0, 10);

/** Adds charges made at `at` to their days' rows, in one statement. */
export async function addToDaily(tx: Db, amounts: readonly DailyAmount[], at: Date): Promise<void> {
  if (amounts.length === 0) return;
  // One row per key: an upsert may not touch the same row twice in one statement.
  const rows = new Map<string, { a: number; c: string; k: HistoryKind; q: Exact; m: bigint }>();
  for (const x of amounts) {
    const key = `${x.accountId}/${x.channel}/${x.kind}`;
    const row = rows.get(key) ?? { a: x.accountId, c: x.channel, k: x.kind, q: new Exact(0), m: 0n };
    rows.set(key, { ...row, q: row.q.plus(x.quantity), m: row.m + x.amount });
  }
  const input = [...rows.values()].map((r) => ({ a: r.a, c: r.c, k: r.k, q: r.q.toString(), m: r.m.toString() }));
  await query(
    tx,
    sql`insert into billing_daily (account_id, day, channel, kind, quantity, amount)
        select r.a, ${chargeDay(at)}::date, r.c, r.k, r.q, r.m
        from jsonb_to_recordset(${JSON.stringify(input)}::jsonb) as r(a bigint, c text, k text, q numeric, m bigint)
        ${ADD_TO_DAY}`,
  );
}
