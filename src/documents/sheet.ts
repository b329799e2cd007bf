// What every printed page of Kassa shares (the documents' PDFs, the statement): A4 with
// pdfkit, DejaVu Sans embedded (assets/fonts, with Cyrillic), the seller's logo or name and
// the title with its facts at the top, the parties, the seller's footer with "Page n of m",
// and numbers, dates and periods formatted by Intl in the language's locale. The PDF's dates
// are the given day, so the same content always gives the same bytes.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import isoCountries from 'i18n-iso-countries/index.js';
import type PDFDocument from 'pdfkit';
import { formatMinor } from '../money/money.js';
import type { Logo } from './logo.js';
import type { DocumentLanguage } from './parties.js';
import { type DocumentString, documentText } from './strings.js';

const require = createRequire(import.meta.url);
isoCountries.registerLocale(require('i18n-iso-countries/langs/en.json'));
isoCountries.registerLocale(require('i18n-iso-countries/langs/uk.json'));

const FONT = { regular: new URL('../../assets/fonts/DejaVuSans.ttf', import.meta.url), bold: new URL('../../assets/fonts/DejaVuSans-Bold.ttf', import.meta.url) };
let fonts: { regular: Buffer; bold: Buffer } | undefined;
const loadFonts = () => (fonts ??= { regular: readFileSync(FONT.regular), bold: readFileSync(FONT.bold) });

const LOCALE: Record<DocumentLanguage, string> = { en: 'en-GB', uk: 'uk-UA' };

export const PAGE = { width: 595.28, height: 841.89, margin: 48 };
export const CONTENT_WIDTH = PAGE.width - 2 * PAGE.margin;
/** Where the content of a page ends: the footer is below. */
export const CONTENT_BOTTOM = PAGE.height - PAGE.margin - 36;
export const INK = '#1d2433';
export const MUTED = '#5b6475';
const RULE = '#c9ced8';
export const SHADE = '#f1f3f7';
const FACTS_WIDTH = 250;

export type Pdf = InstanceType<typeof PDFDocument>;

/** A party as printed: a document's seller or buyer, or an account's billing details. */
export interface PrintedParty {
  legal_name: string;
  address_line1: string | null;
  address_line2: string | null;
  postal_code: string | null;
  city: string | null;
  region: string | null;
  country: string | null;
  vat_id: string | null;
  registration?: string | null;
  email?: string | null;
  website?: string | null;
}

export interface TableColumn {
  key: DocumentString;
  width: number;
  align: 'left' | 'right';
}

export interface SheetInfo {
  title: string;
  author: string;
  subject: string;
  /** The PDF's creation and modification date. */
  date: Date;
  language: DocumentLanguage;
}

/** pdfkit, loaded on first use, so a command or a start that draws no PDF does not wait for it. */
export async function pdfkit(): Promise<typeof PDFDocument> {
  return (await import('pdfkit')).default;
}

/** Draws a sheet and answers its bytes. */
export async function renderSheet(info: SheetInfo, draw: (pdf: Pdf) => void): Promise<Buffer> {
  const font = loadFonts();
  const PDFDocument = await pdfkit();
  const pdf = new PDFDocument({
    size: 'A4',
    margin: PAGE.margin,
    bufferPages: true,
    lang: info.language,
    displayTitle: true,
    info: { Title: info.title, Author: info.author, Subject: info.subject, Creator: 'Kassa', Producer: 'Kassa', CreationDate: info.date, ModDate: info.date },
  });
  const chunks: Buffer[] = [];
  pdf.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    pdf.on('end', () => resolve(Buffer.concat(chunks)));
    pdf.on('error', reject);
  });
  pdf.registerFont('regular', font.regular);
  pdf.registerFont('bold', font.bold);
  draw(pdf);
  pdf.end();
  return done;
}

/** The pieces a sheet is drawn from, in one language and currency. */
export class Sheet {
  protected readonly locale: string;
  protected readonly t: (key: DocumentString, values?: Record<string, string | number>) => string;

  constructor(
    protected readonly pdf: Pdf,
    protected readonly language: DocumentLanguage,
    protected readonly currency: string,
    /** None: a statement before the provider set its legal details. */
    protected readonly seller: PrintedParty | undefined,
    protected readonly logo?: Logo,
  ) {
    this.locale = LOCALE[language];
    this.t = (key, values) => documentText(language, key, values);
  }

  /** The seller's logo (or name) on the left; the title and its facts on the right. */
  protected header(title: string, facts: [string, string][]): void {
    const { pdf } = this;
    const top = PAGE.margin;
    if (this.logo) pdf.image(this.logo.bytes, PAGE.margin, top, { fit: [160, 48] });
    else if (this.seller) pdf.font('bold').fontSize(15).fillColor(INK).text(this.seller.legal_name, PAGE.margin, top + 4, { width: 250 });
    const x = PAGE.margin + CONTENT_WIDTH - FACTS_WIDTH;
    pdf.font('bold').fontSize(20).fillColor(INK).text(title, x, top, { width: FACTS_WIDTH, align: 'right' });
    let y = pdf.y + 6;
    for (const [label, value] of facts) {
      pdf.font('regular').fontSize(8.5).fillColor(MUTED).text(label, x, y, { width: 90 });
      pdf.font('bold').fontSize(8.5).fillColor(INK).text(value, x + 90, y, { width: FACTS_WIDTH - 90, align: 'right' });
      y = pdf.y + 2;
    }
    pdf.y = Math.max(y, top + 56) + 12;
    this.rule(pdf.y);
    pdf.y += 14;
  }

  /** The seller on the left, the buyer on the right (on the left when there is no seller). */
  protected parties(buyer: PrintedParty): void {
    const { pdf, seller } = this;
    const top = pdf.y;
    const width = CONTENT_WIDTH / 2 - 12;
    const bottoms = [
      seller ? this.party(this.t('seller'), seller, [seller.registration ? `${this.t('registration')}: ${seller.registration}` : null, seller.email ?? null], PAGE.margin, top, width) : top,
      this.party(this.t('buyer'), buyer, [], seller ? PAGE.margin + CONTENT_WIDTH / 2 + 12 : PAGE.margin, top, width),
    ];
    pdf.y = Math.max(...bottoms) + 16;
  }

  /** A party's block at (x, y); answers where it ends. */
  private party(label: string, party: PrintedParty, extra: (string | null)[], x: number, y: number, width: number): number {
    const { pdf } = this;
    pdf.font('regular').fontSize(8).fillColor(MUTED).text(label.toUpperCase(), x, y, { width, characterSpacing: 0.6 });
    pdf.font('bold').fontSize(10.5).fillColor(INK).text(party.legal_name, x, pdf.y + 3, { width });
    const country = party.country ? (isoCountries.getName(party.country, this.language) ?? party.country) : null;
    const place = [party.postal_code, party.city].filter(Boolean).join(' ');
    const lines = [party.address_line1, party.address_line2, place || null, party.region, country, party.vat_id ? `${this.t('vat_id')}: ${party.vat_id}` : null, ...extra];
    pdf.font('regular').fontSize(9).fillColor(INK);
    for (const line of lines) if (line) pdf.text(line, x, pdf.y + 1, { width });
    return pdf.y;
  }

  /** A table's header row: white on ink, a label per column. */
  protected tableHeader(columns: readonly TableColumn[]): void {
    const { pdf } = this;
    const top = pdf.y;
    pdf.rect(PAGE.margin, top, CONTENT_WIDTH, 20).fill(INK);
    let x = PAGE.margin;
    for (const column of columns) {
      pdf.font('bold').fontSize(8).fillColor('#ffffff').text(this.t(column.key), x + 4, top + 6, { width: column.width - 8, align: column.align, lineBreak: false });
      x += column.width;
    }
    pdf.y = top + 20;
  }

  /** The seller's details and, on a sheet of several pages, "Page n of m", on every page. */
  protected footers(): void {
    const { pdf, seller } = this;
    const lines = (seller ? [[seller.legal_name, seller.vat_id ? `${this.t('vat_id')} ${seller.vat_id}` : null], [seller.registration ?? null, seller.website ?? null]] : []).map((parts) => parts.filter(Boolean).join(' · '));
    const range = pdf.bufferedPageRange();
    for (let i = range.start; i < range.start + range.count; i++) {
      pdf.switchToPage(i);
      // Writing below the bottom margin would start a new page: the footer sits in the margin.
      pdf.page.margins.bottom = 0;
      const y = PAGE.height - PAGE.margin - 18;
      pdf.moveTo(PAGE.margin, y - 6).lineTo(PAGE.margin + CONTENT_WIDTH, y - 6).lineWidth(0.5).strokeColor(RULE).stroke();
      pdf.font('regular').fontSize(7.5).fillColor(MUTED);
      lines.forEach((line, n) => line && pdf.text(line, PAGE.margin, y + n * 10, { width: CONTENT_WIDTH - 100, lineBreak: false }));
      if (range.count > 1) pdf.text(this.t('page', { page: i + 1, pages: range.count }), PAGE.margin + CONTENT_WIDTH - 100, y, { width: 100, align: 'right', lineBreak: false });
    }
  }

  // ---------- formatting ----------

  protected rule(y: number, from = PAGE.margin): void {
    this.pdf.moveTo(from, y).lineTo(PAGE.margin + CONTENT_WIDTH, y).lineWidth(0.75).strokeColor(RULE).stroke();
  }

  /** Minor units as a number in the locale: 1234567 EUR → 12,345.67 (en), 12 345,67 (uk). */
  protected amount(minor: bigint): string {
    return this.numberFormat().format(formatMinor(minor, this.currency) as unknown as number);
  }

  /** The same with the currency: €12,345.67, 12 345,67 EUR. */
  protected money(minor: bigint): string {
    return this.numberFormat('currency').format(formatMinor(minor, this.currency) as unknown as number);
  }

  private numberFormat(style: 'decimal' | 'currency' = 'decimal'): Intl.NumberFormat {
    const digits = formatMinor(0n, this.currency).split('.')[1]?.length ?? 0;
    return new Intl.NumberFormat(this.locale, { style, currency: this.currency, minimumFractionDigits: digits, maximumFractionDigits: digits });
  }

  protected date(day: string, style: 'long' | 'medium' = 'long'): string {
    return new Intl.DateTimeFormat(this.locale, { dateStyle: style, timeZone: 'UTC' }).format(new Date(`${day}T00:00:00Z`));
  }

  /** `1–30 Nov 2026`, `1 лист. – 3 груд. 2026 р.`: Intl's own range, which says a shared month or year once. */
  protected period(start: string, end: string, style: 'long' | 'medium' = 'long'): string {
    const format = new Intl.DateTimeFormat(this.locale, { dateStyle: style, timeZone: 'UTC' });
    return format.formatRange(new Date(`${start}T00:00:00Z`), new Date(`${end}T00:00:00Z`));
  }
}
