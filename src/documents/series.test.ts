import { describe, expect, it } from 'vitest';
import { type DocumentSeries, defaultDocumentSeries, formatNumber, numberingPeriod, sharedSeries } from './series.js';

describe('document numbers', () => {
  it.each([
    [{ prefix: 'INV-', numbering: 'yearly', digits: 6 }, '2026', 1, 'INV-2026-000001'],
    [{ prefix: 'INV-', numbering: 'yearly', digits: 6 }, '2027', 42, 'INV-2027-000042'],
    [{ prefix: 'RE/', numbering: 'continuous', digits: 4 }, '', 7, 'RE/0007'],
    [{ prefix: 'A', numbering: 'continuous', digits: 2 }, '', 1234, 'A1234'], // grows past its digits
  ] as const)('%o, %s, n = %i: %s', (series, period, n, expected) => {
    expect(formatNumber(series, period, n)).toBe(expected);
  });

  it.each([
    ['yearly', '2026-12-31T23:59:59.999Z', '2026'],
    ['yearly', '2027-01-01T00:00:00Z', '2027'], // the UTC year, whatever the customer's zone
    ['continuous', '2027-01-01T00:00:00Z', ''],
  ] as const)('a %s series issuing at %s counts in period "%s"', (numbering, at, period) => {
    expect(numberingPeriod({ prefix: 'X-', numbering, digits: 6 }, new Date(at))).toBe(period);
  });

  it('refuses two kinds numbered alike, naming the later one', () => {
    expect(sharedSeries(defaultDocumentSeries)).toBeUndefined();
    const clash: DocumentSeries = { ...defaultDocumentSeries, receipt: { ...defaultDocumentSeries.invoice } };
    expect(sharedSeries(clash)).toEqual({ field: '/receipt/prefix', detail: 'receipt would be numbered like invoice: give it a prefix of its own' });
    // the same prefix numbered otherwise writes other numbers (INV-000001 and INV-2026-000001)
    expect(sharedSeries({ ...clash, receipt: { ...clash.receipt, numbering: 'continuous' } })).toBeUndefined();
  });
});
