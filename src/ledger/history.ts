// An account's ledger, page by page: one query for the transactions, one for their postings.
import { and, asc, eq, gt, inArray } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { ledgerPostings, ledgerTransactions } from '../db/schema.js';
import { page } from '../shared/pagination.js';

export async function listLedger(db: Db, accountId: number, window: { limit: number; cursor?: string }) {
  const rows = await db
    .select()
    .from(ledgerTransactions)
    .where(and(eq(ledgerTransactions.accountId, accountId), window.cursor === undefined ? undefined : gt(ledgerTransactions.id, Number(window.cursor))))
    .orderBy(asc(ledgerTransactions.id))
    .limit(window.limit + 1);
  const listed = page(rows, window.limit);
  const ids = listed.data.map((t) => t.id);
  const postings =
    ids.length === 0
      ? []
      : await db
          .select()
          .from(ledgerPostings)
          // account_id first: the postings live with their account when sharded.
          .where(and(eq(ledgerPostings.accountId, accountId), inArray(ledgerPostings.transactionId, ids)))
          .orderBy(asc(ledgerPostings.transactionId), asc(ledgerPostings.line));
  const byTransaction = new Map<number, typeof postings>();
  for (const posting of postings) {
    const group = byTransaction.get(posting.transactionId);
    if (group) group.push(posting);
    else byTransaction.set(posting.transactionId, [posting]);
  }
  return {
    data: listed.data.map((t) => ({
      id: t.id,
      kind: t.kind,
      description: t.description,
      customer_amount: t.customerAmount.toString(),
      reverses_id: t.reversesId,
      created_at: t.createdAt.toISOString(),
      postings: (byTransaction.get(t.id) ?? []).map((p) => ({
        ledger_account: p.ledgerAccount,
        amount: p.amount.toString(),
        subscription_id: p.subscriptionId,
        billed_period_start: p.billedPeriodStart?.toISOString() ?? null,
        grant_id: p.grantId,
        service: p.service,
      })),
    })),
    next_cursor: listed.next_cursor,
  };
}
