// Document numbers (SPEC 9, issue 9): each series is gapless and has no duplicate, whatever
// issuers run at once and whichever of them roll back; numbered per UTC year or continuously,
// as the operator sets it over the API; bad series are refused and change nothing.
import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Db, query } from '../src/db/client.js';
import { takeNumbers } from '../src/documents/numbering.js';
import { type DocumentSeries, type NumberedKind, defaultDocumentSeries, readDocumentSeries } from '../src/documents/series.js';
import { type Harness, startHarness } from './support/harness.js';

const seed = (fixed: number) => Number(process.env.KASSA_PROPERTY_SEED ?? fixed);
const AT = new Date('2026-12-02T10:00:00Z');

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ clockStart: AT.toISOString() });
});
afterAll(() => h.close());

/** Takes `count` numbers in a transaction that commits, or rolls back after taking them. */
async function issue(series: DocumentSeries, kind: NumberedKind, count: number, at: Date, commit: boolean): Promise<string[] | undefined> {
  try {
    return await h.kassa.db.transaction(async (txAny) => {
      const numbers = await takeNumbers(txAny as unknown as Db, series, kind, at, count);
      if (!commit) throw new RolledBack();
      return numbers;
    });
  } catch (error) {
    if (error instanceof RolledBack) return undefined;
    throw error;
  }
}
class RolledBack extends Error {}

describe('document numbers', () => {
  it('are gapless and unique per series under concurrent issuers, some of which roll back', async () => {
    // Each property run numbers its own series (a prefix and kind of its own), from 1.
    let round = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ kind: fc.constantFrom<NumberedKind>('invoice', 'credit_note', 'receipt'), count: fc.integer({ min: 1, max: 5 }), commit: fc.boolean() }), { minLength: 1, maxLength: 30 }),
        async (issuers) => {
          round += 1;
          await query(h.kassa.db, sql`delete from document_counters`);
          const series: DocumentSeries = {
            invoice: { prefix: `I${round}-`, numbering: 'yearly', digits: 4 },
            credit_note: { prefix: `C${round}-`, numbering: 'continuous', digits: 4 },
            receipt: { prefix: `R${round}-`, numbering: 'yearly', digits: 4 },
          };
          // All at once: on PostgreSQL each on its own connection, on PGlite one after the other.
          const issued = await Promise.all(issuers.map((i) => issue(series, i.kind, i.count, AT, i.commit)));
          for (const kind of ['invoice', 'credit_note', 'receipt'] as const) {
            const committed = issuers.flatMap((issuer, k) => (issuer.kind === kind && issued[k] ? [issued[k]] : []));
            const expected = committed.reduce((n, numbers) => n + numbers.length, 0);
            const period = series[kind].numbering === 'yearly' ? '2026-' : '';
            // 1..n, each once: the rolled-back issuers' numbers went to others
            expect(committed.flat().sort()).toEqual(Array.from({ length: expected }, (_, i) => `${series[kind].prefix}${period}${String(i + 1).padStart(4, '0')}`));
            // and each issuer's numbers follow each other
            for (const numbers of committed) {
              const seqs = numbers.map((n) => Number(n.slice(-4)));
              expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
            }
          }
        },
      ),
      { numRuns: 20, seed: seed(909), verbose: 1 },
    );
  });

  it('start again at 1 each UTC year in a yearly series, and never in a continuous one', async () => {
    await query(h.kassa.db, sql`delete from document_counters`);
    const series = defaultDocumentSeries;
    const continuous: DocumentSeries = { ...series, receipt: { prefix: 'RCT-', numbering: 'continuous', digits: 6 } };
    const lastOf2026 = new Date('2026-12-31T23:59:59Z');
    const firstOf2027 = new Date('2027-01-01T00:00:00Z');
    expect(await issue(series, 'invoice', 2, lastOf2026, true)).toEqual(['INV-2026-000001', 'INV-2026-000002']);
    expect(await issue(series, 'invoice', 1, firstOf2027, true)).toEqual(['INV-2027-000001']);
    expect(await issue(continuous, 'receipt', 1, lastOf2026, true)).toEqual(['RCT-000001']);
    expect(await issue(continuous, 'receipt', 1, firstOf2027, true)).toEqual(['RCT-000002']);
    expect(await issue(series, 'invoice', 1, lastOf2026, true)).toEqual(['INV-2026-000003']); // a late 2026 document goes on 2026's series
  });
});

describe('document series over the API (operators)', () => {
  const series = {
    invoice: { prefix: 'RE-', numbering: 'yearly', digits: 5 },
    credit_note: { prefix: 'GS-', numbering: 'yearly', digits: 5 },
    receipt: { prefix: 'QU/', numbering: 'continuous', digits: 8 },
  };

  it('are the defaults until set, then what was set', async () => {
    expect((await h.call('GET', '/v1/settings/document-series')).body).toEqual(defaultDocumentSeries);
    const put = await h.call('PUT', '/v1/settings/document-series', series);
    expect(put.status).toBe(200);
    expect(put.body).toEqual(series);
    expect((await h.call('GET', '/v1/settings/document-series')).body).toEqual(series);
    expect(await readDocumentSeries(h.kassa.db)).toEqual(series);
  });

  it.each([
    ['a prefix with a space', { ...series, invoice: { ...series.invoice, prefix: 'RE 2026' } }, '/invoice/prefix'],
    ['a prefix in Cyrillic', { ...series, invoice: { ...series.invoice, prefix: 'РФ-' } }, '/invoice/prefix'],
    ['an empty prefix', { ...series, credit_note: { ...series.credit_note, prefix: '' } }, '/credit_note/prefix'],
    ['a prefix of 17 characters', { ...series, receipt: { ...series.receipt, prefix: 'A'.repeat(17) } }, '/receipt/prefix'],
    ['an unknown numbering', { ...series, invoice: { ...series.invoice, numbering: 'monthly' } }, '/invoice/numbering'],
    ['no digits', { ...series, invoice: { ...series.invoice, digits: 0 } }, '/invoice/digits'],
    ['a kind left out', { invoice: series.invoice, credit_note: series.credit_note }, '/receipt'],
    ['two kinds numbered alike', { ...series, receipt: { ...series.invoice } }, '/receipt/prefix'],
  ])('refuse %s as validation_failed, naming the field, and keep the series set before', async (_name, body, field) => {
    const refused = await h.call('PUT', '/v1/settings/document-series', body);
    expect(refused.status).toBe(400);
    expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(refused.body).toMatchObject({ code: 'validation_failed', field });
    expect((await h.call('GET', '/v1/settings/document-series')).body).toEqual(series);
  });
});
