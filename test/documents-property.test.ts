// Documents from any history of the money (SPEC 9, issue 9), a fast-check property through the
// HTTP API on the simulated clock: accounts are credited, subscribe, change plan up (a charge
// outside the cycle) and down (a prorated refund), and time passes (nightly runs, month ends);
// then several issuers work small batches side by side with the pass each answer starts. After
// every history:
// - each series (invoice, credit note, receipt; per year) is numbered 1..n, no gap, no duplicate;
// - every document's total is what the ledger moved in its transactions: the revenue of an
//   invoice's charges, the revenue given back by a credit note's refunds, a receipt's credit;
// - every charge, refund and credit is on exactly one document, or still waits for it: a
//   charge of the month not yet ended on its pending invoice, a refund on its credit note
//   until the invoice it corrects is issued.
import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { query } from '../src/db/client.js';
import { type MonthlyCursor, issueMonthlyBatch, issueRequestBatch } from '../src/documents/issue.js';
import { billingScenario } from './support/scenario.js';

const s = billingScenario('2026-10-27T10:00:00Z');

type Step =
  | { credit: { account: number; amount: number } }
  | { changePlan: { account: number; plan: number } }
  | { advance: { hours: number } };

/** Three new accounts, each subscribed to one of the plans, then what happens to them. */
const history = fc.record({
  plans: fc.tuple(fc.nat(2), fc.nat(2), fc.nat(2)),
  steps: fc.array(
    fc.oneof(
      fc.record({ credit: fc.record({ account: fc.nat(2), amount: fc.integer({ min: 1, max: 50_000 }) }) }),
      fc.record({ changePlan: fc.record({ account: fc.nat(2), plan: fc.nat(2) }) }),
      fc.record({ advance: fc.record({ hours: fc.integer({ min: 1, max: 120 }) }) }),
    ),
    { minLength: 1, maxLength: 8 },
  ),
});
/** An issuer of requests or of month-end invoices, taking `limit` at a time. */
const issuerArb = fc.record({ monthly: fc.boolean(), limit: fc.integer({ min: 1, max: 6 }) });

const SELLER = { legal_name: 'Cloudy Hosting GmbH', address_line1: 'Torstr. 5', postal_code: '10119', city: 'Berlin', country: 'DE', vat_id: 'DE136695976', email: 'billing@cloudy.example' };

let plans: number[];
beforeAll(async () => {
  await s.expectStatus(200, 'PUT', '/v1/settings/provider-details', SELLER);
  await s.expectStatus(200, 'PUT', '/v1/settings/vat-rates', { rates: { DE: '19' } });
  plans = [await s.createPlan('12.00'), await s.createPlan('24.00'), await s.createPlan('48.00')];
});

async function issuer({ monthly, limit }: { monthly: boolean; limit: number }): Promise<void> {
  const at = s.kassa().clock.now();
  if (monthly) {
    for (let after: MonthlyCursor | null = { month: '', accountId: 0 }; after; ) after = (await issueMonthlyBatch(s.kassa().db, at, after, limit)).last;
    return;
  }
  for (let after = 0; ; ) {
    const batch = await issueRequestBatch(s.kassa().db, at, after, limit);
    if (batch.read < limit) return;
    after = batch.lastId;
  }
}

async function play(plansAtStart: number[], steps: Step[], accounts: number[], key: string): Promise<void> {
  const subscriptions: number[] = [];
  for (const [i, account] of accounts.entries()) subscriptions.push((await s.subscribe(account, plans[plansAtStart[i]!]!)).subscription.id);
  for (const [i, st] of steps.entries()) {
    if ('credit' in st) {
      const credited = await s.call('POST', `/v1/accounts/${accounts[st.credit.account]}/adjustments`, { direction: 'credit', amount: String(st.credit.amount), reason: 'prepayment' }, { 'idempotency-key': `${key}-${i}` });
      expect(credited.status).toBe(201);
    } else if ('changePlan' in st) {
      const changed = await s.call('POST', `/v1/subscriptions/${subscriptions[st.changePlan.account]}/change-plan`, { plan_id: plans[st.changePlan.plan] }, { 'idempotency-key': `${key}-${i}` });
      expect([200, 400], JSON.stringify(changed.body)).toContain(changed.status); // 400: on that plan already
    } else {
      const now = Date.parse((await s.expectStatus<{ now: string }>(200, 'GET', '/v1/clock')).now);
      await s.advanceTo(new Date(now + st.advance.hours * 3_600_000).toISOString());
    }
  }
}

type DocumentRow = { id: string; kind: string; number: string | null; gross: string; transaction_ids: string[] };
type MoneyRow = { id: string; kind: string; created_at: string; revenue: string; customer_amount: string };

async function expectDocumentsMatchTheLedger(accounts: number[]): Promise<void> {
  const db = s.kassa().db;
  // Numbered 1..n per series and year, every document of the database.
  const numbered = await query<{ kind: string; number: string }>(db, sql`select kind, number from documents where number is not null order by number`);
  const bySeries = new Map<string, number[]>();
  for (const d of numbered) {
    const series = d.number.slice(0, d.number.lastIndexOf('-'));
    bySeries.set(series, [...(bySeries.get(series) ?? []), Number(d.number.slice(d.number.lastIndexOf('-') + 1))]);
  }
  for (const [series, numbers] of bySeries) expect(numbers, series).toEqual(Array.from({ length: numbers.length }, (_, i) => i + 1));

  const ids = `{${accounts.join(',')}}`;
  const documents = await query<DocumentRow>(
    db,
    sql`select d.id::text, d.kind, d.number, d.gross::text,
               coalesce((select array_agg(distinct t)::text[] from document_lines l, unnest(l.transaction_ids) t where l.document_id = d.id), '{}') as transaction_ids
        from documents d where d.account_id = any(${ids}::bigint[]) and d.kind <> 'pro_forma'`,
  );
  const money = await query<MoneyRow>(
    db,
    sql`select t.id::text, t.kind, t.created_at::text, t.customer_amount::text,
               coalesce(sum(p.amount) filter (where p.ledger_account = 'revenue'), 0)::text as revenue
        from ledger_transactions t join ledger_postings p on p.transaction_id = t.id
        where t.account_id = any(${ids}::bigint[]) group by t.id`,
  );
  const byId = new Map(money.map((t) => [t.id, t]));
  const onDocument = new Map<string, string>();
  for (const d of documents) {
    let moved = 0n;
    for (const t of d.transaction_ids) {
      expect(onDocument.get(t), `transaction ${t} on two documents`).toBeUndefined();
      onDocument.set(t, d.id);
      const transaction = byId.get(t)!;
      moved += d.kind === 'receipt' ? BigInt(transaction.customer_amount) : BigInt(transaction.revenue);
    }
    expect(BigInt(d.gross), `${d.kind} ${d.number}`).toBe(d.kind === 'credit_note' ? -moved : moved);
  }

  const pending = new Set((await query<{ t: string }>(db, sql`select unnest(transaction_ids)::text as t from invoice_pending where account_id = any(${ids}::bigint[])`)).map((r) => r.t));
  const waiting = await query<{ kind: string; transaction_id: string }>(db, sql`select kind, transaction_id::text from document_requests where document_id is null and account_id = any(${ids}::bigint[])`);
  expect(waiting.filter((r) => r.kind !== 'credit_note'), 'only a credit note waits (for its invoice)').toEqual([]);
  const waitingRefunds = new Set(waiting.map((r) => r.transaction_id));
  const month = s.kassa().clock.now().toISOString().slice(0, 7);
  for (const t of money) {
    const documented = onDocument.has(t.id);
    if (t.kind === 'billing_run' || t.kind === 'subscription_charge') {
      if (BigInt(t.revenue) === 0n) continue;
      // On its invoice, or on the pending invoice of the month not yet ended.
      const waits = pending.has(t.id) && t.created_at.slice(0, 7) === month;
      expect(documented !== waits, `charge ${t.id} (${t.kind}, ${t.created_at}) once: on a document or pending`).toBe(true);
    } else if (t.kind === 'subscription_refund') {
      expect(documented !== waitingRefunds.has(t.id), `refund ${t.id} once: on a credit note or waiting for its invoice`).toBe(true);
    } else if (t.kind === 'adjustment' && BigInt(t.customer_amount) > 0n) {
      expect(documented, `credit ${t.id} has its receipt`).toBe(true);
    }
  }
}

describe('documents from any history of charges, refunds and credits', () => {
  it('number each series 1..n without a gap, and total what the ledger moved, each movement once', async () => {
    const accounts: number[] = []; // every history's, checked after each: earlier subscriptions go on being charged
    await fc.assert(
      fc.asyncProperty(history, fc.array(issuerArb, { minLength: 1, maxLength: 4 }), async ({ plans: plansAtStart, steps }, issuers) => {
        const mine = [await s.fundedAccount('1000000'), await s.fundedAccount('1000000'), await s.fundedAccount('1000000')];
        accounts.push(...mine);
        await play(plansAtStart, steps, mine, `history-${accounts.length}`);
        await Promise.all(issuers.map(issuer));
        await s.kassa().background.settled();
        await expectDocumentsMatchTheLedger(accounts);
      }),
      { seed: 33, numRuns: 20 },
    );
  });
});
