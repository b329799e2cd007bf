// An account's statement as a PDF (SPEC 9): the seller and the customer as on a document, the
// period's opening balance, money in and out, closing balance, and a row per ledger entry with
// the documents it is on, page after page with the table header repeated. Unlike a document it
// is not kept: it is made on each request, from the ledger as it stands, and says the day.
import type { Logo } from './logo.js';
import type { DocumentLanguage } from './parties.js';
import { CONTENT_BOTTOM, CONTENT_WIDTH, INK, MUTED, PAGE, type Pdf, type PrintedParty, SHADE, Sheet, type TableColumn, renderSheet } from './sheet.js';
import type { Statement } from './statement.js';
import { type DocumentString, documentText } from './strings.js';

const COLUMNS = [
  { key: 'col_date', width: 70, align: 'left' },
  { key: 'col_description', width: 229, align: 'left' },
  { key: 'col_amount', width: 100, align: 'right' },
  { key: 'col_balance', width: 100, align: 'right' },
] as const satisfies readonly TableColumn[];

export interface PrintedStatement {
  statement: Statement;
  language: DocumentLanguage;
  /** The provider's legal details; none set yet: the statement names the customer alone. */
  seller: PrintedParty | undefined;
  buyer: PrintedParty;
  /** The UTC day it is made on. */
  madeOn: string;
}

export function renderStatementPdf(printed: PrintedStatement, logo?: Logo): Promise<Buffer> {
  const title = documentText(printed.language, 'title_statement');
  const info = { title: `${title} ${printed.statement.from} – ${printed.statement.to}`, author: printed.seller?.legal_name ?? 'Kassa', subject: `${title}: ${printed.buyer.legal_name}`, date: new Date(`${printed.statement.to}T00:00:00Z`), language: printed.language };
  return renderSheet(info, (pdf) => new StatementLayout(pdf, printed, logo).draw());
}

class StatementLayout extends Sheet {
  constructor(
    pdf: Pdf,
    private readonly printed: PrintedStatement,
    logo?: Logo,
  ) {
    super(pdf, printed.language, printed.statement.currency, printed.seller, logo);
  }

  draw(): void {
    const { statement } = this.printed;
    this.header(this.t('title_statement'), [
      [this.t('period'), this.period(statement.from, statement.to, 'medium')],
      [this.t('statement_date'), this.date(this.printed.madeOn)],
      [this.t('account'), String(statement.account_id)],
      [this.t('currency'), statement.currency],
    ]);
    this.parties(this.printed.buyer);
    this.summary();
    this.entries();
    this.pdf.font('regular').fontSize(8.5).fillColor(MUTED).text(this.t('statement_note', { account: statement.account_id }), PAGE.margin, this.pdf.y + 8, { width: CONTENT_WIDTH });
    this.footers();
  }

  /** Opening balance, money in, money out, closing balance, side by side. */
  private summary(): void {
    const { pdf } = this;
    const { statement } = this.printed;
    const top = pdf.y;
    const cells: [DocumentString, bigint][] = [
      ['opening_balance', BigInt(statement.opening_balance)],
      ['money_in', BigInt(statement.credits)],
      ['money_out', -BigInt(statement.debits)],
      ['closing_balance', BigInt(statement.closing_balance)],
    ];
    const width = CONTENT_WIDTH / cells.length;
    pdf.rect(PAGE.margin, top, CONTENT_WIDTH, 44).fill(SHADE);
    cells.forEach(([label, value], i) => {
      const x = PAGE.margin + i * width + 10;
      pdf.font('regular').fontSize(8).fillColor(MUTED).text(this.t(label), x, top + 8, { width: width - 20 });
      pdf.font('bold').fontSize(12).fillColor(INK).text(this.money(value), x, top + 22, { width: width - 20 });
    });
    pdf.y = top + 60;
  }

  private entries(): void {
    const { pdf } = this;
    const { statement } = this.printed;
    this.tableHeader(COLUMNS);
    if (statement.entries.length === 0) {
      pdf.font('regular').fontSize(9).fillColor(MUTED).text(this.t('no_entries'), PAGE.margin + 4, pdf.y + 6, { width: CONTENT_WIDTH });
      pdf.y += 8;
    }
    statement.entries.forEach((entry, i) => {
      const grants = BigInt(entry.grants);
      const detail = [...entry.documents, grants === 0n ? null : this.t('from_grants', { amount: this.amount(grants < 0n ? -grants : grants) })].filter(Boolean).join(' · ');
      const width = COLUMNS[1].width - 8;
      pdf.font('regular').fontSize(9);
      const height = pdf.heightOfString(entry.description, { width }) + (detail ? pdf.fontSize(7.5).heightOfString(detail, { width }) + 1 : 0) + 10;
      if (pdf.y + height > CONTENT_BOTTOM) {
        pdf.addPage();
        this.tableHeader(COLUMNS);
      }
      const top = pdf.y;
      if (i % 2 === 1) pdf.rect(PAGE.margin, top, CONTENT_WIDTH, height).fill(SHADE);
      let x = PAGE.margin;
      pdf.font('regular').fontSize(9).fillColor(INK).text(this.date(entry.at.slice(0, 10), 'medium'), x + 4, top + 5, { width: COLUMNS[0].width - 8 });
      x += COLUMNS[0].width;
      pdf.text(entry.description, x + 4, top + 5, { width });
      if (detail) pdf.fontSize(7.5).fillColor(MUTED).text(detail, x + 4, pdf.y + 1, { width });
      x += COLUMNS[1].width;
      pdf.font('regular').fontSize(9).fillColor(INK).text(this.amount(BigInt(entry.amount)), x, top + 5, { width: COLUMNS[2].width - 4, align: 'right' });
      x += COLUMNS[2].width;
      pdf.font('bold').text(this.amount(BigInt(entry.balance)), x, top + 5, { width: COLUMNS[3].width - 4, align: 'right' });
      pdf.y = top + height;
    });
    this.rule(pdf.y);
  }
}
