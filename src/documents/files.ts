// A document's files (SPEC 9): its PDF, and for an invoice or credit note its UBL and Factur-X
// e-invoices, each made on its first request and kept in document_files, so every later
// download, and the mail that carries the PDF, is the same bytes, even after the provider
// changes its logo. Two first requests at once render twice and keep the one written first.
import { and, asc, eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { type DocumentFormat, accountBillingDetails, accounts, documentFiles, documentLines, documents } from '../db/schema.js';
import { type Result, ok } from '../shared/result.js';
import { documentJson } from './document-routes.js';
import { renderEInvoice, ublDocument } from './e-invoice.js';
import { loadLogo } from './logo.js';
import { type PrintedDocument, renderDocumentPdf } from './pdf.js';

export interface DocumentFile {
  /** `INV-2026-000012.pdf`, `INV-2026-000012.xml`, `INV-2026-000012-factur-x.pdf`; a pro-forma invoice has no number: `pro-forma-7.pdf`. */
  filename: string;
  contentType: string;
  content: Buffer;
}

const FILES: Record<DocumentFormat, { suffix: string; contentType: string }> = {
  pdf: { suffix: '.pdf', contentType: 'application/pdf' },
  ubl: { suffix: '.xml', contentType: 'application/xml' },
  facturx: { suffix: '-factur-x.pdf', contentType: 'application/pdf' },
};

type DocumentRow = typeof documents.$inferSelect;

/** The issued document's file in `format`; refused when the document has none in it. */
export async function documentFile(db: Db, document: DocumentRow, format: DocumentFormat, now: Date): Promise<Result<DocumentFile>> {
  const { suffix, contentType } = FILES[format];
  const filename = `${document.number ?? `pro-forma-${document.id}`}${suffix}`;
  const kept = await keptFile(db, document, format);
  if (kept) return ok({ filename, contentType, content: kept });

  const rendered = await render(db, document, format, now);
  if (!rendered.ok) return rendered;
  const [written] = await db
    .insert(documentFiles)
    .values({ accountId: document.accountId, documentId: document.id, format, content: rendered.value, createdAt: now })
    .onConflictDoNothing()
    .returning({ content: documentFiles.content });
  return ok({ filename, contentType, content: written?.content ?? (await keptFile(db, document, format))! });
}

/** The document's PDF by its id, for the mail that carries it; undefined when there is no such document. */
export async function documentPdf(db: Db, documentId: number, now: Date): Promise<{ filename: string; content: Buffer } | undefined> {
  const [document] = await db.select().from(documents).where(eq(documents.id, documentId));
  if (!document) return undefined;
  const file = await documentFile(db, document, 'pdf', now);
  return file.ok ? file.value : undefined;
}

async function render(db: Db, document: DocumentRow, format: DocumentFormat, now: Date): Promise<Result<Buffer>> {
  const lines = await db.select().from(documentLines).where(eq(documentLines.documentId, document.id)).orderBy(asc(documentLines.line));
  const [corrected] = document.correctsDocumentId === null ? [] : await db.select({ number: documents.number, issuedAt: documents.issuedAt }).from(documents).where(eq(documents.id, document.correctsDocumentId));
  const printed: PrintedDocument = { ...documentJson(document, lines), corrects_number: corrected?.number ?? null };
  if (format === 'pdf') return ok(await renderDocumentPdf(printed, await loadLogo(db)));
  const ubl = ublDocument({ ...printed, corrects_issued_on: corrected ? corrected.issuedAt.toISOString().slice(0, 10) : null, buyer_email: await buyerEmail(db, document.accountId) });
  if (!ubl.ok) return ubl;
  if (format === 'ubl') return ok(await renderEInvoice(ubl.value, 'ubl', document.language));
  // Factur-X: the document's own PDF (kept, so the visible part is the file the customer has) with the CII XML inside.
  const pdf = await documentFile(db, document, 'pdf', now);
  if (!pdf.ok) return pdf;
  return ok(await renderEInvoice(ubl.value, 'facturx', document.language, pdf.value));
}

/** The account's first document e-mail, else its first billing e-mail. */
async function buyerEmail(db: Db, accountId: number): Promise<string | null> {
  const [row] = await db
    .select({ documentEmails: accountBillingDetails.documentEmails, billingEmails: accounts.billingEmails })
    .from(accounts)
    .leftJoin(accountBillingDetails, eq(accountBillingDetails.accountId, accounts.id))
    .where(eq(accounts.id, accountId));
  return row?.documentEmails?.[0] ?? row?.billingEmails[0] ?? null;
}

async function keptFile(db: Db, document: DocumentRow, format: DocumentFormat): Promise<Buffer | undefined> {
  const [row] = await db
    .select({ content: documentFiles.content })
    .from(documentFiles)
    .where(and(eq(documentFiles.accountId, document.accountId), eq(documentFiles.documentId, document.id), eq(documentFiles.format, format)));
  return row?.content;
}
