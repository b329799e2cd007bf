// The EN 16931 mapping (ublDocument), table-tested: what it refuses, and how each VAT
// category and a credit note are written.
import { describe, expect, it } from 'vitest';
import { type EInvoiceSource, ublDocument } from './e-invoice.js';
import { REVERSE_CHARGE_NOTE } from './tax.js';

const party = { address_line1: 'Torstr. 5', address_line2: null, postal_code: '10119', city: 'Berlin', region: null, country: 'DE', vat_id: null };
const base: EInvoiceSource = {
  id: 12, account_id: 41, kind: 'invoice', number: 'INV-2026-000012', issued_at: '2026-12-01T00:00:00.000Z', currency: 'EUR', language: 'en',
  seller: { ...party, legal_name: 'Cloudy Hosting GmbH', vat_id: 'DE136695976', email: 'billing@cloudy.example' } as EInvoiceSource['seller'],
  buyer: { ...party, legal_name: 'Acme GmbH' },
  tax: { category: 'S', rate: '19', note: null }, totals: { net: '2521', tax: '479', gross: '3000' },
  period_start: '2026-11-01', period_end: '2026-11-30', corrects_document_id: null, top_up_id: null, payment: null, corrects_number: null, corrects_issued_on: null, buyer_email: 'accounts@acme.example',
  lines: [{ line: 1, service: 'basic', description: 'Basic', period_start: '2026-11-01', period_end: '2026-11-30', quantity: '30', unit: 'day', unit_price: '100', price: '3000', discount: '0', net: '2521', tax: '479', gross: '3000', transaction_ids: [1] }],
};

describe('ublDocument', () => {
  it.each([
    ['a receipt', { kind: 'receipt' as const }, 'not_found', 'only invoices and credit notes'],
    ['a pro-forma invoice', { kind: 'pro_forma' as const, number: null }, 'not_found', 'only invoices and credit notes'],
    ['a buyer without a country', { buyer: { ...base.buyer, country: null } }, 'invalid_state', 'BR-11'],
    ['a seller without an e-mail', { seller: { ...base.seller, email: null } as EInvoiceSource['seller'] }, 'invalid_state', 'BT-34'],
    ['a buyer without an e-mail', { buyer_email: null }, 'invalid_state', 'BT-49'],
  ])('refuses %s', (_name, change, code, words) => {
    const made = ublDocument({ ...base, ...change });
    expect(made.ok).toBe(false);
    if (!made.ok) expect(made.failure).toMatchObject({ code, detail: expect.stringContaining(words) });
  });

  it.each([
    ['S', '19', { 'cbc:ID': 'S', 'cbc:Percent': '19' }],
    ['Z', '0', { 'cbc:ID': 'Z', 'cbc:Percent': '0' }],
    ['AE', '0', { 'cbc:ID': 'AE', 'cbc:Percent': '0', 'cbc:TaxExemptionReasonCode': 'VATEX-EU-AE', 'cbc:TaxExemptionReason': 'Reverse charge' }],
    ['O', '0', { 'cbc:ID': 'O', 'cbc:TaxExemptionReasonCode': 'VATEX-EU-O', 'cbc:TaxExemptionReason': 'Not subject to VAT' }], // no rate for O (BR-O-05)
  ])('writes category %s at %s%% with its exemption reason where it needs one', (category, rate, written) => {
    const made = ublDocument({ ...base, tax: { category, rate, note: category === 'AE' ? REVERSE_CHARGE_NOTE : null } });
    if (!made.ok) throw new Error(made.failure.detail);
    const ubl = made.value['ubl:Invoice'];
    expect(ubl['cac:TaxTotal'][0]['cac:TaxSubtotal']![0]!['cac:TaxCategory']).toEqual({ ...written, 'cac:TaxScheme': { 'cbc:ID': 'VAT' } });
    expect(ubl['cac:InvoiceLine'][0]['cac:Item']['cac:ClassifiedTaxCategory']).toEqual({ 'cbc:ID': category, ...(category === 'O' ? {} : { 'cbc:Percent': rate }), 'cac:TaxScheme': { 'cbc:ID': 'VAT' } });
    if (category === 'AE') expect(ubl['cbc:Note']).toEqual([REVERSE_CHARGE_NOTE]);
  });

  it('writes a credit note as type 381 with the invoice it corrects, and a line priced per its whole quantity', () => {
    const made = ublDocument({ ...base, kind: 'credit_note', number: 'CN-2026-000003', corrects_number: 'INV-2026-000012', corrects_issued_on: '2026-12-01' });
    if (!made.ok) throw new Error(made.failure.detail);
    const ubl = made.value['ubl:Invoice'];
    expect(ubl['cbc:InvoiceTypeCode']).toBe('381');
    expect(ubl['cac:BillingReference']).toEqual([{ 'cac:InvoiceDocumentReference': { 'cbc:ID': 'INV-2026-000012', 'cbc:IssueDate': '2026-12-01' } }]);
    // 30 days at 25.21 per 30 days: 30 x 25.21 / 30 = 25.21, the line's net, exact.
    expect(ubl['cac:InvoiceLine'][0]['cac:Price']).toMatchObject({ 'cbc:PriceAmount': '25.21', 'cbc:BaseQuantity': '30', 'cbc:BaseQuantity@unitCode': 'DAY' });
    expect(ubl['cac:LegalMonetaryTotal']).toMatchObject({ 'cbc:TaxInclusiveAmount': '30.00', 'cbc:PrepaidAmount': '30.00', 'cbc:PayableAmount': '0.00' });
  });

  it("writes the seller's VAT id as a list (BT-31) and the buyer's as one (BT-48)", () => {
    const made = ublDocument({ ...base, buyer: { ...base.buyer, vat_id: 'DE811128135' } });
    if (!made.ok) throw new Error(made.failure.detail);
    const ubl = made.value['ubl:Invoice'];
    expect(ubl['cac:AccountingSupplierParty']['cac:Party']['cac:PartyTaxScheme']).toEqual([{ 'cbc:CompanyID': 'DE136695976', 'cac:TaxScheme': { 'cbc:ID': 'VAT' } }]);
    expect(ubl['cac:AccountingCustomerParty']['cac:Party']['cac:PartyTaxScheme']).toEqual({ 'cbc:CompanyID': 'DE811128135', 'cac:TaxScheme': { 'cbc:ID': 'VAT' } });
  });
});
