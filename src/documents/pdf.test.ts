// The PDF drawn from a document (SPEC 9), read back with poppler's pdftotext: what it prints
// is what the document says, in its language, on as many pages as its lines need, and the same
// document always gives the same bytes.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { PrintedDocument } from './pdf.js';
import { renderDocumentPdf } from './pdf.js';
import { renderStatementPdf } from './statement-pdf.js';
import { REVERSE_CHARGE_NOTE } from './tax.js';

const line = (n: number) => ({
  line: n, service: 'basic', description: `Basic hosting, server ${n}`, period_start: '2026-11-01', period_end: '2026-11-30', quantity: '30', unit: 'day',
  unit_price: '2400', price: '72000', discount: '0', net: '60504', tax: '11496', gross: '72000', transaction_ids: [n],
});

const invoice = (lines: number): PrintedDocument => ({
  id: 12, account_id: 41, kind: 'invoice', number: 'INV-2026-000012', issued_at: '2026-12-01T00:00:00.000Z', currency: 'EUR', language: 'en',
  seller: { legal_name: 'Cloudy Hosting GmbH', address_line1: 'Torstr. 5', address_line2: null, postal_code: '10119', city: 'Berlin', region: null, country: 'DE', vat_id: 'DE136695976' },
  buyer: { legal_name: 'Acme GmbH', address_line1: 'Hauptstr. 1', address_line2: null, postal_code: '10115', city: 'Berlin', region: null, country: 'DE', vat_id: null },
  tax: { category: 'S', rate: '19', note: null },
  totals: { net: String(60504 * lines), tax: String(11496 * lines), gross: String(72000 * lines) },
  period_start: '2026-11-01', period_end: '2026-11-30', corrects_document_id: null, top_up_id: null, payment: null, corrects_number: null,
  lines: Array.from({ length: lines }, (_, i) => line(i + 1)),
});

const pages = (pdf: Buffer): string[] => execFileSync('pdftotext', ['-layout', '-', '-'], { input: pdf }).toString('utf8').split('\f').filter((p) => p.trim()).map((p) => p.replace(/\s+/g, ' '));

describe('renderDocumentPdf', () => {
  it('gives the same bytes for the same document', async () => {
    const [a, b] = await Promise.all([renderDocumentPdf(invoice(3)), renderDocumentPdf(invoice(3))]);
    expect(a.subarray(0, 8).toString()).toMatch(/^%PDF-1\.\d/);
    expect(a.equals(b)).toBe(true);
  });

  it.each([
    [1, 1],
    [25, 2],
    [60, 4], // the lines fill three pages; the totals do not fit under them and take a fourth
  ])('puts %i lines on %i pages, the table header on each with lines, "Page n of m" when there are several', async (lines, count) => {
    const printed = pages(await renderDocumentPdf(invoice(lines)));
    expect(printed).toHaveLength(count);
    printed.forEach((page, i) => {
      if (page.includes('Basic hosting')) expect(page).toContain('Description Quantity Unit price Discount Net VAT Amount');
      if (count > 1) expect(page).toContain(`Page ${i + 1} of ${count}`);
      else expect(page).not.toContain('Page 1');
    });
    const all = printed.join(' ');
    for (let n = 1; n <= lines; n++) expect(all).toContain(`server ${n} 30 days 24.00 605.04 114.96 720.00`); // every line once, none lost at a break
    expect(printed.at(-1)).toContain(`Total €${new Intl.NumberFormat('en-GB', { minimumFractionDigits: 2 }).format(720 * lines)}`); // 72000 minor units a line
  });

  it('prints a reverse-charge invoice with its legal note, in Ukrainian too', async () => {
    const base = invoice(1);
    const reverse: PrintedDocument = {
      ...base,
      buyer: { ...base.buyer, country: 'AT', vat_id: 'ATU13585627' },
      tax: { category: 'AE', rate: '0', note: REVERSE_CHARGE_NOTE },
      totals: { net: '72000', tax: '0', gross: '72000' },
      lines: [{ ...line(1), net: '72000', tax: '0' }],
    };
    const english = pages(await renderDocumentPdf(reverse)).join(' ');
    for (const words of ['Austria', 'VAT id: ATU13585627', 'server 1 30 days 24.00 720.00 0.00 720.00', 'AE · Reverse charge — 720.00 0.00', `charged. ${REVERSE_CHARGE_NOTE}`]) expect(english).toContain(words);
    const ukrainian = pages(await renderDocumentPdf({ ...reverse, language: 'uk' })).join(' ');
    expect(ukrainian).toContain('Зворотне оподаткування: ПДВ сплачує отримувач (стаття 196 Директиви Ради 2006/112/ЄС).');
    expect(ukrainian).toContain('30 днів 24,00'); // 30 takes the "many" plural form
  });

  it('prints a receipt in Ukrainian: what it is in Ukrainian, the ledger’s words below, the method and the date', async () => {
    const receipt: PrintedDocument = {
      ...invoice(1), kind: 'receipt', number: 'RCT-2026-000007', language: 'uk', tax: { category: 'O', rate: '0', note: null },
      totals: { net: '25000', tax: '0', gross: '25000' }, payment: { method: 'bank_transfer', reference: 'RF74 0000 0000 1' },
      lines: [{ ...line(1), service: null, description: 'Top-up RF74000000001 by bank transfer', period_start: null, period_end: null, quantity: '1', unit: 'unit', unit_price: '25000', price: '25000', net: '25000', tax: '0', gross: '25000' }],
    };
    const text = pages(await renderDocumentPdf(receipt)).join(' ');
    for (const words of ['Квитанція Номер RCT-2026-000007', 'Поповнення балансу рахунку 1 од. 250,00 250,00 0,00 250,00', 'Top-up RF74000000001 by bank transfer', 'Дякуємо! Отримано банківським переказом 1 грудня 2026 р.', 'Призначення платежу: RF74 0000 0000 1']) {
      expect(text).toContain(words);
    }
  });

  it('prints a statement in Ukrainian, and says when nothing moved', async () => {
    const statement = { account_id: 41, currency: 'EUR', from: '2026-11-01', to: '2026-11-30', opening_balance: '150000', closing_balance: '150000', credits: '0', debits: '0', entries: [] };
    const buyer = { ...invoice(1).buyer, legal_name: 'ТОВ «Хмарка»', country: 'UA' };
    const text = pages(await renderStatementPdf({ statement, language: 'uk', seller: invoice(1).seller, buyer, madeOn: '2026-12-04' })).join(' ');
    for (const words of ['Виписка Період 1–30 лист. 2026 р.', 'Складено 4 грудня 2026 р.', 'ТОВ «Хмарка»', 'Баланс на початок Надходження Списання Баланс на кінець', '1 500,00 EUR', 'За цей період баланс не змінювався.']) {
      expect(text).toContain(words);
    }
  });
});
