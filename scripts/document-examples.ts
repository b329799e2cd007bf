// Writes docs/examples/: one PDF of each document kind, in English and Ukrainian, and an invoice
// and a credit note as UBL and Factur-X e-invoices, from a
// scenario run through the HTTP API on an embedded Kassa with the simulated clock, so the
// examples are what Kassa issues, not drawings of it. `npx tsx scripts/document-examples.ts`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { buildApp } from '../src/app.js';
import { createApiKey } from '../src/auth/api-keys.js';
import { defaultBillingSettings } from '../src/config.js';
import { openKassa } from '../src/kassa.js';

const OUT = new URL('../docs/examples/', import.meta.url);
const { kassa, database } = await openKassa({ dataDir: 'memory://', poolSize: 2, clock: 'simulated', clockStart: new Date('2026-11-02T09:00:00Z'), billing: defaultBillingSettings, payments: { stripe: undefined } });
const app = await buildApp(kassa);
const { secret } = await createApiKey(kassa.db, 'examples', kassa.clock.now());
let keys = 0;

/** A call that must answer `status`; its JSON body. */
async function call<T = Record<string, unknown>>(status: number, method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown): Promise<T> {
  const response = await app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${secret}`, 'idempotency-key': `example-${++keys}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    payload: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.statusCode !== status) throw new Error(`${method} ${url}: ${response.statusCode} ${response.body}`);
  return response.json<T>();
}

const plan = async (code: string, name: string, price: string) =>
  (await call<{ id: number }>(201, 'POST', '/v1/plans', { code, name, kind: 'preset', cadence: 'daily', timing: 'in_advance', prices: [{ currency: 'EUR', definition: { base_price: price, items: [], quotas: {}, features: [] } }] })).id;

async function account(name: string, credit: string | null, details: Record<string, unknown>): Promise<number> {
  const { id } = await call<{ id: number }>(201, 'POST', '/v1/accounts', { name, currency: 'EUR' });
  await call(200, 'PUT', `/v1/accounts/${id}/billing-details`, details);
  if (credit) await call(201, 'POST', `/v1/accounts/${id}/adjustments`, { direction: 'credit', amount: credit, reason: 'opening balance' });
  return id;
}

/** The account's last document of `kind` in `format` (pdf, ubl, facturx), written to docs/examples/`file`. */
async function write(accountId: number, kind: string, file: string, format = 'pdf'): Promise<void> {
  await kassa.background.settled();
  const documents = (await call<{ data: { id: number }[] }>(200, 'GET', `/v1/accounts/${accountId}/documents?kind=${kind}`)).data;
  const got = await app.inject({ method: 'GET', url: `/v1/documents/${documents.at(-1)!.id}/${format}`, headers: { authorization: `Bearer ${secret}` } });
  if (got.statusCode !== 200) throw new Error(`${kind} as ${format}: ${got.statusCode} ${got.body}`);
  writeFileSync(new URL(file, OUT), got.rawPayload);
  console.log(`docs/examples/${file}: ${got.headers['content-disposition']}, ${got.rawPayload.length} bytes`);
}

try {
  mkdirSync(OUT, { recursive: true });
  await call(200, 'PUT', '/v1/settings/provider-details', {
    legal_name: 'Cloudy Hosting GmbH', address_line1: 'Torstr. 5', postal_code: '10119', city: 'Berlin', country: 'DE', vat_id: 'DE136695976',
    registration: 'HRB 12345, Amtsgericht Berlin', email: 'billing@cloudy.example', website: 'https://cloudy.example',
  });
  await call(200, 'PUT', '/v1/settings/vat-rates', { rates: { DE: '19', UA: '20' } });
  await call(200, 'PUT', '/v1/settings/bank-account', { iban: 'DE89 3704 0044 0532 0130 00', bic: 'COBADEFFXXX', beneficiary: 'Cloudy Hosting GmbH' });
  const pro = await plan('hosting_pro', 'Hosting Pro', '48.00');
  const basic = await plan('hosting_basic', 'Hosting Basic', '24.00');

  // Acme subscribes to Pro at 09:00 (an invoice at once), moves down to Basic at 15:00 (a credit
  // note for the 9 hours left at the difference), and November's daily charges are invoiced on 1 December.
  const acme = await account('Acme', '100000', { legal_name: 'Acme GmbH', address_line1: 'Hauptstr. 1', postal_code: '10115', city: 'Berlin', country: 'DE', vat_id: 'DE811128135', language: 'en', document_emails: ['accounts@acme.example'] });
  const { subscription } = await call<{ subscription: { id: number } }>(201, 'POST', `/v1/accounts/${acme}/subscriptions`, { plan_id: pro });
  await call(200, 'POST', '/v1/clock/advance', { to: '2026-11-02T15:00:00Z', wait: true });
  await call(200, 'POST', `/v1/subscriptions/${subscription.id}/change-plan`, { plan_id: basic });
  await call(200, 'POST', '/v1/clock/advance', { to: '2026-12-01T06:00:00Z', wait: true });
  await write(acme, 'invoice', 'invoice.pdf');
  await write(acme, 'invoice', 'invoice.xml', 'ubl');
  await write(acme, 'invoice', 'invoice-factur-x.pdf', 'facturx');
  await write(acme, 'credit_note', 'credit-note.pdf');
  await write(acme, 'credit_note', 'credit-note.xml', 'ubl');
  await write(acme, 'receipt', 'receipt.pdf');

  // A Ukrainian customer pays by bank transfer: a pro-forma invoice, then the receipt.
  const khmarka = await account('Хмарка', null, { legal_name: 'ТОВ «Хмарка»', address_line1: 'вул. Хрещатик, 1', postal_code: '01001', city: 'Київ', country: 'UA', language: 'uk', document_emails: ['buh@khmarka.example'] });
  const topUp = await call<{ id: number }>(201, 'POST', `/v1/accounts/${khmarka}/top-ups`, { method: 'bank_transfer', amount: '25000' });
  await write(khmarka, 'pro_forma', 'pro-forma-uk.pdf');
  await call(200, 'POST', `/v1/top-ups/${topUp.id}/confirm`, { amount: '25000', bank_reference: 'STMT-2026-12-01' });
  await write(khmarka, 'receipt', 'receipt-uk.pdf');
} finally {
  await app.close();
  await database.close();
}
