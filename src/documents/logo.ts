// The provider's logo on its documents (SPEC 9), an operator's setting: a PNG or JPEG of at
// most 512 KB, checked by opening it as pdfkit will when it draws a document, so a logo that
// was accepted always renders.
import { readProviderSetting } from '../audit/provider-setting.js';
import type { Db } from '../db/client.js';
import { type Result, fail, ok } from '../shared/result.js';
import { pdfkit } from './sheet.js';

export const LOGO_SETTING = 'documents.logo';
export const LOGO_LIMIT_BYTES = 512 * 1024;
export const LOGO_TYPES = ['image/png', 'image/jpeg'] as const;

export interface Logo {
  contentType: (typeof LOGO_TYPES)[number];
  bytes: Buffer;
  width: number;
  height: number;
}

interface StoredLogo {
  content_type: Logo['contentType'];
  base64: string;
  width: number;
  height: number;
}

/** The image as a document will embed it; refused when pdfkit cannot read it or it is not what its content type says. */
export async function readLogo(bytes: Buffer, contentType: Logo['contentType']): Promise<Result<Logo>> {
  const png = bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const jpeg = bytes[0] === 0xff && bytes[1] === 0xd8;
  if ((contentType === 'image/png' && !png) || (contentType === 'image/jpeg' && !jpeg)) return fail('validation_failed', `the body is not a ${contentType} image`, { field: '/body' });
  const PDFDocument = await pdfkit();
  try {
    // openImage is pdfkit's own (it parses and caches the image); @types/pdfkit leaves it out.
    const pdf = new PDFDocument({ autoFirstPage: false }) as unknown as { openImage(source: Buffer): { width: number; height: number } };
    const image = pdf.openImage(bytes);
    return ok({ contentType, bytes, width: image.width, height: image.height });
  } catch (error) {
    return fail('validation_failed', `the image cannot be read: ${(error as Error).message}`, { field: '/body' });
  }
}

export const storedLogo = (logo: Logo): StoredLogo => ({ content_type: logo.contentType, base64: logo.bytes.toString('base64'), width: logo.width, height: logo.height });

export async function loadLogo(db: Db): Promise<Logo | undefined> {
  const stored = await readProviderSetting<StoredLogo>(db, LOGO_SETTING);
  return stored ? { contentType: stored.content_type, bytes: Buffer.from(stored.base64, 'base64'), width: stored.width, height: stored.height } : undefined;
}
