// Documents over HTTP (SPEC 9): an account's documents, page by page and filtered by kind and
// issue date, one document with its lines, and every account's for the provider's staff.
// Reading them needs `documents:read` (owners and billing members, docs/permissions.md).
import { type SQL, and, asc, eq, gt, gte, inArray, lt } from 'drizzle-orm';
import type { Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { type Static, Type } from 'typebox';
import type { Db } from '../db/client.js';
import { type DocumentFormat, type DocumentKind, accounts, documentLines, documents } from '../db/schema.js';
import { type KassaApp, mayActOn } from '../http/kassa-app.js';
import { PageQuery, page, pageOf } from '../shared/pagination.js';
import { periodProblem } from '../shared/period.js';
import { problemResponses, sendProblem } from '../shared/problem.js';
import type { Failure } from '../shared/result.js';
import { documentFile } from './files.js';
import { JOURNAL_COLUMNS, journalCsv } from './journal.js';

export const IdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) });
export const Minor = (description: string) => Type.String({ pattern: '^-?[0-9]+$', description: `${description}, integer minor units` });
const Day = (description: string) => Type.String({ format: 'date', description });
const Kind = Type.Union([Type.Literal('invoice'), Type.Literal('credit_note'), Type.Literal('receipt'), Type.Literal('pro_forma')]);
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

const Party = Type.Object(
  {
    legal_name: Type.String(),
    address_line1: Nullable(Type.String()),
    address_line2: Nullable(Type.String()),
    postal_code: Nullable(Type.String()),
    city: Nullable(Type.String()),
    region: Nullable(Type.String()),
    country: Nullable(Type.String()),
    vat_id: Nullable(Type.String()),
  },
  { additionalProperties: true, description: 'as it was when the document was issued' },
);
const LineSchema = Type.Object({
  line: Type.Integer(),
  service: Nullable(Type.String({ description: 'the plan or meter code' })),
  description: Type.String(),
  period_start: Nullable(Day('the first UTC day of the periods charged or the usage')),
  period_end: Nullable(Day('the last UTC day, included')),
  quantity: Type.String({ description: 'exact decimal' }),
  unit: Type.String({ description: 'day, month, period, unit, or the meter unit' }),
  unit_price: Nullable(Minor('price / quantity where that is exact, tax-inclusive')),
  price: Minor('before the discount, tax-inclusive'),
  discount: Minor('what volume discounts took off'),
  net: Minor('gross less its VAT'),
  tax: Minor('the VAT in the gross'),
  gross: Minor('price less discount: what the ledger moved'),
  transaction_ids: Type.Array(Type.Integer(), { description: 'the ledger transactions the line comes from' }),
});
const DocumentSchema = Type.Object(
  {
    id: Type.Integer(),
    account_id: Type.Integer(),
    kind: Kind,
    number: Nullable(Type.String({ description: 'from the kind’s gapless series; null for a pro-forma invoice' })),
    issued_at: Type.String({ format: 'date-time' }),
    currency: Type.String(),
    language: Type.Union([Type.Literal('en'), Type.Literal('uk')]),
    seller: Party,
    buyer: Party,
    tax: Type.Object({ category: Type.String({ description: 'EN 16931 VAT category: S, Z, AE, O' }), rate: Type.String({ description: 'percent' }), note: Nullable(Type.String()) }),
    totals: Type.Object({ net: Minor('net'), tax: Minor('VAT'), gross: Minor('gross: the sum of the lines, what the ledger moved') }),
    period_start: Day('the first UTC day the document covers'),
    period_end: Day('the last UTC day it covers, included'),
    corrects_document_id: Nullable(Type.Integer({ description: 'a credit note: the invoice it corrects' })),
    top_up_id: Nullable(Type.Integer({ description: 'a receipt or pro-forma invoice: its top-up' })),
    payment: Nullable(Type.Object({}, { additionalProperties: true, description: "a receipt: the method; a pro-forma: the bank account and the reference to pay with" })),
    lines: Type.Array(LineSchema),
  },
  {
    title: 'Document',
    examples: [
      {
        id: 12, account_id: 41, kind: 'invoice', number: 'INV-2026-000012', issued_at: '2026-12-01T00:00:00.000Z', currency: 'EUR', language: 'en',
        seller: { legal_name: 'Cloudy Hosting GmbH', address_line1: 'Torstr. 5', address_line2: null, postal_code: '10119', city: 'Berlin', region: null, country: 'DE', vat_id: 'DE136695976' },
        buyer: { legal_name: 'Acme GmbH', address_line1: 'Hauptstr. 1', address_line2: null, postal_code: '10115', city: 'Berlin', region: null, country: 'DE', vat_id: null },
        tax: { category: 'S', rate: '19', note: null },
        totals: { net: '2521', tax: '479', gross: '3000' },
        period_start: '2026-11-01', period_end: '2026-11-30', corrects_document_id: null, top_up_id: null, payment: null,
        lines: [{ line: 1, service: 'basic', description: 'Basic', period_start: '2026-11-01', period_end: '2026-11-30', quantity: '30', unit: 'day', unit_price: '100', price: '3000', discount: '0', net: '2521', tax: '479', gross: '3000', transaction_ids: [101, 188] }],
      },
    ],
  },
);
const ListQuery = Type.Object({
  ...PageQuery.properties,
  kind: Type.Optional(Kind),
  from: Type.Optional(Day('issued on or after this UTC day')),
  to: Type.Optional(Day('issued before this UTC day')),
});
const JournalQuery = Type.Object({
  from: Day('the first UTC day, included'),
  to: Day('the last UTC day, included'),
});
const StaffListQuery = Type.Object({ ...ListQuery.properties, account_id: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })) });

type DocumentRow = typeof documents.$inferSelect;
type PartyJson = Static<typeof Party>;
type LineRow = typeof documentLines.$inferSelect;

/** price / quantity where that is a whole number of minor units. Pure. */
export function unitPrice(price: bigint, quantity: string): string | null {
  if (!/^\d+(\.0+)?$/.test(quantity)) return null;
  const q = BigInt(quantity.split('.')[0]!);
  return q > 0n && price % q === 0n ? (price / q).toString() : null;
}

export type DocumentJson = ReturnType<typeof documentJson>;

export function documentJson(d: DocumentRow, lines: readonly LineRow[]) {
  return {
    id: d.id, account_id: d.accountId, kind: d.kind, number: d.number, issued_at: d.issuedAt.toISOString(), currency: d.currency, language: d.language,
    seller: d.seller as PartyJson, buyer: d.buyer as PartyJson,
    tax: { category: d.taxCategory, rate: d.taxRate, note: d.taxNote },
    totals: { net: d.net.toString(), tax: d.tax.toString(), gross: d.gross.toString() },
    period_start: d.periodStart, period_end: d.periodEnd, corrects_document_id: d.correctsDocumentId, top_up_id: d.topUpId,
    payment: (d.payment as Record<string, unknown> | null) ?? null,
    lines: lines.map((l) => ({
      line: l.line, service: l.service, description: l.description, period_start: l.periodStart, period_end: l.periodEnd, quantity: l.quantity.replace(/\.?0+$/, ''), unit: l.unit,
      unit_price: unitPrice(l.price, l.quantity), price: l.price.toString(), discount: l.discount.toString(), net: l.net.toString(), tax: l.tax.toString(), gross: l.gross.toString(), transaction_ids: l.transactionIds,
    })),
  };
}

/** Documents matching `where`, oldest first, a page at a time, with their lines. */
async function listDocuments(db: Db, where: SQL[], query: { limit: number; cursor?: string; kind?: DocumentKind; from?: string; to?: string }) {
  const filters = [...where];
  if (query.cursor) filters.push(gt(documents.id, Number(query.cursor)));
  if (query.kind) filters.push(eq(documents.kind, query.kind));
  if (query.from) filters.push(gte(documents.issuedAt, new Date(`${query.from}T00:00:00Z`)));
  if (query.to) filters.push(lt(documents.issuedAt, new Date(`${query.to}T00:00:00Z`)));
  const rows = await db.select().from(documents).where(and(...filters)).orderBy(asc(documents.id)).limit(query.limit + 1);
  const lines = rows.length === 0 ? [] : await db.select().from(documentLines).where(inArray(documentLines.documentId, rows.map((r) => r.id))).orderBy(asc(documentLines.documentId), asc(documentLines.line));
  return page(rows.map((r) => documentJson(r, lines.filter((l) => l.documentId === r.id))), query.limit);
}

/** The document, when the caller may read its account's documents; another account's is not found, so its existence is not told. */
async function readableDocument(db: Db, request: FastifyRequest, id: number): Promise<DocumentRow | Failure> {
  const noDocument: Failure = { code: 'not_found', detail: `no document ${id}` };
  const [row] = await db.select().from(documents).where(eq(documents.id, id));
  if (!row) return noDocument;
  const denied = await mayActOn(request, 'documents:read', row.accountId);
  if (denied) return denied.code === 'not_found' ? noDocument : denied;
  return row;
}

export async function documentReadRoutes(app: KassaApp) {
  app.get(
    '/accounts/:id/documents',
    {
      config: { access: 'documents:read' },
      schema: { tags: ['documents'], summary: "An account's invoices, credit notes, receipts and pro-forma invoices, oldest first", params: IdParams, querystring: ListQuery, response: { 200: pageOf(DocumentSchema), ...problemResponses(403, 404) } },
    },
    async (request, reply) => {
      const [account] = await app.kassa.db.select({ id: accounts.id }).from(accounts).where(eq(accounts.id, request.params.id));
      if (!account) return sendProblem(reply, { code: 'not_found', detail: `no account ${request.params.id}` });
      return listDocuments(app.kassa.db, [eq(documents.accountId, request.params.id)], request.query);
    },
  );

  app.get(
    '/documents',
    { schema: { tags: ['documents'], summary: "Every account's documents, oldest first (staff)", querystring: StaffListQuery, response: { 200: pageOf(DocumentSchema), ...problemResponses(403) } } },
    async (request) => listDocuments(app.kassa.db, request.query.account_id ? [eq(documents.accountId, request.query.account_id)] : [], request.query),
  );

  app.get(
    '/documents/journal',
    {
      schema: {
        tags: ['documents'],
        summary: 'The accountant’s journal of a period: every numbered document issued, as CSV (staff)',
        description:
          'One row per invoice, credit note and receipt issued on the UTC days `from` to `to` (both included, at most 366), in the order issued: number, kind, issue day, account, customer (name, VAT id, country as on the document), VAT category and rate, net, tax, gross in the currency’s decimal units (a credit note’s negative), currency, and the invoice a credit note corrects. Pro-forma invoices, having no number, are not in it.',
        querystring: JournalQuery,
        response: {
          200: { description: 'The journal as CSV, a header first', content: { 'text/csv': { schema: Type.Unsafe<Readable>({ title: 'DocumentJournalCsv', type: 'string', examples: [`${JOURNAL_COLUMNS.join(',')}\nINV-2026-000012,invoice,2026-12-01,41,Acme GmbH,DE136695976,DE,S,19,25.21,4.79,30.00,EUR,\n`] }) } } },
          ...problemResponses(403),
        },
      },
    },
    async (request, reply) => {
      const { from, to } = request.query;
      const refused = periodProblem(from, to, 'a journal');
      if (refused) return sendProblem(reply, refused);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="journal-${from}-${to}.csv"`)
        .send(journalCsv(app.kassa.db, from, to));
    },
  );

  app.get(
    '/documents/:id',
    { config: { access: 'authenticated' }, schema: { tags: ['documents'], summary: 'One document with its lines', params: IdParams, response: { 200: DocumentSchema, ...problemResponses(403, 404) } } },
    async (request, reply) => {
      const found = await readableDocument(app.kassa.db, request, request.params.id);
      if ('code' in found) return sendProblem(reply, found);
      const lines = await app.kassa.db.select().from(documentLines).where(eq(documentLines.documentId, found.id)).orderBy(asc(documentLines.line));
      return documentJson(found, lines);
    },
  );

  // The document's files: rendered once, the same bytes on every download (src/documents/files.ts).
  const files: { format: DocumentFormat; summary: string; description: string; media: string; title: string; problems: (403 | 404 | 409)[] }[] = [
    {
      format: 'pdf', media: 'application/pdf', title: 'DocumentPdf', problems: [403, 404],
      summary: 'The document as a PDF: rendered once, the same bytes on every download',
      description: 'A4, in the document’s language, with the seller’s logo, every line and the VAT summary. A pro-forma invoice’s file is named `pro-forma-{id}.pdf`, the others by their number.',
    },
    {
      format: 'ubl', media: 'application/xml', title: 'DocumentUbl', problems: [403, 404, 409],
      summary: 'An invoice or credit note as an EN 16931 e-invoice in UBL 2.1 (an Invoice, or a CreditNote)',
      description: 'The business terms Kassa fills are listed in the README. A receipt or pro-forma invoice has none (404); a document issued before the account had billing details, or without the parties’ e-mails, cannot be one: the 409 names the business term missing (the buyer’s country BT-55, the electronic addresses BT-34 and BT-49).',
    },
    {
      format: 'facturx', media: 'application/pdf', title: 'DocumentFacturX', problems: [403, 404, 409],
      summary: 'An invoice or credit note as Factur-X (EN 16931 profile): its PDF with the CII XML inside, as PDF/A-3',
      description: 'The visible part is the document’s own PDF; the XML is attached as `factur-x.xml`. Refused as the UBL form is.',
    },
  ];
  for (const file of files) {
    app.get(
      `/documents/:id/${file.format}`,
      {
        config: { access: 'authenticated' },
        schema: {
          tags: ['documents'],
          summary: file.summary,
          description: file.description,
          params: IdParams,
          response: {
            200: { description: 'The file, with its name in content-disposition', content: { [file.media]: { schema: Type.Unsafe<Buffer>({ title: file.title, type: 'string', format: 'binary', examples: ['(the file)'] }) } } },
            ...problemResponses(...file.problems),
          },
        },
      },
      async (request, reply) => {
        const found = await readableDocument(app.kassa.db, request, request.params.id);
        if ('code' in found) return sendProblem(reply, found);
        const made = await documentFile(app.kassa.db, found, file.format, app.kassa.clock.now());
        if (!made.ok) return sendProblem(reply, made.failure);
        const disposition = file.format === 'ubl' ? 'attachment' : 'inline';
        return reply.type(made.value.contentType).header('content-disposition', `${disposition}; filename="${made.value.filename}"`).send(made.value.content);
      },
    );
  }
}
