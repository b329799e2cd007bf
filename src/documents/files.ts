// A document's files (SPEC 9): its PDF is rendered on the first request and kept in
// document_files, so every later download, and the mail that carries it, is the same bytes,
// even after the provider changes its logo. Two first requests at once render twice and keep
// the one that was written first.
import { and, asc, eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { documentFiles, documentLines, documents } from '../db/schema.js';
import { documentJson } from './document-routes.js';
import { loadLogo } from './logo.js';
import { renderDocumentPdf } from './pdf.js';

export interface DocumentPdf {
  /** `INV-2026-000012.pdf`; a pro-forma invoice has no number: `pro-forma-7.pdf`. */
  filename: string;
  content: Buffer;
}

/** The issued document's PDF, or undefined when there is no such document. */
export async function documentPdf(db: Db, documentId: number, now: Date): Promise<DocumentPdf | undefined> {
  const [document] = await db.select().from(documents).where(eq(documents.id, documentId));
  if (!document) return undefined;
  const filename = `${document.number ?? `pro-forma-${document.id}`}.pdf`;
  const kept = await keptPdf(db, document.accountId, documentId);
  if (kept) return { filename, content: kept };

  const lines = await db.select().from(documentLines).where(eq(documentLines.documentId, documentId)).orderBy(asc(documentLines.line));
  const [corrected] = document.correctsDocumentId === null ? [] : await db.select({ number: documents.number }).from(documents).where(eq(documents.id, document.correctsDocumentId));
  const content = await renderDocumentPdf({ ...documentJson(document, lines), corrects_number: corrected?.number ?? null }, await loadLogo(db));
  const [written] = await db
    .insert(documentFiles)
    .values({ accountId: document.accountId, documentId, format: 'pdf', content, createdAt: now })
    .onConflictDoNothing()
    .returning({ content: documentFiles.content });
  return { filename, content: written?.content ?? (await keptPdf(db, document.accountId, documentId))! };
}

async function keptPdf(db: Db, accountId: number, documentId: number): Promise<Buffer | undefined> {
  const [row] = await db
    .select({ content: documentFiles.content })
    .from(documentFiles)
    .where(and(eq(documentFiles.accountId, accountId), eq(documentFiles.documentId, documentId), eq(documentFiles.format, 'pdf')));
  return row?.content;
}
