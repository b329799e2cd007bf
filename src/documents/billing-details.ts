// The customer's billing details (SPEC 9), kept per account and written on each document
// issued to it. Until an owner or billing member sets them, the account has none, and a
// document is issued to the account's name alone.
import { eq } from 'drizzle-orm';
import type { Actor } from '../audit/record.js';
import { recordAudit } from '../audit/record.js';
import type { Db } from '../db/client.js';
import { accountBillingDetails, accounts } from '../db/schema.js';
import { type Result, fail, ok } from '../shared/result.js';
import { type DocumentLanguage, type PostalParty, normalizeVatId, partyProblem } from './parties.js';

export interface BillingDetails extends PostalParty {
  language: DocumentLanguage;
  /** Where documents are mailed; none: the account's billing e-mails. */
  document_emails: string[];
}

type Row = typeof accountBillingDetails.$inferSelect;

const detailsOf = (row: Row): BillingDetails => ({
  legal_name: row.legalName,
  address_line1: row.addressLine1,
  address_line2: row.addressLine2,
  postal_code: row.postalCode,
  city: row.city,
  region: row.region,
  country: row.country,
  vat_id: row.vatId,
  language: row.language,
  document_emails: row.documentEmails,
});

export async function readBillingDetails(db: Db, accountId: number): Promise<BillingDetails | undefined> {
  const [row] = await db.select().from(accountBillingDetails).where(eq(accountBillingDetails.accountId, accountId));
  return row ? detailsOf(row) : undefined;
}

/** Sets an account's billing details (the VAT id kept normalized), audited; refused with the field at fault. */
export async function saveBillingDetails(db: Db, actor: Actor, accountId: number, input: BillingDetails, ip: string | null, at: Date): Promise<Result<BillingDetails>> {
  const details: BillingDetails = { ...input, vat_id: input.vat_id === null ? null : normalizeVatId(input.vat_id), document_emails: [...new Set(input.document_emails.map((e) => e.toLowerCase()))] };
  const problem = partyProblem(details);
  if (problem) return fail('validation_failed', problem.detail, { field: problem.field });
  return db.transaction(async (txAny) => {
    const tx = txAny as unknown as Db;
    const [account] = await tx.select({ id: accounts.id }).from(accounts).where(eq(accounts.id, accountId));
    if (!account) return fail('not_found', `no account ${accountId}`);
    const row = {
      legalName: details.legal_name,
      addressLine1: details.address_line1,
      addressLine2: details.address_line2,
      postalCode: details.postal_code,
      city: details.city,
      region: details.region,
      country: details.country,
      vatId: details.vat_id,
      language: details.language,
      documentEmails: details.document_emails,
      updatedAt: at,
    };
    await tx.insert(accountBillingDetails).values({ accountId, ...row }).onConflictDoUpdate({ target: accountBillingDetails.accountId, set: row });
    await recordAudit(tx, actor, { action: 'account.billing_details_changed', accountId, target: `account:${accountId}`, data: { country: details.country, vat_id: details.vat_id }, ip, at });
    return ok(details);
  });
}
