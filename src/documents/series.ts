// Document series (SPEC 9): each numbered kind of document has its own series, a prefix and a
// sequence numbered per calendar year (UTC) or continuously, set by an operator. Pro-forma
// invoices are not tax documents and take no number from any series.
import { readProviderSetting } from '../audit/provider-setting.js';
import type { Db } from '../db/client.js';

export const DOCUMENT_SERIES_SETTING = 'documents.series';

export const NUMBERED_KINDS = ['invoice', 'credit_note', 'receipt'] as const;
export type NumberedKind = (typeof NUMBERED_KINDS)[number];

export interface Series {
  /** Letters, digits and - / _ (up to 16), written before the number: `INV-`. */
  prefix: string;
  /** `yearly`: INV-2026-000001, from 1 each UTC year; `continuous`: INV-000001, never reset. */
  numbering: 'yearly' | 'continuous';
  /** The sequence is zero-padded to this many digits (it grows past them if it must). */
  digits: number;
}

export type DocumentSeries = Record<NumberedKind, Series>;

export const defaultDocumentSeries: DocumentSeries = {
  invoice: { prefix: 'INV-', numbering: 'yearly', digits: 6 },
  credit_note: { prefix: 'CN-', numbering: 'yearly', digits: 6 },
  receipt: { prefix: 'RCT-', numbering: 'yearly', digits: 6 },
};

/** The counter a document issued at `at` draws from: its UTC year, or '' for a continuous series. */
export const numberingPeriod = (series: Series, at: Date): string => (series.numbering === 'yearly' ? String(at.getUTCFullYear()) : '');

/** The document number of the sequence's `n`th document in `period`: `INV-2026-000042`. */
export function formatNumber(series: Series, period: string, n: number): string {
  return `${series.prefix}${period === '' ? '' : `${period}-`}${String(n).padStart(series.digits, '0')}`;
}

/**
 * Two series that would write the same number (the same prefix and numbering), by the field
 * at fault; undefined when every series is its own.
 */
export function sharedSeries(series: DocumentSeries): { field: string; detail: string } | undefined {
  for (const [i, kind] of NUMBERED_KINDS.entries()) {
    const other = NUMBERED_KINDS.slice(0, i).find((k) => series[k].prefix === series[kind].prefix && series[k].numbering === series[kind].numbering);
    if (other) return { field: `/${kind}/prefix`, detail: `${kind} would be numbered like ${other}: give it a prefix of its own` };
  }
  return undefined;
}

/** The series as stored, each kind left out at its default. */
export const documentSeriesOf = (stored: Partial<DocumentSeries> | null | undefined): DocumentSeries => ({ ...defaultDocumentSeries, ...(stored ?? {}) });

export async function readDocumentSeries(db: Db): Promise<DocumentSeries> {
  return documentSeriesOf(await readProviderSetting<Partial<DocumentSeries>>(db, DOCUMENT_SERIES_SETTING));
}
