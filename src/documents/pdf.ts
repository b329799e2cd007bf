// A document as a PDF (SPEC 9): an A4 page a person is glad to receive, drawn with pdfkit from
// the issued document alone (its parties, lines and totals as they were written), so the PDF
// says exactly what the JSON and the ledger say. DejaVu Sans is embedded (assets/fonts, with
// Cyrillic), every word comes from strings.ts in the document's language, and the PDF's dates
// are the issue date, so the same document always renders to the same bytes.
import { printedIban } from '../payments/bank-account.js';
import type { DocumentJson } from './document-routes.js';
import type { Logo } from './logo.js';
import { CONTENT_BOTTOM, CONTENT_WIDTH, INK, MUTED, PAGE, type Pdf, type PrintedParty, SHADE, Sheet, type TableColumn, renderSheet } from './sheet.js';
import { documentText, documentTitle, quantityText } from './strings.js';
import { NOT_SUBJECT_NOTE, REVERSE_CHARGE_NOTE } from './tax.js';

const PREPAYMENT_NOTE_START = 'Prepayment onto the account balance';

// The lines table: the description takes what the figures leave.
const COLUMNS = [
  { key: 'col_description', width: 163, align: 'left' },
  { key: 'col_quantity', width: 60, align: 'right' },
  { key: 'col_unit_price', width: 56, align: 'right' },
  { key: 'col_discount', width: 50, align: 'right' },
  { key: 'col_net', width: 57, align: 'right' },
  { key: 'col_vat', width: 52, align: 'right' },
  { key: 'col_amount', width: 61, align: 'right' },
] as const satisfies readonly TableColumn[];

export interface PrintedDocument extends DocumentJson {
  /** A credit note: the number of the invoice it corrects. */
  corrects_number: string | null;
}

/** The document as PDF bytes; the same document and logo give the same bytes. */
export function renderDocumentPdf(document: PrintedDocument, logo?: Logo): Promise<Buffer> {
  const title = documentTitle(document.language, document.kind);
  const info = { title: document.number ? `${title} ${document.number}` : title, author: document.seller.legal_name, subject: `${title}: ${document.buyer.legal_name}`, date: new Date(document.issued_at), language: document.language };
  return renderSheet(info, (pdf) => new Layout(pdf, document, logo).draw());
}

class Layout extends Sheet {
  constructor(
    pdf: Pdf,
    private readonly document: PrintedDocument,
    logo?: Logo,
  ) {
    super(pdf, document.language, document.currency, document.seller as PrintedParty, logo);
  }

  draw(): void {
    this.header(documentTitle(this.language, this.document.kind), this.facts());
    this.parties(this.document.buyer);
    this.lines();
    this.totals();
    this.payment();
    this.notes();
    this.footers();
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

  private lines(): void {
    const { pdf, document } = this;
    this.tableHeader(COLUMNS);
    document.lines.forEach((line, i) => {
      // A receipt's or pro-forma's stored words are the ledger's (an operator's reason, a top-up's reference):
      // its line says what it is in the document's language, with those words below.
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
        this.tableHeader(COLUMNS);
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

}
