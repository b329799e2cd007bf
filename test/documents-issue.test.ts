// Documents issued from the ledger (SPEC 9, issue 9) through the HTTP API on the simulated
// clock: a credit gets a receipt, a charge outside the billing run its own invoice at once, a
// month of daily charges one invoice issued when the month ends, a refund a credit note that
// references the invoice it corrects (waiting for it when that charge is not invoiced yet), a
// bank transfer a pro-forma invoice (no number) and then a receipt. Prices are tax-inclusive:
// a German buyer at 19% pays gross, net = gross / 1.19 rounded half to even.
// 2026-11-02 is a Monday; the plan costs 24.00 a day (2400 minor units, 100 an hour).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { XMLParser } from 'fast-xml-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { billingScenario } from './support/scenario.js';

const s = billingScenario('2026-11-02T13:00:00Z');

interface Line { service: string | null; description: string; period_start: string | null; period_end: string | null; quantity: string; unit: string; unit_price: string | null; price: string; discount: string; net: string; tax: string; gross: string; transaction_ids: number[] }
interface Doc { id: number; account_id: number; kind: string; number: string | null; issued_at: string; currency: string; buyer: { legal_name: string; country: string | null }; seller: { legal_name: string }; tax: { category: string; rate: string; note: string | null }; totals: { net: string; tax: string; gross: string }; period_start: string; period_end: string; corrects_document_id: number | null; top_up_id: number | null; payment: Record<string, unknown> | null; lines: Line[] }

const SELLER = { legal_name: 'Cloudy Hosting GmbH', address_line1: 'Torstr. 5', postal_code: '10119', city: 'Berlin', country: 'DE', vat_id: 'DE136695976', registration: 'HRB 12345, Amtsgericht Berlin', email: 'billing@cloudy.example' };
const ACME = { legal_name: 'Acme GmbH', address_line1: 'Hauptstr. 1', postal_code: '10115', city: 'Berlin', country: 'DE', language: 'en', document_emails: ['accounts@acme.example'] };

async function documentsOf(accountId: number, query = ''): Promise<Doc[]> {
  await s.kassa().background.settled(); // issued just after the answer that asked for them
  return (await s.expectStatus<{ data: Doc[] }>(200, 'GET', `/v1/accounts/${accountId}/documents?limit=200${query}`)).data;
}

/** What the ledger moved for a document's transactions: revenue for an invoice or credit note, the credit for a receipt. */
async function ledgerAmountOf(accountId: number, doc: Doc): Promise<bigint> {
  const ids = new Set(doc.lines.flatMap((l) => l.transaction_ids));
  const ledger = (await s.ledgerOf(accountId)).filter((t) => ids.has(t.id));
  if (doc.kind === 'receipt') return ledger.reduce((sum, t) => sum + BigInt(t.customer_amount), 0n);
  const revenue = ledger.reduce((sum, t) => sum + t.postings.filter((p) => p.ledger_account === 'revenue').reduce((r, p) => r + BigInt(p.amount), 0n), 0n);
  return doc.kind === 'credit_note' ? -revenue : revenue;
}

/** The document's PDF, read back with poppler's pdftotext in its layout (what stands side by side on a row, whitespace folded). */
async function pdfOf(doc: Doc): Promise<{ text: string; bytes: Buffer; filename: string }> {
  const got = await s.raw(`/v1/documents/${doc.id}/pdf`);
  expect(got.status).toBe(200);
  expect(got.headers['content-type']).toBe('application/pdf');
  const filename = /filename="([^"]+)"/.exec(String(got.headers['content-disposition']))![1]!;
  const text = execFileSync('pdftotext', ['-layout', '-', '-'], { input: got.bytes }).toString('utf8').replace(/\s+/g, ' ');
  if (process.env.KASSA_SHOW_PDF_TEXT) (await import('node:fs')).appendFileSync(process.env.KASSA_SHOW_PDF_TEXT, `${text}\n\n`);
  return { text, bytes: got.bytes, filename };
}

let plan: number;
let mini: number;
let big: number;
beforeAll(async () => {
  plan = await s.createPlan('24.00');
  mini = await s.createPlan('12.00');
  big = await s.createPlan('48.00');
});

describe('before the provider sets its legal details', () => {
  it('issues nothing: the requests wait, and none is lost', async () => {
    const early = await s.fundedAccount('500');
    expect(await documentsOf(early)).toEqual([]);
    await s.expectStatus(200, 'PUT', '/v1/settings/provider-details', SELLER);
    await s.expectStatus(200, 'PUT', '/v1/settings/vat-rates', { rates: { DE: '19' } });
    await s.call('POST', `/v1/accounts/${early}/adjustments`, { direction: 'credit', amount: '1', reason: 'nudge' }, { 'idempotency-key': 'nudge-1' });
    const receipts = await documentsOf(early);
    expect(receipts.map((d) => [d.kind, d.totals.gross])).toEqual([['receipt', '500'], ['receipt', '1']]); // in the order asked
  });
});

describe('a month of a daily plan', () => {
  let acme: number;
  let creationInvoice: Doc;

  it('a credit gets a receipt: numbered, no VAT (a prepayment), the amount the ledger credited', async () => {
    acme = await s.fundedAccount('200000');
    await s.kassa().background.settled(); // the receipt is issued before the billing details change
    await s.expectStatus(200, 'PUT', `/v1/accounts/${acme}/billing-details`, ACME);
    const [receipt] = await documentsOf(acme);
    expect(receipt).toMatchObject({ kind: 'receipt', number: 'RCT-2026-000003', currency: 'EUR', tax: { category: 'O', rate: '0' }, totals: { net: '200000', tax: '0', gross: '200000' }, payment: { method: 'operator_credit' } });
    expect(receipt!.buyer.legal_name).toBe('Acme'); // billing details set after it was issued: it keeps the account's name
    expect(await ledgerAmountOf(acme, receipt!)).toBe(200000n);
  });

  it('subscribing mid-day is a charge outside the billing run: its own invoice at once, VAT split per line', async () => {
    await s.subscribe(acme, plan); // 2400 x 11/24 = 1100
    const invoices = await documentsOf(acme, '&kind=invoice');
    expect(invoices).toHaveLength(1);
    creationInvoice = invoices[0]!;
    expect(creationInvoice).toMatchObject({
      number: 'INV-2026-000001',
      buyer: { legal_name: 'Acme GmbH', country: 'DE' },
      seller: { legal_name: 'Cloudy Hosting GmbH' },
      tax: { category: 'S', rate: '19', note: null },
      totals: { net: '924', tax: '176', gross: '1100' }, // 1100 / 1.19 = 924.37 -> 924; 1100 - 924 = 176
      period_start: '2026-11-02',
      period_end: '2026-11-02',
    });
    expect(creationInvoice.lines).toMatchObject([{ description: expect.stringMatching(/^Plan \d+ \(subscribed\)$/), quantity: '1', unit: 'period', price: '1100', discount: '0', net: '924', tax: '176', gross: '1100', period_start: '2026-11-02' }]);
    expect(await ledgerAmountOf(acme, creationInvoice)).toBe(1100n);
  });

  it("the month's daily charges become one invoice when the month has ended, its total the month's debits", async () => {
    await s.advanceTo('2026-11-30T12:00:00Z');
    expect(await documentsOf(acme, '&kind=invoice')).toHaveLength(1); // November is not over
    await s.advanceTo('2026-12-01T06:00:00Z');
    const invoices = await documentsOf(acme, '&kind=invoice');
    expect(invoices).toHaveLength(2);
    const november = invoices[1]!;
    expect(november).toMatchObject({
      number: 'INV-2026-000002',
      period_start: '2026-11-01',
      period_end: '2026-11-30',
      totals: { net: '56471', tax: '10729', gross: '67200' }, // 28 runs (3 to 30 Nov) x 2400; 67200 / 1.19 = 56470.59 -> 56471
    });
    expect(november.lines).toHaveLength(1);
    expect(november.lines[0]).toMatchObject({ description: expect.stringMatching(/^Plan \d+$/), quantity: '28', unit: 'day', unit_price: '2400', price: '67200', period_start: '2026-11-03', period_end: '2026-11-30' });
    expect(november.lines[0]!.transaction_ids).toHaveLength(28);
    expect(await ledgerAmountOf(acme, november)).toBe(67200n);
    // The 1 Dec run's charge is December's: it is on no invoice yet.
    const december = (await s.ledgerOf(acme)).filter((t) => t.kind === 'billing_run' && t.created_at.startsWith('2026-12-01'));
    expect(december).toHaveLength(1);
    expect(invoices.flatMap((d) => d.lines.flatMap((l) => l.transaction_ids))).not.toContain(december[0]!.id);

    const pdf = await pdfOf(november);
    expect(pdf.filename).toBe('INV-2026-000002.pdf');
    for (const words of [
      'Invoice Number INV-2026-000002 Issue date 1 December 2026 Period 1 – 30 Nov 2026',
      'FROM TO Cloudy Hosting GmbH Acme GmbH Torstr. 5 Hauptstr. 1 10119 Berlin 10115 Berlin Germany Germany VAT id: DE136695976 Registration: HRB 12345, Amtsgericht Berlin',
      'Plan 1 28 days 24.00 564.71 107.29 672.00', // quantity and unit price; the line's net, VAT and gross
      '· 3 – 30 Nov 2026', // the days charged
      'Total net €564.71', 'Total VAT €107.29', 'S · Standard rate 19 % 564.71 107.29 Total €672.00',
      `Paid from the prepaid balance of account ${acme}`,
    ]) expect(pdf.text).toContain(words);
    expect(pdf.text).not.toContain('Page 1'); // one page: no page numbers
    expect((await pdfOf(november)).bytes.equals(pdf.bytes)).toBe(true); // rendered once: every download is the same file
  });

  it("a downgrade's refund of a charge still waiting for its month's invoice gets its credit note once that invoice is issued, referencing it", async () => {
    const [subscription] = (await s.expectStatus<{ data: { id: number }[] }>(200, 'GET', `/v1/accounts/${acme}/subscriptions`)).data;
    await s.advanceTo('2026-12-01T12:00:00Z');
    const down = await s.expectStatus<{ amount: string }>(200, 'POST', `/v1/subscriptions/${subscription!.id}/change-plan`, { plan_id: mini }, { 'idempotency-key': 'down-acme' });
    expect(down.amount).toBe('-600'); // (12 - 24) x 12/24
    expect(await documentsOf(acme, '&kind=credit_note')).toEqual([]); // 1 December's charge is on December's invoice, not issued yet
    await s.advanceTo('2027-01-01T00:30:00Z');
    const december = (await documentsOf(acme, '&kind=invoice')).find((d) => d.period_start === '2026-12-01')!;
    // 1 Dec at the old plan (2400), then 2 to 31 Dec at the new one: 30 x 1200 = 36000.
    expect(december.lines.map((l) => [l.quantity, l.unit_price, l.gross])).toEqual([['1', '2400', '2400'], ['30', '1200', '36000']]);
    expect(december.totals).toEqual({ net: '32269', tax: '6131', gross: '38400' }); // per line: 2017 + 30252 (2400 / 1.19 = 2016.81, 36000 / 1.19 = 30252.10)
    expect(await ledgerAmountOf(acme, december)).toBe(38400n);
    const [note] = await documentsOf(acme, '&kind=credit_note'); // numbered in the year it is issued
    expect(note).toMatchObject({ number: 'CN-2027-000001', corrects_document_id: december.id, totals: { net: '504', tax: '96', gross: '600' } }); // 600 / 1.19 = 504.20 -> 504
    expect(await ledgerAmountOf(acme, note!)).toBe(600n);
    const pdf = await pdfOf(note!);
    for (const words of ['Credit note Number CN-2027-000001', `Corrects invoice ${december.number}`, '1 period 6.00 5.04 0.96 6.00', 'Total €6.00', `Credited to the prepaid balance of account ${acme}.`]) expect(pdf.text).toContain(words);
  });
});

describe('a refund of a charge invoiced on its own', () => {
  it('gets a credit note at once, referencing that invoice', async () => {
    const globex = await s.fundedAccount('10000');
    const created = await s.subscribe(globex, big); // 1 Jan 00:30: 4800 x 23.5/24 = 4700
    expect(created.amount).toBe('4700');
    await s.advanceTo('2027-01-01T06:30:00Z');
    const down = await s.expectStatus<{ amount: string }>(200, 'POST', `/v1/subscriptions/${created.subscription.id}/change-plan`, { plan_id: plan }, { 'idempotency-key': 'down-globex' });
    expect(down.amount).toBe('-1750'); // (24 - 48) x 17.5/24
    const docs = await documentsOf(globex);
    const invoice = docs.find((d) => d.kind === 'invoice')!;
    const note = docs.find((d) => d.kind === 'credit_note')!;
    expect(invoice.totals.gross).toBe('4700');
    expect(note).toMatchObject({ number: 'CN-2027-000002', corrects_document_id: invoice.id, totals: { gross: '1750' } });
    expect(note.lines.map((l) => l.description)).toEqual(['Plan 3 → Plan 1 (plan change)']); // big to plan: the difference, given back under the new plan
    expect((await s.expectStatus<Doc>(200, 'GET', `/v1/documents/${note.id}`)).lines[0]!.transaction_ids).toEqual(note.lines[0]!.transaction_ids);
  });
});

describe('a bank transfer', () => {
  it('gets a pro-forma invoice with the bank details and reference, no number; then a receipt when the money arrives', async () => {
    await s.expectStatus(200, 'PUT', '/v1/settings/bank-account', { iban: 'DE89 3704 0044 0532 0130 00', bic: 'COBADEFFXXX', beneficiary: 'Cloudy Hosting GmbH' });
    const initech = s.track((await s.createAccount({ name: 'Initech' })).id);
    const topUp = await s.expectStatus<{ id: number; bank_transfer: { reference: string } }>(201, 'POST', `/v1/accounts/${initech}/top-ups`, { method: 'bank_transfer', amount: '5000' }, { 'idempotency-key': 'bank-1' });
    const [proForma] = await documentsOf(initech);
    expect(proForma).toMatchObject({ kind: 'pro_forma', number: null, top_up_id: topUp.id, totals: { gross: '5000', tax: '0' }, payment: { method: 'bank_transfer', reference: topUp.bank_transfer.reference, iban: 'DE89370400440532013000', bic: 'COBADEFFXXX' } });
    await s.expectStatus(200, 'POST', `/v1/top-ups/${topUp.id}/confirm`, { amount: '5000', bank_reference: 'STMT-1' }, { 'idempotency-key': 'bank-2' });
    const receipt = (await documentsOf(initech, '&kind=receipt'))[0]!;
    expect(receipt).toMatchObject({ top_up_id: topUp.id, totals: { gross: '5000' }, payment: { method: 'bank_transfer', reference: topUp.bank_transfer.reference } });
    expect(receipt.number).toMatch(/^RCT-2027-\d{6}$/);

    const quote = await pdfOf(proForma!);
    expect(quote.filename).toBe(`pro-forma-${proForma!.id}.pdf`); // no number: named by its id
    for (const words of ['Pro-forma invoice', 'Please transfer €50.00 to:', 'Beneficiary Cloudy Hosting GmbH', 'IBAN DE89 3704 0044 0532 0130 00', 'BIC COBADEFFXXX', `Payment reference ${topUp.bank_transfer.reference}`, 'is not a tax invoice']) {
      expect(quote.text).toContain(words);
    }
    expect(quote.text).not.toContain('Number');
    const paid = await pdfOf(receipt);
    for (const words of ['Receipt', receipt.number!, 'Top-up of the account balance 1 unit 50.00 50.00 0.00 50.00', `Top-up ${topUp.bank_transfer.reference.replaceAll(' ', '')} by bank transfer`, 'Received by bank transfer on 1 January 2027. Thank you.', 'O · Not subject to VAT — 50.00 0.00', 'Prepayment onto the account balance: VAT is charged on the invoices']) expect(paid.text).toContain(words);
  });
});

describe('as EN 16931 e-invoices', () => {
  const xml = new XMLParser({ ignoreAttributes: false, removeNSPrefix: true, parseTagValue: false, isArray: (name) => ['InvoiceLine', 'CreditNoteLine', 'TaxSubtotal', 'BillingReference'].includes(name) });
  let invoices: Doc[];
  let all: Doc[];
  beforeAll(async () => {
    all = (await s.expectStatus<{ data: Doc[] }>(200, 'GET', '/v1/documents?limit=200')).data;
    invoices = all.filter((d) => d.kind === 'invoice');
  });

  it("an invoice in UBL 2.1: its number, parties, period, lines and the document's totals, paid from the balance", async () => {
    const november = invoices.find((d) => d.number === 'INV-2026-000002')!;
    const got = await s.raw(`/v1/documents/${november.id}/ubl`);
    expect(got.status, got.body).toBe(200);
    expect(got.headers['content-type']).toMatch(/^application\/xml/);
    expect(got.headers['content-disposition']).toBe('attachment; filename="INV-2026-000002.xml"');
    const { Invoice: ubl } = xml.parse(got.body);
    expect(ubl).toMatchObject({
      CustomizationID: 'urn:cen.eu:en16931:2017', // BT-24
      ID: 'INV-2026-000002', IssueDate: '2026-12-01', InvoiceTypeCode: '380', DocumentCurrencyCode: 'EUR', BuyerReference: String(november.account_id),
      InvoicePeriod: { StartDate: '2026-11-01', EndDate: '2026-11-30' },
      AccountingSupplierParty: { Party: { EndpointID: { '#text': 'billing@cloudy.example', '@_schemeID': 'EM' }, PostalAddress: { StreetName: 'Torstr. 5', CityName: 'Berlin', PostalZone: '10119', Country: { IdentificationCode: 'DE' } }, PartyTaxScheme: { CompanyID: 'DE136695976' }, PartyLegalEntity: { RegistrationName: 'Cloudy Hosting GmbH', CompanyLegalForm: 'HRB 12345, Amtsgericht Berlin' } } },
      AccountingCustomerParty: { Party: { EndpointID: { '#text': 'accounts@acme.example', '@_schemeID': 'EM' }, PostalAddress: { CityName: 'Berlin', Country: { IdentificationCode: 'DE' } }, PartyLegalEntity: { RegistrationName: 'Acme GmbH' } } },
      TaxTotal: { TaxAmount: { '#text': '107.29', '@_currencyID': 'EUR' }, TaxSubtotal: [{ TaxableAmount: { '#text': '564.71' }, TaxAmount: { '#text': '107.29' }, TaxCategory: { ID: 'S', Percent: '19' } }] },
      LegalMonetaryTotal: { LineExtensionAmount: { '#text': '564.71' }, TaxExclusiveAmount: { '#text': '564.71' }, TaxInclusiveAmount: { '#text': '672.00' }, PrepaidAmount: { '#text': '672.00' }, PayableAmount: { '#text': '0.00' } },
    });
    // 28 days priced per the line's whole quantity: 28 x 564.71 / 28 = 564.71, exact.
    expect(ubl.InvoiceLine).toMatchObject([{ ID: '1', InvoicedQuantity: { '#text': '28', '@_unitCode': 'DAY' }, LineExtensionAmount: { '#text': '564.71' }, InvoicePeriod: { StartDate: '2026-11-03', EndDate: '2026-11-30' }, Price: { PriceAmount: { '#text': '564.71' }, BaseQuantity: { '#text': '28' } }, Item: { ClassifiedTaxCategory: { ID: 'S', Percent: '19' } } }]);
    expect((await s.raw(`/v1/documents/${november.id}/ubl`)).body).toBe(got.body); // kept: the same file each time
  });

  it('a credit note in UBL is a CreditNote referencing the invoice it corrects (BT-25, BT-26)', async () => {
    const note = all.find((d) => d.number === 'CN-2027-000001')!;
    const corrected = all.find((d) => d.id === note.corrects_document_id)!;
    const { CreditNote: ubl } = xml.parse((await s.raw(`/v1/documents/${note.id}/ubl`)).body);
    expect(ubl).toMatchObject({ ID: 'CN-2027-000001', CreditNoteTypeCode: '381', BillingReference: [{ InvoiceDocumentReference: { ID: corrected.number, IssueDate: corrected.issued_at.slice(0, 10) } }], LegalMonetaryTotal: { TaxInclusiveAmount: { '#text': '6.00' } } });
    expect(ubl.CreditNoteLine[0]).toMatchObject({ CreditedQuantity: { '#text': '1' }, LineExtensionAmount: { '#text': '5.04' } });
  });

  it('as Factur-X: the PDF with its CII XML attached, carrying the same totals', async () => {
    const november = invoices.find((d) => d.number === 'INV-2026-000002')!;
    const got = await s.raw(`/v1/documents/${november.id}/facturx`);
    expect(got.status).toBe(200);
    expect(got.headers['content-disposition']).toBe('inline; filename="INV-2026-000002-factur-x.pdf"');
    const dir = mkdtempSync(path.join(tmpdir(), 'facturx-'));
    writeFileSync(path.join(dir, 'invoice.pdf'), got.bytes);
    expect(execFileSync('pdfdetach', ['-list', path.join(dir, 'invoice.pdf')]).toString()).toContain('factur-x.xml');
    execFileSync('pdfdetach', ['-save', '1', '-o', path.join(dir, 'factur-x.xml'), path.join(dir, 'invoice.pdf')]);
    const cii = xml.parse(readFileSync(path.join(dir, 'factur-x.xml'), 'utf8')).CrossIndustryInvoice;
    expect(cii.ExchangedDocument.ID).toBe('INV-2026-000002');
    const settlement = cii.SupplyChainTradeTransaction.ApplicableHeaderTradeSettlement;
    expect(settlement.SpecifiedTradeSettlementHeaderMonetarySummation).toMatchObject({ TaxBasisTotalAmount: '564.71', GrandTotalAmount: '672.00', TotalPrepaidAmount: '672.00', DuePayableAmount: '0.00' });
    const text = execFileSync('pdftotext', ['-layout', path.join(dir, 'invoice.pdf'), '-']).toString('utf8').replace(/\s+/g, ' ');
    expect(text).toContain('Invoice Number INV-2026-000002'); // the visible part is the document's PDF
    rmSync(dir, { recursive: true });
  });

  it('answers 404 for a receipt or pro-forma (no e-invoice), and 409 for an invoice issued without a billing address', async () => {
    const receipt = all.find((d) => d.kind === 'receipt')!;
    expect(await s.call('GET', `/v1/documents/${receipt.id}/ubl`)).toMatchObject({ status: 404, body: { code: 'not_found', detail: expect.stringContaining('only invoices and credit notes') } });
    expect((await s.call('GET', `/v1/documents/${all.find((d) => d.kind === 'pro_forma')!.id}/facturx`)).status).toBe(404);
    const bare = invoices.find((d) => d.buyer.country === null)!; // globex: no billing details
    expect(await s.call('GET', `/v1/documents/${bare.id}/ubl`)).toMatchObject({ status: 409, body: { code: 'invalid_state', detail: expect.stringContaining('BR-11') } });
    expect((await s.call('GET', '/v1/documents/999999/ubl')).status).toBe(404);
  });
});

describe('in Ukrainian', () => {
  it("prints the document in the buyer's language, with Cyrillic names, Ukrainian numbers and dates", async () => {
    const khmarka = await s.fundedAccount('123456');
    await s.expectStatus(200, 'PUT', `/v1/accounts/${khmarka}/billing-details`, { legal_name: 'ТОВ «Хмарка»', address_line1: 'вул. Хрещатик, 1', postal_code: '01001', city: 'Київ', country: 'UA', language: 'uk' });
    await s.subscribe(khmarka, plan); // 1 Jan 06:30: 2400 x 17.5/24 = 1750
    const invoice = (await documentsOf(khmarka, '&kind=invoice'))[0]!;
    const line = invoice.lines[0]!.description;
    expect(line).toMatch(/^Plan \d+ \(підключення\)$/); // the plan's name, and what charged it in Ukrainian
    const pdf = await pdfOf(invoice);
    expect(pdf.text).toContain(line);
    for (const words of [
      `Рахунок-фактура Номер ${invoice.number} Дата складання 1 січня 2027 р.`,
      'ПОСТАЧАЛЬНИК ПОКУПЕЦЬ Cloudy Hosting GmbH ТОВ «Хмарка» Torstr. 5 вул. Хрещатик, 1 10119 Berlin 01001 Київ Німеччина Україна',
      '1 період 17,50 14,71 2,79 17,50', // a decimal comma: 1750 / 1.19 = 1470.59 -> 1471
      'Усього 17,50 EUR', `Сплачено з передплаченого балансу рахунку ${khmarka} під час списання.`,
    ]) expect(pdf.text).toContain(words);
  });
});

describe('numbers and access', () => {
  it('each series is numbered 1..n with no gap, per year', async () => {
    const all = (await s.expectStatus<{ data: Doc[] }>(200, 'GET', '/v1/documents?limit=200')).data;
    for (const prefix of ['INV-2026-', 'INV-2027-', 'CN-2026-', 'CN-2027-', 'RCT-2026-', 'RCT-2027-']) {
      const numbers = all.filter((d) => d.number?.startsWith(prefix)).map((d) => Number(d.number!.slice(prefix.length)));
      expect(numbers, prefix).toEqual(numbers.map((_, i) => i + 1));
    }
  });

  it("exports a period's numbered documents as the accountant's journal: credit notes negative, each row what the document says", async () => {
    const all = (await s.expectStatus<{ data: Doc[] }>(200, 'GET', '/v1/documents?limit=200')).data;
    const got = await s.raw('/v1/documents/journal?from=2026-12-01&to=2027-01-01');
    expect(got.status).toBe(200);
    expect(got.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(got.headers['content-disposition']).toBe('attachment; filename="journal-2026-12-01-2027-01-01.csv"');
    const rows = parse(got.body, { columns: true }) as Record<string, string>[];
    const expected = all.filter((d) => d.number && d.issued_at >= '2026-12-01' && d.issued_at < '2027-01-02');
    expect(rows.map((r) => r.number)).toEqual(expected.map((d) => d.number)); // in the order issued; pro-formas have no number and are not in it
    const note = rows.find((r) => r.number === 'CN-2027-000001')!;
    const december = all.find((d) => d.period_start === '2026-12-01' && d.kind === 'invoice')!;
    expect(note).toEqual({ number: 'CN-2027-000001', kind: 'credit_note', issued_on: '2027-01-01', account_id: String(december.account_id), customer: 'Acme GmbH', customer_vat_id: '', customer_country: 'DE', tax_category: 'S', tax_rate: '19', net: '-5.04', tax: '-0.96', gross: '-6.00', currency: 'EUR', corrects: december.number });
    expect(rows.find((r) => r.number === december.number)).toMatchObject({ kind: 'invoice', net: '322.69', tax: '61.31', gross: '384.00', corrects: '' }); // 32269 + 6131 = 38400 minor units
    const minor = (decimal: string | undefined) => BigInt(decimal!.replace('.', ''));
    for (const r of rows) expect(minor(r.net) + minor(r.tax), r.number).toBe(minor(r.gross));
  });

  it.each([
    ['to before from', 'from=2026-12-02&to=2026-12-01'],
    ['more than 366 days', 'from=2026-01-01&to=2027-01-02'],
    ['a day that is not one', 'from=2026-13-01&to=2026-12-31'],
    ['no period', ''],
  ])('refuses a journal of %s', async (_name, query) => {
    const got = await s.call<{ code: string; field: string }>('GET', `/v1/documents/journal?${query}`);
    expect(got.status).toBe(400);
    expect(got.body.code).toBe('validation_failed');
  });

  it("answers 404 for an unknown document, and for another account's list when the account does not exist", async () => {
    expect((await s.call('GET', '/v1/documents/999999')).status).toBe(404);
    expect((await s.call('GET', '/v1/accounts/999999/documents')).status).toBe(404);
  });
});

describe("the account's statement", () => {
  interface Entry { transaction_id: number; kind: string; amount: string; grants: string; balance: string; documents: string[] }
  interface Statement { opening_balance: string; closing_balance: string; credits: string; debits: string; entries: Entry[] }
  let acme: number;

  beforeAll(async () => {
    const accounts = (await s.expectStatus<{ data: Doc[] }>(200, 'GET', '/v1/documents?limit=200')).data;
    acme = accounts.find((d) => d.number === 'INV-2026-000002')!.account_id;
  });

  it("November's: the top-up, the subscribing and 28 nightly charges, each with its document, from 0 to what is left", async () => {
    const november = await s.expectStatus<Statement>(200, 'GET', `/v1/accounts/${acme}/statement?from=2026-11-01&to=2026-11-30`);
    expect(november).toMatchObject({ opening_balance: '0', credits: '200000', debits: '68300', closing_balance: '131700' }); // 200000 - 1100 - 28 x 2400
    expect(november.entries).toHaveLength(30);
    expect(november.entries[0]).toMatchObject({ kind: 'adjustment', amount: '200000', balance: '200000', documents: ['RCT-2026-000003'] });
    expect(november.entries[1]).toMatchObject({ kind: 'subscription_charge', amount: '-1100', balance: '198900', documents: ['INV-2026-000001'] });
    expect(november.entries.slice(2).every((e) => e.kind === 'billing_run' && e.amount === '-2400' && e.documents.join() === 'INV-2026-000002')).toBe(true);
  });

  it("the next period opens where the last closed, and the closing balance is the account's balance", async () => {
    const rest = await s.expectStatus<Statement>(200, 'GET', `/v1/accounts/${acme}/statement?from=2026-12-01&to=2027-01-31`);
    expect(rest.opening_balance).toBe('131700');
    expect(rest.closing_balance).toBe(await s.balanceOf(acme));
    expect(rest.entries.find((e) => e.kind === 'subscription_refund')).toMatchObject({ amount: '600', documents: ['CN-2027-000001'] }); // the downgrade's refund and its credit note
    expect(BigInt(rest.opening_balance) + BigInt(rest.credits) - BigInt(rest.debits)).toBe(BigInt(rest.closing_balance));
  });

  it('as a PDF, in the language of the billing details', async () => {
    const got = await s.raw(`/v1/accounts/${acme}/statement/pdf?from=2026-11-01&to=2026-11-30`);
    expect(got.status).toBe(200);
    expect(got.headers['content-disposition']).toBe(`inline; filename="statement-${acme}-2026-11-01-2026-11-30.pdf"`);
    const text = execFileSync('pdftotext', ['-layout', '-', '-'], { input: got.bytes }).toString('utf8').replace(/\s+/g, ' ');
    for (const words of [
      'Statement Period 1 – 30 Nov 2026', 'FROM TO Cloudy Hosting GmbH Acme GmbH',
      'Opening balance Money in Money out Closing balance €0.00 €2,000.00 -€683.00 €1,317.00',
      '2 Nov 2026 top-up 2,000.00 2,000.00 RCT-2026-000003', // the operator's credit and its receipt
      '2 Nov 2026 Plan 1: 2026-11-02 13:00 to 2026-11-03 00:00 -11.00 1,989.00', 'Page 1 of 2',
      '30 Nov 2026 Billing run 2026-11-30 -24.00 1,317.00 INV-2026-000002', // the last night's charge leaves the closing balance
    ]) expect(text).toContain(words);
  });

  it.each([
    ['backwards', `from=2026-12-02&to=2026-12-01`, 400],
    ['over 366 days', `from=2026-01-01&to=2027-01-02`, 400],
    ['not days', `from=2026-02-30&to=2026-03-01`, 400],
  ])('refuses a period %s', async (_name, query, status) => {
    const got = await s.call<{ code: string; field: string }>('GET', `/v1/accounts/${acme}/statement?${query}`);
    expect(got.status).toBe(status);
    expect(got.body.code).toBe('validation_failed');
  });

  it('answers 404 for an account that does not exist', async () => {
    expect((await s.call('GET', '/v1/accounts/999999/statement')).status).toBe(404);
    expect((await s.call('GET', '/v1/accounts/999999/statement/pdf')).status).toBe(404);
  });
});

describe('a seat added mid-month (seed 002)', () => {
  it('gets its own invoice at once, for the seats added and the rest of the day', async () => {
    await s.expectStatus(201, 'POST', '/v1/services', { code: 'seats', name: 'Seats', unit: 'seat' });
    const { id: seatPlan } = await s.expectStatus<{ id: number }>(201, 'POST', '/v1/plans', {
      code: 'team', name: 'Team', kind: 'preset', cadence: 'daily', timing: 'in_advance',
      prices: [{ currency: 'EUR', definition: { base_price: '2.40', items: [{ service: 'seats', unit_price: '0.48', included: 1, max: 20, default: 1 }] } }],
    });
    const team = await s.fundedAccount('100000');
    await s.expectStatus(200, 'PUT', `/v1/accounts/${team}/billing-details`, { ...ACME, legal_name: 'Team GmbH' });
    const created = await s.subscribe(team, seatPlan); // 06:30: 240 x 17.5/24 = 175
    expect(created.amount).toBe('175');
    const added = await s.expectStatus<{ amount: string }>(200, 'POST', `/v1/subscriptions/${created.subscription.id}/configure`, { quantities: { seats: 4 } }, { 'idempotency-key': 'team-seats' });
    expect(added.amount).toBe('105'); // 3 seats more x 48 x 17.5/24 = 105
    const invoices = await documentsOf(team, '&kind=invoice');
    expect(invoices.map((d) => d.totals.gross)).toEqual(['175', '105']); // two invoices, each at once, none waiting for the month
    expect(invoices[1]!.lines).toMatchObject([{ gross: '105', net: '88', tax: '17' }]); // 105 / 1.19 = 88.24 -> 88
    expect(await ledgerAmountOf(team, invoices[1]!)).toBe(105n);
  });
});
