// Invoices and credit notes as EN 16931 e-invoices (SPEC 9, issue 9): UBL 2.1 (an Invoice, or
// a CreditNote for type 381) and Factur-X (the CII XML inside a PDF/A-3, the document's own
// PDF as the visible part), made with @e-invoice-eu/core from the issued document alone.
// `ublDocument` maps the document to the library's EN 16931 model (a pure function); the
// business terms it fills are listed in the README. Amounts are the document's, so the
// e-invoice says what the PDF, the JSON and the ledger say:
// - a line's net amount (BT-131) is the document line's net, priced per its whole quantity
//   (BT-146 item net price = the line net, BT-149 base quantity = the quantity), so quantity ×
//   price / base quantity is exact however the day's price was rounded;
// - the VAT breakdown (BG-23) is the document's one category, with its taxable amount and VAT
//   as the sums of the lines (the per-line rounding of src/documents/tax.ts);
// - everything was paid from the prepaid balance when charged: the paid amount (BT-113) is the
//   gross and the amount due (BT-115) is zero.
import type { Invoice } from '@e-invoice-eu/core';
import { formatMinor } from '../money/money.js';
import type { PrintedDocument } from './pdf.js';
import type { PrintedParty } from './sheet.js';
import { type Result, fail, ok } from '../shared/result.js';

export type EInvoiceFormat = 'ubl' | 'facturx';

type UblInvoice = Invoice['ubl:Invoice'];
type Currency = NonNullable<UblInvoice['cac:LegalMonetaryTotal']['cbc:PayableAmount@currencyID']>;
type UnitCode = NonNullable<UblInvoice['cac:InvoiceLine'][number]['cbc:InvoicedQuantity@unitCode']>;
type Category = UblInvoice['cac:InvoiceLine'][number]['cac:Item']['cac:ClassifiedTaxCategory']['cbc:ID'];

/** UN/ECE Recommendation 20 codes for the units lines count. */
const UNIT_CODES: Record<string, UnitCode> = { day: 'DAY', month: 'MON', hour: 'HUR', period: 'C62', unit: 'C62' };
/** VATEX codes (BT-121) for the categories that carry an exemption reason. */
const EXEMPTION: Partial<Record<string, { code: string; reason: string }>> = {
  AE: { code: 'VATEX-EU-AE', reason: 'Reverse charge' },
  O: { code: 'VATEX-EU-O', reason: 'Not subject to VAT' },
};

export interface EInvoiceSource extends PrintedDocument {
  /** A credit note: the issue day of the invoice it corrects (BT-26). */
  corrects_issued_on: string | null;
  /** Where the buyer receives documents (BT-49, scheme EM): its first document e-mail, else its first billing e-mail. */
  buyer_email: string | null;
}

/** The document in the library's EN 16931 (UBL) model; refused when it cannot be one. Pure. */
export function ublDocument(document: EInvoiceSource): Result<Invoice> {
  if (document.kind !== 'invoice' && document.kind !== 'credit_note') {
    return fail('not_found', `document ${document.id} is a ${document.kind.replace('_', ' ')}: only invoices and credit notes have an e-invoice`);
  }
  if (!document.buyer.country) {
    return fail('invalid_state', `document ${document.number} was issued before the account had billing details: an e-invoice needs the buyer's country (EN 16931 BR-11)`);
  }
  const seller = document.seller as PrintedParty;
  // UBL here is Peppol BIS Billing 3.0's EN 16931 profile: both parties need an electronic address.
  if (!seller.email) return fail('invalid_state', "the provider's legal details had no e-mail when the document was issued: a UBL e-invoice needs the seller's electronic address (BT-34)");
  if (!document.buyer_email) return fail('invalid_state', `account ${document.account_id} has no document or billing e-mail: a UBL e-invoice needs the buyer's electronic address (BT-49)`);
  const currency = document.currency as Currency;
  const money = (minor: string | bigint) => formatMinor(BigInt(minor), document.currency);
  const category = document.tax.category as Category;
  const percent = category === 'O' ? {} : { 'cbc:Percent': document.tax.rate };
  const exemption = EXEMPTION[category];
  const lines = document.lines.map((line) => ({
    'cbc:ID': String(line.line),
    ...(BigInt(line.discount) > 0n ? { 'cbc:Note': `Volume discount of ${money(line.discount)} ${document.currency} included` } : {}),
    'cbc:InvoicedQuantity': line.quantity,
    'cbc:InvoicedQuantity@unitCode': UNIT_CODES[line.unit] ?? 'C62',
    'cbc:LineExtensionAmount': money(line.net),
    'cbc:LineExtensionAmount@currencyID': currency,
    ...(line.period_start ? { 'cac:InvoicePeriod': { 'cbc:StartDate': line.period_start, 'cbc:EndDate': line.period_end ?? line.period_start } } : {}),
    'cac:Item': {
      'cbc:Name': line.description,
      ...(line.service ? { 'cac:SellersItemIdentification': { 'cbc:ID': line.service } } : {}),
      'cac:ClassifiedTaxCategory': { 'cbc:ID': category, ...percent, 'cac:TaxScheme': { 'cbc:ID': 'VAT' } },
    },
    'cac:Price': { 'cbc:PriceAmount': money(line.net), 'cbc:PriceAmount@currencyID': currency, 'cbc:BaseQuantity': line.quantity, 'cbc:BaseQuantity@unitCode': UNIT_CODES[line.unit] ?? 'C62' },
  }));
  const [first, ...rest] = lines;
  if (!first) return fail('invalid_state', `document ${document.number} has no lines`);
  const invoice: UblInvoice = {
    'cbc:ID': document.number!,
    'cbc:IssueDate': document.issued_at.slice(0, 10),
    'cbc:InvoiceTypeCode': document.kind === 'credit_note' ? '381' : '380',
    ...(document.tax.note ? { 'cbc:Note': [document.tax.note] } : {}),
    'cbc:DocumentCurrencyCode': currency,
    'cbc:BuyerReference': String(document.account_id),
    'cac:InvoicePeriod': { 'cbc:StartDate': document.period_start, 'cbc:EndDate': document.period_end },
    ...(document.corrects_number ? { 'cac:BillingReference': [{ 'cac:InvoiceDocumentReference': { 'cbc:ID': document.corrects_number, ...(document.corrects_issued_on ? { 'cbc:IssueDate': document.corrects_issued_on } : {}) } }] } : {}),
    'cac:AccountingSupplierParty': { 'cac:Party': ublParty(seller, seller.email, true) },
    'cac:AccountingCustomerParty': { 'cac:Party': ublParty(document.buyer as PrintedParty, document.buyer_email, false) },
    'cac:TaxTotal': [
      {
        'cbc:TaxAmount': money(document.totals.tax),
        'cbc:TaxAmount@currencyID': currency,
        'cac:TaxSubtotal': [
          {
            'cbc:TaxableAmount': money(document.totals.net),
            'cbc:TaxableAmount@currencyID': currency,
            'cbc:TaxAmount': money(document.totals.tax),
            'cbc:TaxAmount@currencyID': currency,
            'cac:TaxCategory': { 'cbc:ID': category, ...percent, ...(exemption ? { 'cbc:TaxExemptionReasonCode': exemption.code, 'cbc:TaxExemptionReason': exemption.reason } : {}), 'cac:TaxScheme': { 'cbc:ID': 'VAT' } },
          },
        ],
      },
    ],
    'cac:LegalMonetaryTotal': {
      'cbc:LineExtensionAmount': money(document.totals.net),
      'cbc:LineExtensionAmount@currencyID': currency,
      'cbc:TaxExclusiveAmount': money(document.totals.net),
      'cbc:TaxExclusiveAmount@currencyID': currency,
      'cbc:TaxInclusiveAmount': money(document.totals.gross),
      'cbc:TaxInclusiveAmount@currencyID': currency,
      'cbc:PrepaidAmount': money(document.totals.gross),
      'cbc:PrepaidAmount@currencyID': currency,
      'cbc:PayableAmount': money(0n),
      'cbc:PayableAmount@currencyID': currency,
    },
    'cac:InvoiceLine': [first, ...rest],
  } as UblInvoice;
  return ok({ 'ubl:Invoice': invoice });
}

function ublParty(party: PrintedParty, email: string, seller: boolean) {
  return {
    'cbc:EndpointID': email,
    'cbc:EndpointID@schemeID': 'EM',
    'cac:PostalAddress': {
      ...(party.address_line1 ? { 'cbc:StreetName': party.address_line1 } : {}),
      ...(party.address_line2 ? { 'cbc:AdditionalStreetName': party.address_line2 } : {}),
      ...(party.city ? { 'cbc:CityName': party.city } : {}),
      ...(party.postal_code ? { 'cbc:PostalZone': party.postal_code } : {}),
      ...(party.region ? { 'cbc:CountrySubentity': party.region } : {}),
      'cac:Country': { 'cbc:IdentificationCode': party.country! },
    },
    // The seller's VAT identifiers are a list (BT-31, BT-32), the buyer's one (BT-48).
    ...(party.vat_id ? { 'cac:PartyTaxScheme': seller ? [{ 'cbc:CompanyID': party.vat_id, 'cac:TaxScheme': { 'cbc:ID': 'VAT' } }] : { 'cbc:CompanyID': party.vat_id, 'cac:TaxScheme': { 'cbc:ID': 'VAT' } } } : {}),
    'cac:PartyLegalEntity': { 'cbc:RegistrationName': party.legal_name, ...(seller && party.registration ? { 'cbc:CompanyLegalForm': party.registration } : {}) },
  };
}

const LANG = { en: 'en-gb', uk: 'uk-ua' } as const;
// The library reports what it fixes or warns about; Kassa's logs are its own.
const quiet = { log: () => {}, warn: () => {}, error: () => {} };

/** The UBL XML, or the Factur-X PDF made from the document's own PDF. */
export async function renderEInvoice(invoice: Invoice, format: EInvoiceFormat, language: 'en' | 'uk', pdf?: { content: Buffer; filename: string }): Promise<Buffer> {
  // Loaded on first use: the library and what it brings (a PDF and a spreadsheet reader) are
  // a quarter of the time every `kassa` command and server start would otherwise take.
  const { InvoiceService } = await import('@e-invoice-eu/core');
  const service = new InvoiceService(quiet);
  const options = format === 'ubl'
    ? { format: 'UBL', lang: LANG[language] }
    : { format: 'Factur-X-EN16931', lang: LANG[language], pdf: { buffer: new Uint8Array(pdf!.content), filename: pdf!.filename, mimetype: 'application/pdf' } };
  // The library validates against its schema; a refusal is Kassa's mapping at fault, never the caller's request
  // (its error carries `validation`, which Fastify would answer as a 400).
  const rendered = await service.generate(structuredClone(invoice), options).catch((error: { message: string; errors?: { instancePath?: string; message: string }[] }) => {
    const errors = error.errors?.map((e) => `${e.instancePath ?? ''} ${e.message}`.trim()).join('; ');
    throw new Error(`the ${format} e-invoice was refused by @e-invoice-eu/core: ${error.message}${errors ? `: ${errors}` : ''}`);
  });
  return typeof rendered === 'string' ? Buffer.from(rendered, 'utf8') : Buffer.from(rendered);
}
