// What the documents issuer is to write (SPEC 9, ADR 0015), asked for in the transaction that
// moves the money, so a document is never forgotten and never asked for twice:
// - a charge outside the billing cycle (creating, enabling, a plan change, seats added) asks
//   for its own invoice, a refund for a credit note, a credited top-up (or an operator's
//   credit) for a receipt, and a bank transfer asked for, for a pro-forma invoice;
// - the billing run's and usage rating's charges add to the month's pending invoice rows
//   (ADD_TO_INVOICE), which the monthly invoice takes after the month ends.
// The issuer (src/documents/issue.ts) reads the amounts from the ledger; a request only says
// what the ledger does not: the service, the period, the discount.
import { sql } from 'drizzle-orm';
import { type Db, query } from '../db/client.js';
import { type DocumentKind, documentRequests } from '../db/schema.js';
import { Exact, type Minor } from '../money/money.js';

export interface RequestDetail {
  /** The plan or meter code of the line; absent for a top-up. */
  service?: string;
  /** The charged period's start, when the movement pays one. */
  period_start?: string;
  /** What the volume discounts took off the line (minor units), when any. */
  discount?: string;
  /** The subscription a refund gives back for: its credit note corrects the invoice of that subscription's last charge. */
  subscription_id?: number;
  /** What moved the money of a charge or refund outside the billing run: the line says it in the document's language. */
  cause?: ChargeCause;
  /** A plan change's difference, charged or given back under the new plan: the code of the plan it leaves. */
  leaving?: string;
}

/** Why a subscription's money moved outside the billing run (MovementOwner's reason). */
export type ChargeCause = 'created' | 'configuration_change' | 'plan_change' | 'disabled' | 'enabled' | 'resumed';

export interface DocumentRequest {
  accountId: number;
  kind: DocumentKind;
  /** The ledger transaction the document is for (all but a pro-forma invoice). */
  transactionId?: number;
  /** The top-up a receipt or a pro-forma invoice is for. */
  topUpId?: number;
  detail?: RequestDetail;
}

/** Asks for a document in the caller's transaction; asking again for the same one changes nothing. */
export async function requestDocument(tx: Db, request: DocumentRequest, at: Date): Promise<void> {
  await tx
    .insert(documentRequests)
    .values({ accountId: request.accountId, kind: request.kind, transactionId: request.transactionId ?? null, topUpId: request.topUpId ?? null, detail: request.detail ?? {}, requestedAt: at })
    .onConflictDoNothing();
}

/** The discount as a request detail: absent when there is none. */
export const discountDetail = (discount: Minor | undefined): Pick<RequestDetail, 'discount'> => (discount ? { discount: discount.toString() } : {});

/** The UTC month a charge made at `at` is invoiced with: '2026-11'. */
export const chargeMonth = (at: Date) => at.toISOString().slice(0, 7);

/** An insert into invoice_pending adds to the month's row, as every writer of it does. */
export const ADD_TO_INVOICE = sql`on conflict (month, account_id, service, kind) do update
  set quantity = invoice_pending.quantity + excluded.quantity,
      price = invoice_pending.price + excluded.price,
      discount = invoice_pending.discount + excluded.discount,
      period_start = least(invoice_pending.period_start, excluded.period_start),
      period_end = greatest(invoice_pending.period_end, excluded.period_end),
      transaction_ids = invoice_pending.transaction_ids || excluded.transaction_ids`;

export interface PendingInvoiceLine {
  accountId: number;
  service: string;
  kind: 'plan' | 'usage';
  /** Exact decimal: periods charged, units used. */
  quantity: string;
  /** Before the volume discount; the discount; price - discount is what the ledger charged. */
  price: Minor;
  discount: Minor;
  /** UTC days 'YYYY-MM-DD': the first and last period started, or usage day. */
  periodStart: string;
  periodEnd: string;
  transactionId: number;
}

/** Adds charges made at `at` to the month's pending invoice rows, in one statement. */
export async function addToPendingInvoice(tx: Db, lines: readonly PendingInvoiceLine[], at: Date): Promise<void> {
  if (lines.length === 0) return;
  // One row per key: an upsert may not touch the same row twice in one statement.
  const rows = new Map<string, { a: number; s: string; k: string; q: Exact; p: bigint; d: bigint; from: string; to: string; t: number[] }>();
  for (const l of lines) {
    const key = `${l.accountId}/${l.service}/${l.kind}`;
    const row = rows.get(key);
    if (!row) rows.set(key, { a: l.accountId, s: l.service, k: l.kind, q: new Exact(l.quantity), p: l.price, d: l.discount, from: l.periodStart, to: l.periodEnd, t: [l.transactionId] });
    else rows.set(key, { ...row, q: row.q.plus(l.quantity), p: row.p + l.price, d: row.d + l.discount, from: l.periodStart < row.from ? l.periodStart : row.from, to: l.periodEnd > row.to ? l.periodEnd : row.to, t: [...new Set([...row.t, l.transactionId])] });
  }
  const input = [...rows.values()].map((r) => ({ ...r, q: r.q.toString(), p: r.p.toString(), d: r.d.toString() }));
  await query(
    tx,
    sql`insert into invoice_pending (account_id, month, service, kind, quantity, price, discount, period_start, period_end, transaction_ids)
        select r.a, ${chargeMonth(at)}, r.s, r.k, r.q, r.p, r.d, r."from", r."to", array(select jsonb_array_elements_text(r.t)::bigint)
        from jsonb_to_recordset(${JSON.stringify(input)}::jsonb) as r(a bigint, s text, k text, q numeric, p bigint, d bigint, "from" date, "to" date, t jsonb)
        ${ADD_TO_INVOICE}`,
  );
}
