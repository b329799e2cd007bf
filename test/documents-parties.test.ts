// The parties on documents (SPEC 9, issue 9): the provider's legal details, set by operators,
// and each account's billing details, set by its owners and billing members; a country or VAT
// id that is not one is refused with the field and changes nothing.
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../src/db/schema.js';
import { type Harness, startHarness } from './support/harness.js';
import { type Person, addPerson, join, openAccount } from './members-people.js';

let h: Harness;
let acme: number;
let globex: number;
let owner: Person;
let billing: Person;
let viewer: Person;

beforeAll(async () => {
  h = await startHarness();
  acme = await openAccount(h, 'Acme GmbH');
  globex = await openAccount(h, 'Globex LLC');
  owner = await addPerson(h, 'olivia@acme.example');
  billing = await addPerson(h, 'bill@acme.example');
  viewer = await addPerson(h, 'vera@acme.example');
  await join(h, acme, owner, 'owner');
  await join(h, acme, billing, 'billing');
  await join(h, acme, viewer, 'viewer');
});
afterAll(() => h.close());

const acmeDetails = {
  legal_name: 'Acme GmbH',
  address_line1: 'Hauptstr. 1',
  address_line2: null,
  postal_code: '10115',
  city: 'Berlin',
  region: null,
  country: 'DE',
  vat_id: 'DE136695976',
  language: 'en',
  document_emails: ['accounts@acme.example'],
};

describe("an account's billing details", () => {
  it('are none until set, then what the owner set, with the VAT id normalized and the change audited', async () => {
    expect((await owner.call('GET', `/v1/accounts/${acme}/billing-details`)).body).toEqual({ account_id: acme, billing_details: null });
    const put = await owner.call('PUT', `/v1/accounts/${acme}/billing-details`, { ...acmeDetails, vat_id: 'de 136.695.976', document_emails: ['Accounts@Acme.example', 'accounts@acme.example'] });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ account_id: acme, billing_details: acmeDetails });
    expect((await viewer.call('GET', `/v1/accounts/${acme}/billing-details`)).body.billing_details).toEqual(acmeDetails); // every member reads them
    const audited = await h.kassa.db.select().from(auditLog).where(and(eq(auditLog.accountId, acme), eq(auditLog.action, 'account.billing_details_changed')));
    expect(audited).toHaveLength(1);
  });

  it('take the optional fields as none when left out, and Ukrainian names and documents', async () => {
    const put = await billing.call('PUT', `/v1/accounts/${acme}/billing-details`, { legal_name: 'ТОВ «Акме Україна»', address_line1: 'вул. Хрещатик, 1', city: 'Київ', country: 'UA', language: 'uk' });
    expect(put.status).toBe(200);
    expect(put.body.billing_details).toEqual({ legal_name: 'ТОВ «Акме Україна»', address_line1: 'вул. Хрещатик, 1', address_line2: null, postal_code: null, city: 'Київ', region: null, country: 'UA', vat_id: null, language: 'uk', document_emails: [] });
    await owner.call('PUT', `/v1/accounts/${acme}/billing-details`, acmeDetails);
  });

  it('are set by owners and billing members only, and not seen by other accounts', async () => {
    const refused = await viewer.call('PUT', `/v1/accounts/${acme}/billing-details`, acmeDetails);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'forbidden', permission: 'billing:write' });
    expect((await owner.call('GET', `/v1/accounts/${globex}/billing-details`)).status).toBe(404);
    expect((await owner.call('PUT', `/v1/accounts/${globex}/billing-details`, acmeDetails)).status).toBe(404);
    expect((await h.call('PUT', `/v1/accounts/999999/billing-details`, acmeDetails)).status).toBe(404);
  });

  it.each([
    ['an unknown country', { country: 'XX' }, '/country'],
    ['a country in lower case', { country: 'de' }, '/country'],
    ['a VAT id with a wrong check digit', { vat_id: 'DE136695975' }, '/vat_id'],
    ["another country's VAT id", { vat_id: 'FR40303265045' }, '/vat_id'],
    ['no legal name', { legal_name: '   ' }, '/legal_name'],
    ['a document e-mail that is not one', { document_emails: ['accounts at acme'] }, '/document_emails/0'],
    ['an unknown language', { language: 'de' }, '/language'],
  ])('refuse %s with the field, and keep the details set before', async (_name, change, field) => {
    const refused = await owner.call('PUT', `/v1/accounts/${acme}/billing-details`, { ...acmeDetails, ...change });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code: 'validation_failed', field });
    expect((await owner.call('GET', `/v1/accounts/${acme}/billing-details`)).body.billing_details).toEqual(acmeDetails);
  });
});

describe("the provider's legal details (operators)", () => {
  const provider = { ...acmeDetails, legal_name: 'Cloudy Hosting GmbH', registration: 'HRB 12345, Amtsgericht Berlin', email: 'billing@cloudy.example', website: 'https://cloudy.example' };
  const { language: _l, document_emails: _d, ...providerBody } = provider;

  it('are none until set, then what was set; a member may not set them', async () => {
    expect((await h.call('GET', '/v1/settings/provider-details')).body).toEqual({ provider_details: null });
    const put = await h.call('PUT', '/v1/settings/provider-details', providerBody);
    expect(put.status).toBe(200);
    expect((await h.call('GET', '/v1/settings/provider-details')).body).toEqual({ provider_details: providerBody });
    expect((await owner.call('PUT', '/v1/settings/provider-details', providerBody)).status).toBe(403);
  });

  it('refuse a VAT id that is not one, and keep what was set', async () => {
    const refused = await h.call('PUT', '/v1/settings/provider-details', { ...providerBody, vat_id: 'DE123' });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code: 'validation_failed', field: '/vat_id' });
    expect((await h.call('GET', '/v1/settings/provider-details')).body).toEqual({ provider_details: providerBody });
  });
});

describe('VAT rates by country (operators)', () => {
  it('are none until set, then what was set', async () => {
    expect((await h.call('GET', '/v1/settings/vat-rates')).body).toEqual({ rates: {} });
    const put = await h.call('PUT', '/v1/settings/vat-rates', { rates: { DE: '19', FR: '20', AT: '20', UA: '20', LU: '16.5' } });
    expect(put.status).toBe(200);
    expect((await h.call('GET', '/v1/settings/vat-rates')).body).toEqual({ rates: { DE: '19', FR: '20', AT: '20', UA: '20', LU: '16.5' } });
    expect((await owner.call('PUT', '/v1/settings/vat-rates', { rates: {} })).status).toBe(403);
  });

  it.each([
    ['an unknown country', { XX: '19' }, '/rates/XX'],
    ['a rate of 100%', { DE: '100' }, '/rates/DE'],
    ['a negative rate', { DE: '-1' }, '/rates/DE'],
    ['a rate with three decimals', { DE: '19.125' }, '/rates/DE'],
  ])('refuse %s with the field, and keep the rates set before', async (_name, rates, field) => {
    const refused = await h.call('PUT', '/v1/settings/vat-rates', { rates });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code: 'validation_failed', field });
    expect((await h.call('GET', '/v1/settings/vat-rates')).body.rates.DE).toBe('19');
  });
});

describe("the provider's logo (operators)", () => {
  // A 1 x 1 PNG.
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
  const upload = (body: Buffer, contentType: string) =>
    h.app.inject({ method: 'PUT', url: '/v1/settings/provider-logo', headers: { authorization: `Bearer ${h.apiKey}`, 'content-type': contentType }, payload: body });

  it('is none until set, then the image as uploaded, and none again once removed', async () => {
    expect((await h.call('GET', '/v1/settings/provider-logo')).status).toBe(404);
    const put = await upload(png, 'image/png');
    expect(put.statusCode).toBe(200);
    expect(put.json()).toEqual({ content_type: 'image/png', bytes: png.length, width: 1, height: 1 });
    const got = await h.app.inject({ method: 'GET', url: '/v1/settings/provider-logo', headers: { authorization: `Bearer ${h.apiKey}` } });
    expect(got.headers['content-type']).toBe('image/png');
    expect(got.rawPayload.equals(png)).toBe(true);
    expect((await h.call('DELETE', '/v1/settings/provider-logo')).status).toBe(204);
    expect((await h.call('GET', '/v1/settings/provider-logo')).status).toBe(404);
  });

  it.each([
    ['a GIF', Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;'), 'image/gif', 415, 'unsupported_media_type'],
    ['a PNG sent as a JPEG', png, 'image/jpeg', 400, 'validation_failed'],
    ['a broken PNG', Buffer.concat([png.subarray(0, 8), Buffer.from('not the rest of a png')]), 'image/png', 400, 'validation_failed'],
    ['an image over 512 KB', Buffer.concat([png, Buffer.alloc(512 * 1024)]), 'image/png', 413, 'body_too_large'],
  ])('refuses %s, and keeps the logo set before', async (_name, body, contentType, status, code) => {
    await upload(png, 'image/png');
    const refused = await upload(body, contentType);
    expect(refused.statusCode).toBe(status);
    expect(refused.json()).toMatchObject({ code });
    const got = await h.app.inject({ method: 'GET', url: '/v1/settings/provider-logo', headers: { authorization: `Bearer ${h.apiKey}` } });
    expect(got.rawPayload.equals(png)).toBe(true);
  });
});

describe("an account's documents", () => {
  it('are read by owners and billing members, not by viewers, and not by another account', async () => {
    expect((await owner.call('GET', `/v1/accounts/${acme}/documents`)).body).toEqual({ data: [], next_cursor: null });
    expect((await billing.call('GET', `/v1/accounts/${acme}/documents`)).status).toBe(200);
    const refused = await viewer.call('GET', `/v1/accounts/${acme}/documents`);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'forbidden', permission: 'documents:read' });
    expect((await owner.call('GET', `/v1/accounts/${globex}/documents`)).status).toBe(404);
    expect((await owner.call('GET', '/v1/documents')).status).toBe(403); // every account's: staff only
    expect((await owner.call('GET', '/v1/documents/journal?from=2026-11-01&to=2026-11-30')).status).toBe(403); // the accountant's journal too
  });

  it("as PDFs: the owner's and billing member's, not a viewer's, and another account's is not found", async () => {
    const credit = (account: number, key: string) => h.call('POST', `/v1/accounts/${account}/adjustments`, { direction: 'credit', amount: '1500', reason: 'welcome' }, { 'idempotency-key': key });
    expect((await credit(acme, 'pdf-acme')).status).toBe(201);
    expect((await credit(globex, 'pdf-globex')).status).toBe(201);
    await h.kassa.background.settled();
    const [acmeReceipt] = (await h.call('GET', `/v1/accounts/${acme}/documents?kind=receipt`)).body.data;
    const [globexReceipt] = (await h.call('GET', `/v1/accounts/${globex}/documents?kind=receipt`)).body.data;
    const pdf = `/v1/documents/${acmeReceipt.id}/pdf`;
    expect(await owner.call('GET', pdf)).toMatchObject({ status: 200, body: expect.stringMatching(/^%PDF-1\.\d/) });
    expect((await billing.call('GET', pdf)).status).toBe(200);
    expect(await viewer.call('GET', pdf)).toMatchObject({ status: 403, body: { code: 'forbidden', permission: 'documents:read' } });
    expect(await owner.call('GET', `/v1/documents/${globexReceipt.id}/pdf`)).toMatchObject({ status: 404, body: { code: 'not_found' } }); // not 403: it does not say the document exists
    expect((await h.call('GET', `/v1/documents/${globexReceipt.id}/pdf`)).status).toBe(200); // staff read every account's
    expect((await h.call('GET', '/v1/documents/999999/pdf')).status).toBe(404);
  });

  it("statements: the owner's and billing member's, not a viewer's, and not another account's", async () => {
    const statement = `/v1/accounts/${acme}/statement?from=2026-11-01&to=2026-11-30`;
    expect(await owner.call('GET', statement)).toMatchObject({ status: 200, body: { account_id: acme, opening_balance: '0' } });
    expect((await billing.call('GET', `/v1/accounts/${acme}/statement/pdf`)).status).toBe(200);
    expect(await viewer.call('GET', statement)).toMatchObject({ status: 403, body: { code: 'forbidden', permission: 'documents:read' } });
    expect((await owner.call('GET', `/v1/accounts/${globex}/statement`)).status).toBe(404);
    expect((await owner.call('GET', `/v1/accounts/${globex}/statement/pdf`)).status).toBe(404);
  });
});
