// Importing a bank statement (SPEC 8): each credit line whose creditor reference names a
// pending top-up in the line's currency credits it (receiveTopUp, keyed by the bank's
// reference of the entry, so the same entry never credits twice); every other line is kept
// unmatched, with why, for an operator. The statement is recorded in the same transaction, so
// importing it again changes nothing.
import { eq } from 'drizzle-orm';
import type { Kassa } from '../context.js';
import type { Db } from '../db/client.js';
import { bankStatementLines, bankStatements, topUps } from '../db/schema.js';
import { FailureSignal } from '../shared/result.js';
import type { Statement, StatementLine } from './bank-statement.js';
import { parseCreditorReference } from './creditor-reference.js';
import { receiveTopUp } from './top-ups.js';

export interface ImportSummary {
  statement_id: number;
  /** True when this statement had been imported before: nothing was done again. */
  already_imported: boolean;
  lines: number;
  matched: number;
  unmatched: number;
  credited: { top_up_id: number; account_id: number; amount: string }[];
}

/** The first valid ISO 11649 reference written in a text, spaces or not. Pure. */
export function findCreditorReference(text: string): string | null {
  for (const match of text.toUpperCase().matchAll(/RF\s?\d\s?\d(?:\s?[0-9A-Z]){1,21}/g)) {
    // Greedy: it may run on into the next word; the longest prefix that checks out is it.
    for (let candidate = match[0].trim(); candidate.replace(/\s/g, '').length > 4; candidate = candidate.slice(0, -1).trim()) {
      const reference = parseCreditorReference(candidate);
      if (reference) return reference;
    }
  }
  return null;
}

export async function importStatement(kassa: Kassa, statement: Statement, at: Date): Promise<ImportSummary> {
  const summary = await kassa.db.transaction(async (t): Promise<ImportSummary> => {
    const tx = t as unknown as Db;
    const [created] = await tx.insert(bankStatements).values({ statementRef: statement.id, format: statement.format, importedAt: at }).onConflictDoNothing().returning({ id: bankStatements.id });
    if (!created) {
      const [before] = await tx.select({ id: bankStatements.id }).from(bankStatements).where(eq(bankStatements.statementRef, statement.id));
      const lines = await tx.select({ status: bankStatementLines.status }).from(bankStatementLines).where(eq(bankStatementLines.statementId, before!.id));
      return { statement_id: before!.id, already_imported: true, lines: lines.length, matched: lines.filter((l) => l.status === 'matched').length, unmatched: lines.filter((l) => l.status !== 'matched').length, credited: [] };
    }
    const credited: ImportSummary['credited'] = [];
    for (const line of statement.lines) {
      const outcome = await settleLine(tx, kassa, line, at);
      if (outcome.topUpId !== null) {
        credited.push({ top_up_id: outcome.topUpId, account_id: outcome.accountId!, amount: line.amount.toString() });
      }
      await tx.insert(bankStatementLines).values({
        statementId: created.id, line: line.line, bookedOn: line.bookedOn, amount: line.amount, currency: line.currency, reference: line.reference.slice(0, 500),
        counterparty: line.counterparty.slice(0, 200), bankRef: line.bankRef.slice(0, 200), status: outcome.topUpId === null ? 'unmatched' : 'matched', note: outcome.note, topUpId: outcome.topUpId,
      });
    }
    return { statement_id: created.id, already_imported: false, lines: statement.lines.length, matched: credited.length, unmatched: statement.lines.length - credited.length, credited };
  });
  for (const { account_id } of summary.credited) kassa.entitlements.invalidate(account_id);
  return summary;
}

interface LineOutcome {
  topUpId: number | null;
  accountId: number | null;
  note: string | null;
}

async function settleLine(tx: Db, kassa: Kassa, line: StatementLine, at: Date): Promise<LineOutcome> {
  const unmatched = (note: string): LineOutcome => ({ topUpId: null, accountId: null, note });
  const reference = findCreditorReference(line.reference);
  if (!reference) return unmatched('no creditor reference in the remittance text');
  const [topUp] = await tx.select().from(topUps).where(eq(topUps.reference, reference));
  if (!topUp) return unmatched(`no top-up has the reference ${reference}`);
  if (topUp.currency !== line.currency) return unmatched(`top-up ${topUp.id} is in ${topUp.currency}, the payment in ${line.currency}`);
  if (topUp.status !== 'pending') return unmatched(`top-up ${topUp.id} is ${topUp.status}`);
  try {
    // A savepoint: a line the account cannot take (a closed account) stays unmatched alone.
    const received = await tx.transaction((savepoint) => receiveTopUp(savepoint as unknown as Db, kassa, topUp.id, { amount: line.amount, externalRef: line.bankRef }, at));
    if (!received.credited) return unmatched(`top-up ${topUp.id} was credited for this bank entry already`);
    return { topUpId: topUp.id, accountId: topUp.accountId, note: null };
  } catch (error) {
    if (error instanceof FailureSignal) return unmatched(error.failure.detail);
    throw error;
  }
}
