// Documents over HTTP (SPEC 9). So far: the operator's document series.
import { Type } from 'typebox';
import { saveProviderSetting } from '../audit/provider-setting.js';
import type { KassaApp } from '../http/kassa-app.js';
import { problemResponses, sendProblem } from '../shared/problem.js';
import { DOCUMENT_SERIES_SETTING, type DocumentSeries, readDocumentSeries, sharedSeries } from './series.js';

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
