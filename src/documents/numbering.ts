// Gapless document numbers (SPEC 9): a series' next numbers are taken by raising its counter
// row in the transaction that issues the documents. No sequence object: a sequence skips the
// numbers of a transaction that rolls back, and a tax document's series may have no gap. The
// raised row stays locked until the issuing transaction ends, so issuers of one series take
// their numbers one after the other, strictly increasing in commit order; a rollback (or a
// crash) gives the numbers back with everything else the transaction did. Take the numbers
// last, just before committing, so the row is held for as short a time as possible.
import { sql } from 'drizzle-orm';
import { type Db, query } from '../db/client.js';
import { type DocumentSeries, type NumberedKind, formatNumber, numberingPeriod } from './series.js';

/** The next `count` numbers of `kind`'s series for documents issued at `at`, in order. */
export async function takeNumbers(tx: Db, series: DocumentSeries, kind: NumberedKind, at: Date, count: number): Promise<string[]> {
  if (!Number.isInteger(count) || count < 1) throw new Error(`takeNumbers: count must be a whole number, 1 or more (got ${count})`);
  const period = numberingPeriod(series[kind], at);
  const [row] = await query<{ last: number | string }>(
    tx,
    sql`insert into document_counters (kind, period, last) values (${kind}, ${period}, ${count})
        on conflict (kind, period) do update set last = document_counters.last + excluded.last
        returning last`,
  );
  const last = Number(row!.last);
  return Array.from({ length: count }, (_, i) => formatNumber(series[kind], period, last - count + 1 + i));
}
