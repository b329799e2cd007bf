// Queues a mail inside the caller's transaction: it goes out only if the change that asked for
// it commits, and it is not lost when the mail server is down (src/notifications delivers).
import type { Db } from '../db/client.js';
import { mails } from '../db/schema.js';
import { type MailTemplate, renderMail } from './templates.js';

export interface MailRequest {
  to: string;
  template: MailTemplate;
  data: Record<string, string | number | null | undefined>;
  accountId?: number;
  userId?: number;
  /** A document's mail: its PDF is attached when the mail is sent (delivery.ts). */
  documentId?: number;
  at: Date;
}

export async function queueMail(tx: Db, request: MailRequest): Promise<number> {
  const { subject, text } = renderMail(request.template, request.data);
  const [row] = await tx
    .insert(mails)
    .values({
      to: request.to,
      template: request.template,
      subject,
      text,
      accountId: request.accountId ?? null,
      userId: request.userId ?? null,
      documentId: request.documentId ?? null,
      nextAttemptAt: request.at,
      createdAt: request.at,
    })
    .returning({ id: mails.id });
  return row!.id;
}
