// Documents over HTTP (SPEC 9). So far: the operator's document series, legal details, logo
// and VAT rates, and each account's billing details.
import { Type } from 'typebox';
import { removeProviderSetting, saveProviderSetting } from '../audit/provider-setting.js';
import type { KassaApp } from '../http/kassa-app.js';
import { problemResponses, sendProblem } from '../shared/problem.js';
import { type BillingDetails, readBillingDetails, saveBillingDetails } from './billing-details.js';
import { LOGO_LIMIT_BYTES, LOGO_SETTING, LOGO_TYPES, type Logo, loadLogo, readLogo, storedLogo } from './logo.js';
import { normalizeVatId, partyProblem } from './parties.js';
import { PROVIDER_DETAILS_SETTING, type ProviderDetails, readProviderDetails } from './provider-details.js';
import { DOCUMENT_SERIES_SETTING, type DocumentSeries, readDocumentSeries, sharedSeries } from './series.js';
import { VAT_RATES_SETTING, readVatRates, vatRatesProblem } from './tax.js';

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) });
const Text = (max: number, description?: string) => Type.String({ minLength: 1, maxLength: max, pattern: '\\S', ...(description ? { description } : {}) });
const Optional = (max: number, description?: string) => Type.Union([Text(max, description), Type.Null()], { default: null });
const partyFields = {
  legal_name: Text(200, 'the legal name documents are issued to or by'),
  address_line1: Text(200),
  address_line2: Optional(200),
  postal_code: Optional(20),
  city: Text(100),
  region: Optional(100, 'state, province or county, where the address needs one'),
  country: Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2: DE, UA' }),
  vat_id: Optional(30, 'with its country prefix where it has one: DE136695976; checked (format and check digits) for the EU countries and a few more'),
};
const BillingDetailsSchema = Type.Object(
  {
    ...partyFields,
    language: Type.Union([Type.Literal('en'), Type.Literal('uk')], { default: 'en', description: 'of the documents: English or Ukrainian' }),
    document_emails: Type.Array(Type.String({ format: 'email', maxLength: 254 }), { maxItems: 10, default: [], description: "where documents are mailed; none: the account's billing e-mails" }),
  },
  {
    title: 'BillingDetails',
    additionalProperties: false,
    examples: [{ legal_name: 'Acme GmbH', address_line1: 'Hauptstr. 1', address_line2: null, postal_code: '10115', city: 'Berlin', region: null, country: 'DE', vat_id: 'DE136695976', language: 'en', document_emails: ['accounts@acme.example'] }],
  },
);
const BillingDetailsView = Type.Object(
  { account_id: Type.Integer(), billing_details: Type.Union([BillingDetailsSchema, Type.Null()], { description: 'null until an owner or billing member sets them' }) },
  { title: 'AccountBillingDetails' },
);
const ProviderDetailsSchema = Type.Object(
  { ...partyFields, registration: Optional(200, 'the company register and number'), email: Type.Union([Type.String({ format: 'email', maxLength: 254 }), Type.Null()], { default: null }), website: Type.Union([Type.String({ format: 'uri', maxLength: 200 }), Type.Null()], { default: null }) },
  {
    title: 'ProviderDetails',
    additionalProperties: false,
    examples: [{ legal_name: 'Cloudy Hosting GmbH', address_line1: 'Torstr. 5', address_line2: null, postal_code: '10119', city: 'Berlin', region: null, country: 'DE', vat_id: 'DE136695976', registration: 'HRB 12345, Amtsgericht Berlin', email: 'billing@cloudy.example', website: 'https://cloudy.example' }],
  },
);
const VatRatesSchema = Type.Object(
  {
    rates: Type.Record(Type.String({ pattern: '^[A-Z]{2}$' }), Type.String({ description: 'percent, 0 to 99.99' }), {
      maxProperties: 250,
      description: "VAT in percent by the buyer's ISO country. A buyer whose country has none is taxed at the seller's country rate; with neither, documents say not subject to VAT. An EU business buyer in another member state is reverse-charged whatever the rates.",
    }),
  },
  { title: 'VatRates', additionalProperties: false, examples: [{ rates: { DE: '19', FR: '20', AT: '20', UA: '20' } }] },
);
const ProviderDetailsView = Type.Object({ provider_details: Type.Union([ProviderDetailsSchema, Type.Null()], { description: 'null until an operator sets them' }) }, { title: 'ProviderDetailsView' });

const SeriesSchema = Type.Object(
  {
    prefix: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9/_-]{0,15}$', description: 'written before the number: letters, digits and - / _ (1 to 16, starting with a letter or digit)' }),
    numbering: Type.Union([Type.Literal('yearly'), Type.Literal('continuous')], { description: 'yearly: INV-2026-000001, from 1 each UTC year; continuous: INV-000001, never reset' }),
    digits: Type.Integer({ minimum: 1, maximum: 12, description: 'the sequence is zero-padded to this many digits' }),
  },
  { additionalProperties: false },
);
const DocumentSeriesSchema = Type.Object(
  { invoice: SeriesSchema, credit_note: SeriesSchema, receipt: SeriesSchema },
  {
    title: 'DocumentSeries',
    additionalProperties: false,
    description: 'How each kind of tax document is numbered. Numbers are gapless and strictly increasing per series; pro-forma invoices take none.',
    examples: [{ invoice: { prefix: 'INV-', numbering: 'yearly', digits: 6 }, credit_note: { prefix: 'CN-', numbering: 'yearly', digits: 6 }, receipt: { prefix: 'RCT-', numbering: 'continuous', digits: 8 } }],
  },
);

export async function documentRoutes(app: KassaApp) {
  const { kassa } = app;
  app.get(
    '/accounts/:id/billing-details',
    { config: { access: 'billing:read' }, schema: { tags: ['documents'], summary: "The account's billing details, written on its documents", params: IdParams, response: { 200: BillingDetailsView, ...problemResponses(403, 404) } } },
    async (request) => ({ account_id: request.params.id, billing_details: (await readBillingDetails(kassa.db, request.params.id)) ?? null }),
  );

  app.put(
    '/accounts/:id/billing-details',
    {
      config: { access: 'billing:write' },
      schema: {
        tags: ['documents'],
        summary: "Set the account's billing details (owners and billing members): documents issued from now on carry them; issued ones keep theirs",
        params: IdParams,
        body: BillingDetailsSchema,
        response: { 200: BillingDetailsView, ...problemResponses(403, 404) },
      },
    },
    async (request, reply) => {
      const saved = await saveBillingDetails(kassa.db, request.principal, request.params.id, request.body as BillingDetails, request.ip, kassa.clock.now());
      if (!saved.ok) return sendProblem(reply, saved.failure);
      return { account_id: request.params.id, billing_details: saved.value };
    },
  );

  app.get(
    '/settings/vat-rates',
    { schema: { tags: ['settings'], summary: "VAT rates by the buyer's country, for documents (staff)", response: { 200: VatRatesSchema, ...problemResponses(403) } } },
    async () => ({ rates: await readVatRates(kassa.db) }),
  );

  app.put(
    '/settings/vat-rates',
    { schema: { tags: ['settings'], summary: "Set the VAT rates by the buyer's country (staff): documents issued from now on apply them; prices stay tax-inclusive", body: VatRatesSchema, response: { 200: VatRatesSchema, ...problemResponses(403) } } },
    async (request, reply) => {
      const { rates } = request.body;
      const problem = vatRatesProblem(rates);
      if (problem) return sendProblem(reply, { code: 'validation_failed', ...problem });
      await saveProviderSetting(kassa.db, request.principal, { key: VAT_RATES_SETTING, value: rates, action: 'settings.vat_rates_changed', data: { ...rates } }, request.ip, kassa.clock.now());
      return { rates };
    },
  );

  app.get(
    '/settings/provider-logo',
    {
      schema: {
        tags: ['settings'],
        summary: "The provider's logo on its documents (staff): the image as uploaded, with its content type (image/png or image/jpeg)",
        response: { 200: Type.Unsafe({ type: 'string', format: 'binary', description: 'the PNG or JPEG, as uploaded' }), ...problemResponses(403, 404) },
      },
    },
    async (_request, reply) => {
      const logo = await loadLogo(kassa.db);
      if (!logo) return sendProblem(reply, { code: 'not_found', detail: 'no logo is set' });
      return reply.type(logo.contentType).send(logo.bytes);
    },
  );

  // The logo comes as the image itself, in its own scope so no other route takes an image body.
  await app.register(async (child) => {
    child.addContentTypeParser([...LOGO_TYPES], { parseAs: 'buffer', bodyLimit: LOGO_LIMIT_BYTES }, (_request, body, done) => done(null, body));
    (child as KassaApp).put(
      '/settings/provider-logo',
      {
        bodyLimit: LOGO_LIMIT_BYTES,
        // The body is the image's bytes, which a JSON schema cannot check: readLogo does.
        validatorCompiler: () => () => true,
        schema: {
          consumes: [...LOGO_TYPES],
          tags: ['settings'],
          summary: "Set the provider's logo on its documents (staff): a PNG or JPEG of at most 512 KB, sent as the body",
          body: Type.Unsafe({ title: 'ProviderLogo', type: 'string', format: 'binary', description: 'the image bytes, with content-type image/png or image/jpeg', examples: ['(a PNG image)'] }),
          response: { 200: Type.Object({ content_type: Type.String(), bytes: Type.Integer(), width: Type.Integer(), height: Type.Integer() }, { examples: [{ content_type: 'image/png', bytes: 18342, width: 600, height: 160 }] }), ...problemResponses(403, 415) },
        },
      },
      async (request, reply) => {
        const read = await readLogo(request.body as Buffer, request.headers['content-type']!.split(';')[0]!.trim() as Logo['contentType']);
        if (!read.ok) return sendProblem(reply, read.failure);
        const logo = read.value;
        const at = kassa.clock.now();
        await saveProviderSetting(kassa.db, request.principal, { key: LOGO_SETTING, value: storedLogo(logo), action: 'settings.provider_logo_changed', data: { content_type: logo.contentType, bytes: logo.bytes.length } }, request.ip, at);
        return { content_type: logo.contentType, bytes: logo.bytes.length, width: logo.width, height: logo.height };
      },
    );
  });

  app.delete(
    '/settings/provider-logo',
    { schema: { tags: ['settings'], summary: "Remove the provider's logo (staff): documents issued from now on carry none", response: { 204: Type.Null(), ...problemResponses(403) } } },
    async (request, reply) => {
      await removeProviderSetting(kassa.db, request.principal, { key: LOGO_SETTING, action: 'settings.provider_logo_removed' }, request.ip, kassa.clock.now());
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/settings/provider-details',
    { schema: { tags: ['settings'], summary: "The provider's legal details, the seller on every document (staff)", response: { 200: ProviderDetailsView, ...problemResponses(403) } } },
    async () => ({ provider_details: (await readProviderDetails(kassa.db)) ?? null }),
  );

  app.put(
    '/settings/provider-details',
    { schema: { tags: ['settings'], summary: "Set the provider's legal details (staff): documents issued from now on carry them", body: ProviderDetailsSchema, response: { 200: ProviderDetailsView, ...problemResponses(403) } } },
    async (request, reply) => {
      const body = request.body as ProviderDetails;
      const details: ProviderDetails = { ...body, vat_id: body.vat_id === null ? null : normalizeVatId(body.vat_id) };
      const problem = partyProblem(details);
      if (problem) return sendProblem(reply, { code: 'validation_failed', ...problem });
      await saveProviderSetting(kassa.db, request.principal, { key: PROVIDER_DETAILS_SETTING, value: details, action: 'settings.provider_details_changed', data: { country: details.country, vat_id: details.vat_id } }, request.ip, kassa.clock.now());
      return { provider_details: details };
    },
  );

  app.get(
    '/settings/document-series',
    { schema: { tags: ['settings'], summary: 'How invoices, credit notes and receipts are numbered (staff)', response: { 200: DocumentSeriesSchema, ...problemResponses(403) } } },
    async () => readDocumentSeries(kassa.db),
  );

  app.put(
    '/settings/document-series',
    {
      schema: {
        tags: ['settings'],
        summary: 'Set how invoices, credit notes and receipts are numbered (staff). A changed prefix or numbering applies to documents issued from now on; issued documents keep their numbers.',
        body: DocumentSeriesSchema,
        response: { 200: DocumentSeriesSchema, ...problemResponses(403) },
      },
    },
    async (request, reply) => {
      const series: DocumentSeries = request.body;
      const shared = sharedSeries(series);
      if (shared) return sendProblem(reply, { code: 'validation_failed', ...shared });
      await saveProviderSetting(kassa.db, request.principal, { key: DOCUMENT_SERIES_SETTING, value: series, action: 'settings.document_series_changed', data: { ...series } }, request.ip, kassa.clock.now());
      return series;
    },
  );
}
