// Month-end issuing (issue 9): N accounts with five lines each waiting in invoice_pending for
// November, issued as N invoices when December begins, as the documents job does after the
// month's last billing run; then one five-line invoice rendered as a PDF, first and warm.
// Checks what it measured: N invoices, numbered INV-2026-000001..N with no gap, each with five
// lines, their gross the sum of what was pending.
import { sql } from 'drizzle-orm';
import { buildApp } from '../src/app.js';
import { createApiKey } from '../src/auth/api-keys.js';
import { defaultBillingSettings } from '../src/config.js';
import { query } from '../src/db/client.js';
import { documents } from '../src/db/schema.js';
import { documentFile } from '../src/documents/files.js';
import { issueDocuments } from '../src/documents/issue.js';
import { openKassa } from '../src/kassa.js';
import { scratchTarget } from './scratch.js';

const SERVICES = ['cloudlets', 'storage', 'traffic', 'ip_addresses', 'backups'];

export interface DocumentsBenchResult {
  backend: 'pglite' | 'postgres';
  accounts: number;
  invoices: number;
  lines: number;
  seconds: number;
  invoices_per_second: number;
  peak_rss_mib: number;
  numbers_gapless: boolean;
  totals_match: boolean;
  pdf_first_ms: number;
  pdf_p50_ms: number;
  pdf_max_ms: number;
}

export async function benchDocuments(options: { backend: 'pglite' | 'postgres'; accounts?: number; databaseUrl?: string }): Promise<DocumentsBenchResult> {
  const accounts = options.accounts ?? 200_000;
  const target = await scratchTarget(options.backend, 'documents', options.databaseUrl);
  const { kassa, database } = await openKassa({ databaseUrl: target.databaseUrl, dataDir: target.dataDir, poolSize: 10, clock: 'simulated', clockStart: new Date('2026-12-01T00:30:00Z'), billing: defaultBillingSettings });
  const app = await buildApp(kassa);
  try {
    const { secret } = await createApiKey(kassa.db, 'documents bench', kassa.clock.now());
    const put = async (url: string, body: unknown) => {
      const reply = await app.inject({ method: 'PUT', url, headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
      if (reply.statusCode !== 200) throw new Error(`${url}: ${reply.statusCode} ${reply.body}`);
    };
    await put('/v1/settings/provider-details', { legal_name: 'Cloudy Hosting GmbH', address_line1: 'Torstr. 5', postal_code: '10119', city: 'Berlin', country: 'DE', vat_id: 'DE136695976', email: 'billing@cloudy.example' });
    await put('/v1/settings/vat-rates', { rates: { DE: '19' } });
    for (const code of SERVICES) await query(kassa.db, sql`insert into services (code, name, unit, meter_aggregation, meter_decimals, created_at) values (${code}, ${code}, 'unit', 'sum', 0, now())`);
    await query(kassa.db, sql`insert into accounts (name, currency, type, status, created_at) select 'customer ' || g, 'EUR', 'billing', 'active', now() from generate_series(1, ${accounts}) g`);
    await query(
      kassa.db,
      sql`insert into account_billing_details (account_id, legal_name, address_line1, postal_code, city, country, language, document_emails, updated_at)
          select id, name || ' GmbH', 'Hauptstr. 1', '10115', 'Berlin', 'DE', 'en', '[]'::jsonb, now() from accounts`,
    );
    // Five lines an account: a month of usage per service, priced 1.00 to 5.00 x the account's id mod 7 + 1.
    await query(
      kassa.db,
      sql`insert into invoice_pending (account_id, month, service, kind, quantity, price, discount, period_start, period_end, transaction_ids)
          select a.id, '2026-11', s.code, 'usage', 30 * s.n, 100 * s.n * (a.id % 7 + 1), 0, '2026-11-01', '2026-11-30', array[a.id * 10 + s.n]
          from accounts a cross join (select code, row_number() over (order by code) as n from unnest(${`{${SERVICES.join(',')}}`}::text[]) as code) s`,
    );
    const [pending] = await query<{ gross: string }>(kassa.db, sql`select sum(price - discount)::text as gross from invoice_pending`);
    if (options.backend === 'postgres') await query(kassa.db, sql`analyze`);

    let peak = process.memoryUsage().rss;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
    const started = performance.now();
    const issued = await issueDocuments(kassa, kassa.clock.now());
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);

    const [check] = await query<{ invoices: string; lines: string; gross: string; max_number: string | null; distinct_numbers: string }>(
      kassa.db,
      sql`select count(*)::text as invoices, (select count(*) from document_lines)::text as lines, sum(gross)::text as gross,
                 max(substring(number from 10))::text as max_number, count(distinct number)::text as distinct_numbers
          from documents where kind = 'invoice'`,
    );
    const invoices = Number(check!.invoices);

    // One five-line invoice as a PDF: the first render of the process (fonts read), then warm ones.
    const [one] = await kassa.db.select().from(documents).limit(1);
    const times: number[] = [];
    for (let i = 0; i < 21; i++) {
      await query(kassa.db, sql`delete from document_files`);
      const t = performance.now();
      const pdf = await documentFile(kassa.db, one!, 'pdf', kassa.clock.now());
      if (!pdf.ok) throw new Error(pdf.failure.detail);
      times.push(performance.now() - t);
    }
    const warm = times.slice(1).sort((a, b) => a - b);
    return {
      backend: options.backend,
      accounts,
      invoices,
      lines: Number(check!.lines),
      seconds: +seconds.toFixed(2),
      invoices_per_second: Math.floor(issued / seconds),
      peak_rss_mib: Math.floor(peak / 1024 / 1024),
      numbers_gapless: Number(check!.max_number) === invoices && Number(check!.distinct_numbers) === invoices,
      totals_match: check!.gross === pending!.gross,
      pdf_first_ms: +times[0]!.toFixed(1),
      pdf_p50_ms: +warm[Math.floor(warm.length / 2)]!.toFixed(1),
      pdf_max_ms: +warm.at(-1)!.toFixed(1),
    };
  } finally {
    await app.close();
    await database.close();
    await target.drop();
  }
}
