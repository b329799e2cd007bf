// A document as a PDF (SPEC 9): an A4 page a person is glad to receive, drawn with pdfkit from
// the issued document alone (its parties, lines and totals as they were written), so the PDF
// says exactly what the JSON and the ledger say. DejaVu Sans is embedded (assets/fonts, with
// Cyrillic), every word comes from strings.ts in the document's language, and the PDF's dates
// are the issue date, so the same document always renders to the same bytes.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import isoCountries from 'i18n-iso-countries';
import PDFDocument from 'pdfkit';
import { formatMinor } from '../money/money.js';
import { printedIban } from '../payments/bank-account.js';
import type { DocumentJson } from './document-routes.js';
import type { Logo } from './logo.js';
import type { DocumentLanguage } from './parties.js';
import { type DocumentString, documentText, documentTitle, quantityText } from './strings.js';
import { NOT_SUBJECT_NOTE, REVERSE_CHARGE_NOTE } from './tax.js';

const require = createRequire(import.meta.url);
isoCountries.registerLocale(require('i18n-iso-countries/langs/en.json'));
isoCountries.registerLocale(require('i18n-iso-countries/langs/uk.json'));

const FONT = { regular: new URL('../../assets/fonts/DejaVuSans.ttf', import.meta.url), bold: new URL('../../assets/fonts/DejaVuSans-Bold.ttf', import.meta.url) };
let fonts: { regular: Buffer; bold: Buffer } | undefined;
const loadFonts = () => (fonts ??= { regular: readFileSync(FONT.regular), bold: readFileSync(FONT.bold) });

const LOCALE: Record<DocumentLanguage, string> = { en: 'en-GB', uk: 'uk-UA' };
const PREPAYMENT_NOTE_START = 'Prepayment onto the account balance';

const PAGE = { width: 595.28, height: 841.89, margin: 48 };
const CONTENT_WIDTH = PAGE.width - 2 * PAGE.margin;
/** Where the content of a page ends: the footer is below. */
const CONTENT_BOTTOM = PAGE.height - PAGE.margin - 36;
const INK = '#1d2433';
const MUTED = '#5b6475';
const RULE = '#c9ced8';
const SHADE = '#f1f3f7';
const FACTS_WIDTH = 250;

// The lines table: the description takes what the figures leave.
const COLUMNS = [
  { key: 'col_description', width: 163, align: 'left' },
  { key: 'col_quantity', width: 60, align: 'right' },
  { key: 'col_unit_price', width: 56, align: 'right' },
  { key: 'col_discount', width: 50, align: 'right' },
  { key: 'col_net', width: 57, align: 'right' },
  { key: 'col_vat', width: 52, align: 'right' },
  { key: 'col_amount', width: 61, align: 'right' },
] as const satisfies readonly { key: DocumentString; width: number; align: 'left' | 'right' }[];

export interface PrintedDocument extends DocumentJson {
  /** A credit note: the number of the invoice it corrects. */
  corrects_number: string | null;
}

type Pdf = InstanceType<typeof PDFDocument>;

/** The document as PDF bytes; the same document and logo give the same bytes. */
export function renderDocumentPdf(document: PrintedDocument, logo?: Logo): Promise<Buffer> {
  const font = loadFonts();
  const language = document.language;
  const issuedAt = new Date(document.issued_at);
  const title = documentTitle(language, document.kind);
  const pdf = new PDFDocument({
    size: 'A4',
    margin: PAGE.margin,
    bufferPages: true,
    lang: language,
    displayTitle: true,
    info: {
      Title: document.number ? `${title} ${document.number}` : title,
      Author: document.seller.legal_name,
      Subject: `${title}: ${document.buyer.legal_name}`,
      Creator: 'Kassa',
      Producer: 'Kassa',
      CreationDate: issuedAt,
      ModDate: issuedAt,
    },
  });
  const chunks: Buffer[] = [];
  pdf.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    pdf.on('end', () => resolve(Buffer.concat(chunks)));
    pdf.on('error', reject);
  });
  pdf.registerFont('regular', font.regular);
  pdf.registerFont('bold', font.bold);
  new Layout(pdf, document, logo).draw();
  pdf.end();
  return done;
}

class Layout {
  private readonly language: DocumentLanguage;
  private readonly locale: string;
  private readonly t: (key: DocumentString, values?: Record<string, string | number>) => string;

  constructor(
    private readonly pdf: Pdf,
    private readonly document: PrintedDocument,
    private readonly logo?: Logo,
  ) {
    this.language = document.language;
    this.locale = LOCALE[document.language];
    this.t = (key, values) => documentText(this.language, key, values);
  }

  draw(): void {
    this.header();
    this.parties();
    this.lines();
    this.totals();
    this.payment();
    this.notes();
    this.footers();
  }

  // ---------- pieces ----------

  /** The seller's logo (or name) on the left; the title, number and dates on the right. */
  private header(): void {
    const { pdf, document } = this;
    const top = PAGE.margin;
    if (this.logo) pdf.image(this.logo.bytes, PAGE.margin, top, { fit: [160, 48] });
    else pdf.font('bold').fontSize(15).fillColor(INK).text(document.seller.legal_name, PAGE.margin, top + 4, { width: 250 });
    const x = PAGE.margin + CONTENT_WIDTH - FACTS_WIDTH;
    pdf.font('bold').fontSize(20).fillColor(INK).text(documentTitle(this.language, document.kind), x, top, { width: FACTS_WIDTH, align: 'right' });
    let y = pdf.y + 6;
    for (const [label, value] of this.facts()) {
      pdf.font('regular').fontSize(8.5).fillColor(MUTED).text(label, x, y, { width: 90 });
      pdf.font('bold').fontSize(8.5).fillColor(INK).text(value, x + 90, y, { width: FACTS_WIDTH - 90, align: 'right' });
      y = pdf.y + 2;
    }
    pdf.y = Math.max(y, top + 56) + 12;
    this.rule(pdf.y);
    pdf.y += 14;
  }

  private facts(): [string, string][] {
    const { document } = this;
    const facts: [string, string][] = [];
    if (document.number) facts.push([this.t('number'), document.number]);
    facts.push([this.t('issue_date'), this.date(document.issued_at.slice(0, 10))]);
    if (document.kind === 'invoice' || document.kind === 'credit_note') facts.push([this.t('period'), this.period(document.period_start, document.period_end, 'medium')]);
    if (document.corrects_number) facts.push([this.t('corrects'), document.corrects_number]);
    facts.push([this.t('account'), String(document.account_id)]);
    facts.push([this.t('currency'), document.currency]);
    return facts;
  }

  private parties(): void {
    const { pdf, document } = this;
    const top = pdf.y;
    const width = CONTENT_WIDTH / 2 - 12;
    const seller = document.seller as DocumentJson['seller'] & { registration?: string | null; email?: string | null };
    const bottoms = [
      this.party(this.t('seller'), seller, [seller.registration ? `${this.t('registration')}: ${seller.registration}` : null, seller.email ?? null], PAGE.margin, top, width),
      this.party(this.t('buyer'), document.buyer, [], PAGE.margin + CONTENT_WIDTH / 2 + 12, top, width),
    ];
    pdf.y = Math.max(...bottoms) + 16;
  }

  /** A party's block at (x, y); answers where it ends. */
  private party(label: string, party: DocumentJson['buyer'], extra: (string | null)[], x: number, y: number, width: number): number {
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

  private lines(): void {
    const { pdf, document } = this;
    this.tableHeader();
    document.lines.forEach((line, i) => {
      // The stored words are the ledger's, in English: a receipt's or pro-forma's line says what it is in the
      // document's language, with the ledger's words (the top-up and its reference) below.
      const topUp = document.kind === 'receipt' || document.kind === 'pro_forma';
      const description = topUp ? this.t('balance_top_up') : line.description;
      const detail = [
        topUp && line.description !== documentText('en', 'balance_top_up') ? line.description : null,
        line.service && line.service !== description ? line.service : null,
        line.period_start ? this.period(line.period_start, line.period_end ?? line.period_start, 'medium') : null,
      ].filter(Boolean).join(' · ');
      const cells = [
        quantityText(this.language, this.locale, line.quantity, line.unit),
        line.unit_price === null ? '' : this.amount(BigInt(line.unit_price)),
        BigInt(line.discount) === 0n ? '' : this.amount(-BigInt(line.discount)),
        this.amount(BigInt(line.net)),
        this.amount(BigInt(line.tax)),
        this.amount(BigInt(line.gross)),
      ];
      const descriptionWidth = COLUMNS[0].width - 8;
      pdf.font('regular').fontSize(9);
      const height = pdf.heightOfString(description, { width: descriptionWidth }) + (detail ? pdf.fontSize(7.5).heightOfString(detail, { width: descriptionWidth }) + 1 : 0) + 10;
      if (pdf.y + height > CONTENT_BOTTOM) {
        pdf.addPage();
        this.tableHeader();
      }
      const top = pdf.y;
      if (i % 2 === 1) pdf.rect(PAGE.margin, top, CONTENT_WIDTH, height).fill(SHADE);
      pdf.font('regular').fontSize(9).fillColor(INK).text(description, PAGE.margin + 4, top + 5, { width: descriptionWidth });
      if (detail) pdf.fontSize(7.5).fillColor(MUTED).text(detail, PAGE.margin + 4, pdf.y + 1, { width: descriptionWidth });
      let x = PAGE.margin + COLUMNS[0].width;
      cells.forEach((cell, c) => {
        const column = COLUMNS[c + 1]!;
        pdf.font(c === cells.length - 1 ? 'bold' : 'regular').fontSize(9).fillColor(INK).text(cell, x, top + 5, { width: column.width - 4, align: column.align });
        x += column.width;
      });
      pdf.y = top + height;
    });
    this.rule(pdf.y);
    pdf.font('regular').fontSize(7.5).fillColor(MUTED).text(this.t('amounts_in', { currency: document.currency }), PAGE.margin, pdf.y + 4, { width: CONTENT_WIDTH });
    pdf.y += 14;
  }

  private tableHeader(): void {
    const { pdf } = this;
    const top = pdf.y;
    pdf.rect(PAGE.margin, top, CONTENT_WIDTH, 20).fill(INK);
    let x = PAGE.margin;
    for (const column of COLUMNS) {
      pdf.font('bold').fontSize(8).fillColor('#ffffff').text(this.t(column.key), x + 4, top + 6, { width: column.width - 8, align: column.align, lineBreak: false });
      x += column.width;
    }
    pdf.y = top + 20;
  }

  private totals(): void {
    const { pdf, document } = this;
    const needed = 130;
    if (pdf.y + needed > CONTENT_BOTTOM) pdf.addPage();
    const top = pdf.y;
    // The VAT summary on the left: one row per category and rate.
    const summaryWidth = 250;
    pdf.font('bold').fontSize(9).fillColor(INK).text(this.t('tax_summary'), PAGE.margin, top, { width: summaryWidth });
    const rate = document.tax.category === 'S' || document.tax.category === 'Z' ? `${new Intl.NumberFormat(this.locale, { maximumFractionDigits: 2 }).format(document.tax.rate as unknown as number)} %` : '—';
    const rows: string[][] = [
      [this.t('tax_category'), this.t('tax_rate'), this.t('col_net'), this.t('col_vat')],
      [`${document.tax.category} · ${this.t(`category_${document.tax.category as 'S' | 'Z' | 'AE' | 'O'}`)}`, rate, this.amount(BigInt(document.totals.net)), this.amount(BigInt(document.totals.tax))],
    ];
    const widths = [125, 35, 50, 45];
    let y = pdf.y + 4;
    rows.forEach((row, r) => {
      let x = PAGE.margin;
      row.forEach((cell, c) => {
        pdf.font('regular').fontSize(r === 0 ? 7.5 : 8.5).fillColor(r === 0 ? MUTED : INK).text(cell, x, y, { width: widths[c]! - 4, align: c === 0 ? 'left' : 'right' });
        x += widths[c]!;
      });
      y += r === 0 ? 12 : 14;
    });

    // The totals on the right.
    const x = PAGE.margin + CONTENT_WIDTH - 220;
    const totals: [string, string, boolean][] = [
      [this.t('total_net'), this.money(BigInt(document.totals.net)), false],
      [this.t('total_vat'), this.money(BigInt(document.totals.tax)), false],
      [this.t('total_gross'), this.money(BigInt(document.totals.gross)), true],
    ];
    let ty = top;
    for (const [label, value, strong] of totals) {
      if (strong) {
        this.rule(ty, x);
        ty += 6;
      }
      pdf.font(strong ? 'bold' : 'regular').fontSize(strong ? 12 : 9.5).fillColor(INK);
      pdf.text(label, x, ty, { width: 110 });
      pdf.text(value, x + 110, ty, { width: 110, align: 'right' });
      ty += strong ? 20 : 15;
    }
    pdf.y = Math.max(y, ty) + 16;
  }

  private payment(): void {
    const { pdf, document } = this;
    const payment = (document.payment ?? {}) as Record<string, string | null>;
    const account = String(document.account_id);
    pdf.font('regular').fontSize(9.5).fillColor(INK);
    if (document.kind === 'invoice') pdf.text(this.t('paid_from_balance', { account }), PAGE.margin, pdf.y, { width: CONTENT_WIDTH });
    else if (document.kind === 'credit_note') pdf.text(this.t('credited_to_balance', { account }), PAGE.margin, pdf.y, { width: CONTENT_WIDTH });
    else if (document.kind === 'receipt') {
      const method = this.t(`method_${(payment.method ?? 'operator_credit') as 'card' | 'paypal' | 'bank_transfer' | 'operator_credit'}`);
      pdf.text(this.t('received', { method, date: this.date(document.issued_at.slice(0, 10)) }), PAGE.margin, pdf.y, { width: CONTENT_WIDTH });
      if (payment.reference) pdf.fillColor(MUTED).text(`${this.t('payment_reference')}: ${payment.reference}`, PAGE.margin, pdf.y + 2, { width: CONTENT_WIDTH });
    } else {
      if (pdf.y + 110 > CONTENT_BOTTOM) pdf.addPage();
      const top = pdf.y;
      pdf.rect(PAGE.margin, top, CONTENT_WIDTH, 96).fill(SHADE);
      pdf.font('bold').fontSize(10).fillColor(INK).text(this.t('please_transfer', { amount: this.money(BigInt(document.totals.gross)) }), PAGE.margin + 12, top + 10, { width: CONTENT_WIDTH - 24 });
      const rows: [string, string | null][] = [
        [this.t('beneficiary'), payment.beneficiary ?? document.seller.legal_name],
        [this.t('iban'), payment.iban ? printedIban(payment.iban) : null],
        [this.t('bic'), payment.bic ?? null],
        [this.t('payment_reference'), payment.reference ?? null],
      ];
      let y = pdf.y + 6;
      for (const [label, value] of rows) {
        if (!value) continue;
        pdf.font('regular').fontSize(9).fillColor(MUTED).text(label, PAGE.margin + 12, y, { width: 120 });
        pdf.font('bold').fontSize(9.5).fillColor(INK).text(value, PAGE.margin + 132, y, { width: CONTENT_WIDTH - 144 });
        y += 14;
      }
      pdf.y = top + 100;
      pdf.font('regular').fontSize(8.5).fillColor(MUTED).text(this.t('quote_reference'), PAGE.margin, pdf.y + 2, { width: CONTENT_WIDTH });
      pdf.text(this.t('not_a_tax_invoice'), PAGE.margin, pdf.y + 2, { width: CONTENT_WIDTH });
    }
    pdf.y += 10;
  }

  private notes(): void {
    const note = this.taxNote();
    if (note) this.pdf.font('regular').fontSize(8.5).fillColor(MUTED).text(note, PAGE.margin, this.pdf.y, { width: CONTENT_WIDTH });
  }

  /** The document's legal VAT note in its language (the stored note is English). */
  private taxNote(): string | null {
    const note = this.document.tax.note;
    if (note === null) return null;
    if (note === REVERSE_CHARGE_NOTE) return this.t('note_reverse_charge');
    if (note === NOT_SUBJECT_NOTE) return this.t('note_not_subject');
    if (note.startsWith(PREPAYMENT_NOTE_START)) return this.t('note_prepayment');
    return note;
  }

  /** The seller's details and, on a document of several pages, "Page n of m", on every page. */
  private footers(): void {
    const { pdf, document } = this;
    const seller = document.seller as DocumentJson['seller'] & { registration?: string | null; website?: string | null; email?: string | null };
    const lines = [
      [seller.legal_name, seller.vat_id ? `${this.t('vat_id')} ${seller.vat_id}` : null],
      [seller.registration ?? null, seller.website ?? null],
    ].map((parts) => parts.filter(Boolean).join(' · '));
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

  private rule(y: number, from = PAGE.margin): void {
    this.pdf.moveTo(from, y).lineTo(PAGE.margin + CONTENT_WIDTH, y).lineWidth(0.75).strokeColor(RULE).stroke();
  }

  /** Minor units as a number in the document's locale: 1234567 EUR → 12,345.67 (en), 12 345,67 (uk). */
  private amount(minor: bigint): string {
    return this.numberFormat().format(formatMinor(minor, this.document.currency) as unknown as number);
  }

  /** The same with the currency: €12,345.67, 12 345,67 €. */
  private money(minor: bigint): string {
    return this.numberFormat('currency').format(formatMinor(minor, this.document.currency) as unknown as number);
  }

  private numberFormat(style: 'decimal' | 'currency' = 'decimal'): Intl.NumberFormat {
    const digits = formatMinor(0n, this.document.currency).split('.')[1]?.length ?? 0;
    return new Intl.NumberFormat(this.locale, { style, currency: this.document.currency, minimumFractionDigits: digits, maximumFractionDigits: digits });
  }

  private date(day: string, style: 'long' | 'medium' = 'long'): string {
    return new Intl.DateTimeFormat(this.locale, { dateStyle: style, timeZone: 'UTC' }).format(new Date(`${day}T00:00:00Z`));
  }

  /** `1–30 Nov 2026`, `1 лист. – 3 груд. 2026 р.`: Intl's own range, which says a shared month or year once. */
  private period(start: string, end: string, style: 'long' | 'medium' = 'long'): string {
    const format = new Intl.DateTimeFormat(this.locale, { dateStyle: style, timeZone: 'UTC' });
    return format.formatRange(new Date(`${start}T00:00:00Z`), new Date(`${end}T00:00:00Z`));
  }
}
