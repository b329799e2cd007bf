// Documents by mail (SPEC 9, issue 9): an issued invoice, credit note or receipt is mailed,
// in the document's language, with its PDF attached, to the account's document e-mails (none
// set: its billing e-mails and owners), once, over real SMTP; the attachment is the same file
// the API serves. A pro-forma invoice is not mailed again: the bank-transfer mail says it all.
import { execFileSync } from 'node:child_process';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mails, memberships, users } from '../src/db/schema.js';
import { deliverDue } from '../src/notifications/delivery.js';
import { type Harness, startHarness } from './support/harness.js';
import { type SmtpReceiver, startSmtpReceiver } from './support/smtp-receiver.js';

let h: Harness;
let smtp: SmtpReceiver;

async function account(name: string, billingEmails: string[], details: Record<string, unknown>): Promise<number> {
  const { id } = (await h.call('POST', '/v1/accounts', { name, currency: 'EUR', billing_emails: billingEmails })).body;
  expect((await h.call('PUT', `/v1/accounts/${id}/billing-details`, details)).status).toBe(200);
  return id;
}
const credit = async (accountId: number, amount: string, key: string) =>
  expect((await h.call('POST', `/v1/accounts/${accountId}/adjustments`, { direction: 'credit', amount, reason: 'top-up by phone' }, { 'idempotency-key': key })).status).toBe(201);
/** Issues what was asked for, then sends every due mail. */
async function deliver() {
  await h.kassa.background.settled();
  return deliverDue(h.kassa, smtp.transport(), h.kassa.clock.now());
}
const pdfText = (pdf: Buffer) => execFileSync('pdftotext', ['-layout', '-', '-'], { input: pdf }).toString('utf8').replace(/\s+/g, ' ');

beforeAll(async () => {
  h = await startHarness({ clockStart: '2026-11-02T10:00:00Z' });
  smtp = await startSmtpReceiver();
  await h.call('PUT', '/v1/settings/provider-details', { legal_name: 'Cloudy Hosting GmbH', address_line1: 'Torstr. 5', postal_code: '10119', city: 'Berlin', country: 'DE', vat_id: 'DE136695976' });
  await h.call('PUT', '/v1/settings/vat-rates', { rates: { DE: '19', UA: '20' } });
  await h.call('PUT', '/v1/settings/bank-account', { iban: 'DE89 3704 0044 0532 0130 00', bic: 'COBADEFFXXX', beneficiary: 'Cloudy Hosting GmbH' });
});
afterAll(async () => {
  await smtp.close();
  await h.close();
});

describe('an issued document', () => {
  let acme: number;

  it("is mailed to the account's document e-mails with its PDF attached, the file the API serves", async () => {
    acme = await account('Acme', ['billing@acme.example'], { legal_name: 'Acme GmbH', address_line1: 'Hauptstr. 1', postal_code: '10115', city: 'Berlin', country: 'DE', language: 'en', document_emails: ['accounts@acme.example', 'ceo@acme.example'] });
    await credit(acme, '5000', 'acme-1');
    const pass = await deliver();
    expect(pass.sent).toBe(2);
    expect(smtp.to('billing@acme.example')).toEqual([]); // document e-mails set: they are where documents go
    const [mail] = smtp.to('accounts@acme.example');
    const [receipt] = (await h.call('GET', `/v1/accounts/${acme}/documents?kind=receipt`)).body.data;
    expect(mail!.subject).toBe(`Receipt ${receipt.number} from Cloudy Hosting GmbH: 50.00 EUR`); // 5000 minor units
    expect(mail!.text).toContain(`Cloudy Hosting GmbH issued receipt ${receipt.number} to Acme GmbH for 50.00 EUR received. The PDF is attached.`);
    expect(mail!.attachments.map((a) => [a.filename, a.contentType])).toEqual([[`${receipt.number}.pdf`, 'application/pdf']]);
    const served = await h.app.inject({ method: 'GET', url: `/v1/documents/${receipt.id}/pdf`, headers: { authorization: `Bearer ${h.apiKey}` } });
    expect(mail!.attachments[0]!.content.equals(served.rawPayload)).toBe(true);
    expect(pdfText(mail!.attachments[0]!.content)).toContain(`Receipt Number ${receipt.number}`);
    expect(smtp.to('ceo@acme.example')[0]!.attachments[0]!.content.equals(served.rawPayload)).toBe(true);
    const [row] = await h.kassa.db.select().from(mails).where(eq(mails.to, 'accounts@acme.example'));
    expect(row).toMatchObject({ template: 'document_issued', documentId: receipt.id, state: 'sent' });
  });

  it('an invoice says its period, a credit note the invoice it corrects', async () => {
    const plan = async (code: string, price: string) =>
      (await h.call('POST', '/v1/plans', { code, name: code, kind: 'preset', cadence: 'daily', timing: 'in_advance', prices: [{ currency: 'EUR', definition: { base_price: price, items: [], quotas: {}, features: [] } }] })).body.id as number;
    const big = await plan('mail_big', '48.00');
    const small = await plan('mail_small', '24.00');
    const created = await h.call('POST', `/v1/accounts/${acme}/subscriptions`, { plan_id: big }, { 'idempotency-key': 'acme-sub' });
    expect(created.body.amount).toBe('2800'); // 10:00: 4800 x 14/24
    const down = await h.call('POST', `/v1/subscriptions/${created.body.subscription.id}/change-plan`, { plan_id: small }, { 'idempotency-key': 'acme-down' });
    expect(down.body.amount).toBe('-1400'); // (24 - 48) x 14/24
    await deliver();
    const [invoice, note] = smtp.to('accounts@acme.example').slice(1);
    expect(invoice!.subject).toMatch(/^Invoice INV-2026-000001 from Cloudy Hosting GmbH: 28\.00 EUR$/);
    expect(invoice!.text).toContain('Cloudy Hosting GmbH issued invoice INV-2026-000001 to Acme GmbH for 2026-11-02, paid from the prepaid balance.');
    expect(note!.subject).toBe('Credit note CN-2026-000001 from Cloudy Hosting GmbH: 14.00 EUR');
    expect(note!.text).toContain('crediting 14.00 EUR back to the balance, correcting invoice INV-2026-000001.');
    expect(note!.attachments[0]!.filename).toBe('CN-2026-000001.pdf');
  });

  it('is mailed once: a second pass sends nothing', async () => {
    const before = smtp.received.length;
    expect((await deliver()).sent).toBe(0);
    expect(smtp.received.length).toBe(before);
  });

  it('a pro-forma invoice is not mailed as a document: the bank-transfer instructions carry its details', async () => {
    const before = smtp.to('accounts@acme.example').length;
    expect((await h.call('POST', `/v1/accounts/${acme}/top-ups`, { method: 'bank_transfer', amount: '20000' }, { 'idempotency-key': 'acme-bank' })).status).toBe(201);
    await deliver();
    expect((await h.call('GET', `/v1/accounts/${acme}/documents?kind=pro_forma`)).body.data).toHaveLength(1);
    expect(smtp.to('accounts@acme.example').length).toBe(before);
    expect(smtp.to('billing@acme.example').map((m) => m.subject)).toEqual(['Bank transfer to top up Acme: 200.00 EUR']);
  });
});

describe('with no document e-mails', () => {
  it("goes to the billing e-mails and the owners, in the document's language", async () => {
    const khmarka = await account('Хмарка', ['buh@khmarka.example'], { legal_name: 'ТОВ «Хмарка»', address_line1: 'вул. Хрещатик, 1', postal_code: '01001', city: 'Київ', country: 'UA', language: 'uk' });
    const now = h.kassa.clock.now();
    const [owner] = await h.kassa.db.insert(users).values({ email: 'olena@khmarka.example', emailVerifiedAt: now, createdAt: now }).returning({ id: users.id });
    await h.kassa.db.insert(memberships).values({ accountId: khmarka, userId: owner!.id, role: 'owner', createdAt: now });
    await credit(khmarka, '123456', 'khmarka-1');
    await deliver();
    const [receipt] = (await h.call('GET', `/v1/accounts/${khmarka}/documents?kind=receipt`)).body.data;
    for (const address of ['buh@khmarka.example', 'olena@khmarka.example']) {
      const [mail] = smtp.to(address);
      expect(mail!.subject).toBe(`Квитанція ${receipt.number} від Cloudy Hosting GmbH: 1234.56 EUR`);
      expect(mail!.text).toContain('PDF додано до листа.');
      expect(pdfText(mail!.attachments[0]!.content)).toContain('ТОВ «Хмарка»');
    }
  });
});
