// The statement lines no pending top-up claimed (SPEC 8), for an operator: assign one to the
// top-up it pays (credited once, keyed by the bank's reference of the entry, even when the
// top-up expired meanwhile: the money is there) or dismiss it (a transfer that is not a
// top-up, money sent back by the bank) with a reason.
import { and, asc, eq, gt } from 'drizzle-orm';
import type { Kassa } from '../context.js';
import type { Db } from '../db/client.js';
import { type StatementLineStatus, bankStatementLines, topUps } from '../db/schema.js';
import { page } from '../shared/pagination.js';
import { abort } from '../shared/result.js';
import { type Confirmed, receiveTopUp } from './top-ups.js';

export type StatementLine = typeof bankStatementLines.$inferSelect;

export async function listStatementLines(db: Db, filter: { status: StatementLineStatus; limit: number; cursor?: string }) {
  const rows = await db
    .select()
    .from(bankStatementLines)
    .where(and(eq(bankStatementLines.status, filter.status), filter.cursor ? gt(bankStatementLines.id, Number(filter.cursor)) : undefined))
    .orderBy(asc(bankStatementLines.id))
    .limit(filter.limit + 1);
  return page(rows.map(statementLineJson), filter.limit);
}

async function unmatchedLine(tx: Db, lineId: number): Promise<StatementLine> {
  const [line] = await tx.select().from(bankStatementLines).where(eq(bankStatementLines.id, lineId)).for('update');
  if (!line) return abort('not_found', `no statement line ${lineId}`);
  if (line.status !== 'unmatched') return abort('invalid_state', `statement line ${lineId} is ${line.status}`);
  return line;
}

/** Credits an unmatched line to a top-up in its currency, in the caller's transaction. */
export async function assignStatementLine(tx: Db, kassa: Kassa, lineId: number, topUpId: number, at: Date): Promise<{ line: StatementLine; confirmed: Confirmed }> {
  const line = await unmatchedLine(tx, lineId);
  const [topUp] = await tx.select({ currency: topUps.currency, method: topUps.method }).from(topUps).where(eq(topUps.id, topUpId));
  if (!topUp) return abort('not_found', `no top-up ${topUpId}`, { field: '/top_up_id' });
  if (topUp.method !== 'bank_transfer') return abort('invalid_state', `top-up ${topUpId} is paid by ${topUp.method}, not by bank transfer`, { field: '/top_up_id' });
  if (topUp.currency !== line.currency) return abort('currency_mismatch', `top-up ${topUpId} is in ${topUp.currency}, the line in ${line.currency}`, { field: '/top_up_id' });
  const confirmed = await receiveTopUp(tx, kassa, topUpId, { amount: line.amount, externalRef: line.bankRef, whateverStatus: true }, at);
  const [updated] = await tx.update(bankStatementLines).set({ status: 'matched', topUpId, note: `assigned by an operator${confirmed.credited ? '' : ' (this bank entry was credited already)'}` }).where(eq(bankStatementLines.id, lineId)).returning();
  return { line: updated!, confirmed };
}

export async function dismissStatementLine(tx: Db, lineId: number, reason: string): Promise<StatementLine> {
  await unmatchedLine(tx, lineId);
  const [updated] = await tx.update(bankStatementLines).set({ status: 'dismissed', note: reason }).where(eq(bankStatementLines.id, lineId)).returning();
  return updated!;
}

export function statementLineJson(line: StatementLine) {
  return {
    id: line.id,
    statement_id: line.statementId,
    line: line.line,
    booked_on: line.bookedOn,
    amount: line.amount.toString(),
    currency: line.currency,
    reference: line.reference,
    counterparty: line.counterparty,
    bank_reference: line.bankRef,
    status: line.status,
    note: line.note,
    top_up_id: line.topUpId,
  };
}
