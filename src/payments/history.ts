// An account's payment history (SPEC 8): its top-ups, newest last, filtered by time, status and
// method, each with the ledger transactions its money produced; as JSON pages or as CSV.
import { and, asc, eq, gt, gte, inArray, lt } from 'drizzle-orm';
import { stringify } from 'csv-stringify/sync';
import type { Db } from '../db/client.js';
import { type TopUpMethod, type TopUpStatus, topUpReceipts, topUps } from '../db/schema.js';
import { page } from '../shared/pagination.js';
import { readBankAccount, topUpJson } from './top-ups.js';

export interface PaymentFilter {
  /** Absent: every account's (the provider's staff). */
  accountId?: number;
  from?: string;
  to?: string;
  status?: TopUpStatus;
  method?: TopUpMethod;
  limit: number;
  cursor?: string;
}

export type PaymentJson = ReturnType<typeof topUpJson> & { transaction_ids: number[] };

export async function listPayments(db: Db, filter: PaymentFilter): Promise<{ data: PaymentJson[]; next_cursor: string | null }> {
  const rows = await db
    .select()
    .from(topUps)
    .where(
      and(
        filter.accountId === undefined ? undefined : eq(topUps.accountId, filter.accountId),
        filter.cursor ? gt(topUps.id, Number(filter.cursor)) : undefined,
        filter.from ? gte(topUps.createdAt, new Date(filter.from)) : undefined,
        filter.to ? lt(topUps.createdAt, new Date(filter.to)) : undefined,
        filter.status ? eq(topUps.status, filter.status) : undefined,
        filter.method ? eq(topUps.method, filter.method) : undefined,
      ),
    )
    .orderBy(asc(topUps.id))
    .limit(filter.limit + 1);
  const ids = rows.map((r) => r.id);
  const receipts = ids.length === 0
    ? []
    : await db
      .select({ topUpId: topUpReceipts.topUpId, transactionId: topUpReceipts.transactionId })
      .from(topUpReceipts)
      .where(and(filter.accountId === undefined ? undefined : eq(topUpReceipts.accountId, filter.accountId), inArray(topUpReceipts.topUpId, ids)))
      .orderBy(asc(topUpReceipts.id));
  const bank = rows.some((r) => r.method === 'bank_transfer') ? await readBankAccount(db) : null;
  const data = rows.map((row) => ({ ...topUpJson(row, bank), transaction_ids: receipts.filter((r) => r.topUpId === row.id).map((r) => r.transactionId) }));
  return page(data, filter.limit);
}

export const PAYMENT_CSV_COLUMNS = ['id', 'created_at', 'method', 'status', 'currency', 'amount', 'received', 'refunded', 'reference', 'expires_at', 'transaction_ids'] as const;

/** The page as CSV, one payment a line, amounts in minor units as in JSON. */
export function paymentsCsv(payments: PaymentJson[]): string {
  return stringify(
    payments.map((p) => [p.id, p.created_at, p.method, p.status, p.currency, p.amount, p.received, p.refunded, p.bank_transfer?.reference.replace(/ /g, '') ?? '', p.expires_at ?? '', p.transaction_ids.join(' ')]),
    { header: true, columns: [...PAYMENT_CSV_COLUMNS] },
  );
}
