// The accountant's journal (SPEC 9): every numbered document issued in a period, one CSV row
// each, in the order issued. A credit note's amounts are negative, so a column's sum is the
// period's net sales (receipts are payments: they are listed with their kind, and an
// accountant filters them out or in). Read page by page from documents_issued_idx and
// streamed, so a year of a large provider's documents never sits in memory at once.
import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import { and, asc, eq, gt, gte, inArray, isNotNull, lt, or } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { documents } from '../db/schema.js';
import { formatMinor, isCurrency } from '../money/money.js';

export const JOURNAL_COLUMNS = ['number', 'kind', 'issued_on', 'account_id', 'customer', 'customer_vat_id', 'customer_country', 'tax_category', 'tax_rate', 'net', 'tax', 'gross', 'currency', 'corrects'] as const;
const PAGE = 2_000;

type JournalDocument = Pick<typeof documents.$inferSelect, 'id' | 'kind' | 'number' | 'issuedAt' | 'accountId' | 'buyer' | 'taxCategory' | 'taxRate' | 'net' | 'tax' | 'gross' | 'currency' | 'correctsDocumentId'>;

/** A document as its journal row; `corrects` is the corrected invoice's number. Pure. */
export function journalRow(d: JournalDocument, corrects: string | null): string[] {
  const sign = d.kind === 'credit_note' ? -1n : 1n;
  const amount = (minor: bigint) => (isCurrency(d.currency) ? formatMinor(sign * minor, d.currency) : String(sign * minor));
  const buyer = d.buyer as { legal_name: string; vat_id?: string | null; country?: string | null };
  return [d.number ?? '', d.kind, d.issuedAt.toISOString().slice(0, 10), String(d.accountId), buyer.legal_name, buyer.vat_id ?? '', buyer.country ?? '', d.taxCategory, d.taxRate, amount(d.net), amount(d.tax), amount(d.gross), d.currency, corrects ?? ''];
}

/** The journal of the UTC days from..to (both included) as a CSV stream, a header first. */
export function journalCsv(db: Db, from: string, to: string): Readable {
  const start = new Date(`${from}T00:00:00Z`);
  const end = new Date(Date.parse(`${to}T00:00:00Z`) + 86_400_000);
  async function* rows() {
    let after: { issuedAt: Date; id: number } | undefined;
    for (;;) {
      const keyset = after ? or(gt(documents.issuedAt, after.issuedAt), and(eq(documents.issuedAt, after.issuedAt), gt(documents.id, after.id))) : undefined;
      const page = await db
        .select()
        .from(documents)
        .where(and(gte(documents.issuedAt, start), lt(documents.issuedAt, end), isNotNull(documents.number), keyset))
        .orderBy(asc(documents.issuedAt), asc(documents.id))
        .limit(PAGE);
      // The numbers of the invoices this page's credit notes correct, in one read.
      const corrected = [...new Set(page.flatMap((d) => (d.correctsDocumentId === null ? [] : [d.correctsDocumentId])))];
      const numbers = new Map(corrected.length === 0 ? [] : (await db.select({ id: documents.id, number: documents.number }).from(documents).where(inArray(documents.id, corrected))).map((r) => [r.id, r.number]));
      for (const d of page) yield journalRow(d, d.correctsDocumentId === null ? null : (numbers.get(d.correctsDocumentId) ?? null));
      if (page.length < PAGE) return;
      after = page.at(-1)!;
    }
  }
  const source = Readable.from(rows());
  const csv = stringify({ header: true, columns: [...JOURNAL_COLUMNS] });
  source.on('error', (error) => csv.destroy(error)); // a failed read ends the download broken, not silently short
  return source.pipe(csv);
}
