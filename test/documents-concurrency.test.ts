// Issuing under concurrency (SPEC 9, issue 9): documents asked for while the provider's legal
// details were missing wait; once they are set, several issuers working small batches side by
// side (and the pass the answer itself starts) issue each request exactly once, the receipt
// series is numbered 1..n with no gap and no duplicate, and each receipt's total is what its
// ledger transaction credited. The same for the month-end invoices: issuers taking a few
// account months at a time side by side invoice each account's month once.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query } from '../src/db/client.js';
import { type MonthlyCursor, issueDocuments, issueMonthlyBatch, issueRequestBatch } from '../src/documents/issue.js';
import { type Harness, startHarness } from './support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ clockStart: '2026-11-02T13:00:00Z' });
});
afterAll(() => h.close());

/** One issuer: batches of `limit` requests until none is left for it. */
async function issuer(limit: number): Promise<number> {
  let issued = 0;
  for (let after = 0; ; ) {
    const batch = await issueRequestBatch(h.kassa.db, h.kassa.clock.now(), after, limit);
    issued += batch.issued;
    if (batch.read < limit) return issued;
    after = batch.lastId;
  }
}

describe('concurrent issuers', () => {
  it('issue each waiting request once, numbered without a gap, each receipt the amount credited', async () => {
    const credits: bigint[] = [];
    for (let a = 1; a <= 12; a++) {
      const account = await h.call('POST', '/v1/accounts', { name: `Customer ${a}`, currency: 'EUR' });
      for (let c = 1; c <= 4; c++) {
        const amount = BigInt(a * 100 + c);
        credits.push(amount);
        const credited = await h.call('POST', `/v1/accounts/${account.body.id}/adjustments`, { direction: 'credit', amount: amount.toString(), reason: 'prepayment' }, { 'idempotency-key': `c-${a}-${c}` });
        expect(credited.status).toBe(201);
      }
    }
    await h.kassa.background.settled();
    expect(await issueDocuments(h.kassa, h.kassa.clock.now())).toBe(0); // no seller yet: all 48 wait

    await h.call('PUT', '/v1/settings/provider-details', { legal_name: 'Cloudy Hosting GmbH', address_line1: 'Torstr. 5', city: 'Berlin', country: 'DE' });
    const issued = await Promise.all([issuer(5), issuer(7), issuer(3), issueDocuments(h.kassa, h.kassa.clock.now())]);
    await h.kassa.background.settled(); // the pass the PUT's answer started
    expect(issued.reduce((sum, n) => sum + n, 0)).toBeLessThanOrEqual(48);

    const requests = await query<{ document_id: string | null }>(h.kassa.db, sql`select document_id::text from document_requests where kind = 'receipt'`);
    expect(requests).toHaveLength(48);
    expect(requests.every((r) => r.document_id !== null)).toBe(true);
    expect(new Set(requests.map((r) => r.document_id)).size).toBe(48); // one document each

    const receipts = await query<{ number: string; gross: string; credited: string }>(
      h.kassa.db,
      sql`select d.number, d.gross::text, t.customer_amount::text as credited
          from documents d join document_requests r on r.document_id = d.id join ledger_transactions t on t.id = r.transaction_id
          where d.kind = 'receipt' order by d.number`,
    );
    expect(receipts.map((r) => r.number)).toEqual(Array.from({ length: 48 }, (_, i) => `RCT-2026-${String(i + 1).padStart(6, '0')}`));
    expect(receipts.every((r) => r.gross === r.credited)).toBe(true);
    expect(receipts.map((r) => BigInt(r.gross)).sort((x, y) => (x < y ? -1 : 1))).toEqual([...credits].sort((x, y) => (x < y ? -1 : 1)));
  });
});

/** One month-end issuer: batches of `limit` account months until it finds none left after its cursor. */
async function monthlyIssuer(limit: number): Promise<number> {
  let issued = 0;
  for (let after: MonthlyCursor | null = { month: '', accountId: 0 }; after; ) {
    const batch = await issueMonthlyBatch(h.kassa.db, h.kassa.clock.now(), after, limit);
    issued += batch.issued;
    after = batch.last;
  }
  return issued;
}

describe('concurrent month-end issuers', () => {
  it("invoice each account's month once, numbered without a gap, each the sum of what was pending", async () => {
    // 30 accounts with two lines each in September and in October (the clock is in November): 60 invoices.
    const accounts = await query<{ id: string }>(
      h.kassa.db,
      sql`insert into accounts (name, currency, type, status, created_at) select 'month-end ' || g, 'EUR', 'billing', 'active', now() from generate_series(1, 30) g returning id::text`,
    );
    await query(h.kassa.db, sql`insert into services (code, name, unit, meter_aggregation, meter_decimals, created_at) values ('traffic', 'Traffic', 'GB', 'sum', 0, now()), ('backups', 'Backups', 'unit', 'sum', 0, now())`);
    await query(
      h.kassa.db,
      sql`insert into invoice_pending (account_id, month, service, kind, quantity, price, discount, period_start, period_end, transaction_ids)
          select a.id::bigint, m.month, s.code, 'usage', s.n, 100 * s.n + a.id::bigint % 13, 0, (m.month || '-01')::date, (m.month || '-28')::date, array[]::bigint[]
          from unnest(${`{${accounts.map((a) => a.id).join(',')}}`}::text[]) as a(id)
          cross join (values ('2026-09'), ('2026-10')) as m(month)
          cross join (values ('traffic', 1), ('backups', 2)) as s(code, n)`,
    );
    const [pending] = await query<{ gross: string }>(h.kassa.db, sql`select sum(price - discount)::text as gross from invoice_pending`);
    const [before] = await query<{ n: string }>(h.kassa.db, sql`select count(*)::text as n from documents where kind = 'invoice'`);

    const issued = await Promise.all([monthlyIssuer(4), monthlyIssuer(7), monthlyIssuer(3), issueDocuments(h.kassa, h.kassa.clock.now())]);
    expect(issued.reduce((sum, n) => sum + n, 0)).toBe(60);
    expect(await query(h.kassa.db, sql`select 1 from invoice_pending`)).toEqual([]);

    const invoices = await query<{ number: string; account_id: string; period_start: string; gross: string; lines: string }>(
      h.kassa.db,
      sql`select d.number, d.account_id::text, d.period_start::text, d.gross::text, (select count(*) from document_lines l where l.document_id = d.id)::text as lines
          from documents d where d.kind = 'invoice' order by d.number offset ${Number(before!.n)}`,
    );
    expect(invoices).toHaveLength(60);
    const first = Number(before!.n) + 1;
    expect(invoices.map((d) => d.number)).toEqual(Array.from({ length: 60 }, (_, i) => `INV-2026-${String(first + i).padStart(6, '0')}`));
    expect(new Set(invoices.map((d) => `${d.account_id}/${d.period_start}`)).size).toBe(60); // each account's month once
    expect(invoices.every((d) => d.lines === '2')).toBe(true);
    expect(invoices.reduce((sum, d) => sum + BigInt(d.gross), 0n)).toBe(BigInt(pending!.gross));
  });
});
