// Issuing documents (SPEC 9, ADR 0015). What the money's transactions asked for
// (src/ledger/document-requests.ts) is issued in batches, each in one transaction: the
// requests (or the month's pending invoice rows) are taken, the amounts read from the ledger,
// the parties and the tax treatment written as they are now, the whole batch numbered with one
// takeNumbers per series, and each request marked (each pending row deleted) with its document.
// So a document is issued exactly once whatever crashes or concurrent issuers, its numbers are
// gapless, and its gross total is its ledger transactions' amount.
//
// Documents wait for the provider's legal details: an invoice without its seller is not one.
import { sql } from 'drizzle-orm';
import type { Kassa } from '../context.js';
import { type Db, query } from '../db/client.js';
import type { DocumentKind } from '../db/schema.js';
import { type ChargeCause, chargeMonth } from '../ledger/document-requests.js';
import { Exact, type Minor } from '../money/money.js';
import { type OutboxEvent, writeOutboxEvents } from '../outbox/write.js';
import { formatCreditorReference } from '../payments/creditor-reference.js';
import { readBankAccount } from '../payments/top-ups.js';
import { type BillingDetails } from './billing-details.js';
import { takeNumbers } from './numbering.js';
import { type ProviderDetails, readProviderDetails } from './provider-details.js';
import { type DocumentSeries, readDocumentSeries } from './series.js';
import { type DocumentLanguage } from './parties.js';
import { documentText } from './strings.js';
import { type TaxTreatment, type VatRates, readVatRates, taxDocument, taxTreatment } from './tax.js';

/** Requests (or accounts' months) taken per issuing transaction. */
export const ISSUE_BATCH = 1000;

/** A receipt or pro-forma invoice acknowledges or asks for a prepayment onto the balance: VAT falls due on the invoices of what it pays for. */
export const PREPAYMENT_NOTE = 'Prepayment onto the account balance: VAT is charged on the invoices of the services it pays for.';
const PREPAYMENT: TaxTreatment = { category: 'O', rate: '0', note: PREPAYMENT_NOTE };

/** The customer as a document names it: its billing details, or the account's name alone until it has them. */
export type Buyer = Omit<BillingDetails, 'document_emails' | 'language' | 'address_line1' | 'city' | 'country'> & {
  address_line1: string | null;
  city: string | null;
  country: string | null;
};

export interface DraftLine {
  service: string | null;
  description: string;
  periodStart: string | null;
  periodEnd: string | null;
  quantity: string;
  unit: string;
  /** Before the discount; price - discount is the line's gross, what the ledger moved. */
  price: Minor;
  discount: Minor;
  transactionIds: number[];
  /** A charge or refund outside the billing run: its plan and what moved the money, written in the document's language instead of `description`. */
  planLine?: { plan: string; cause: ChargeCause; from?: string };
}

export interface Draft {
  accountId: number;
  kind: DocumentKind;
  periodStart: string;
  periodEnd: string;
  correctsDocumentId: number | null;
  topUpId: number | null;
  payment: Record<string, unknown> | null;
  lines: DraftLine[];
  /** A credit note correcting an invoice drafted in the same batch: that draft's position. */
  correctsDraft?: number;
}

type AccountParty = { id: number | string; name: string; currency: string; details: (BillingDetails & { account_id: number }) | null };

const day = (at: Date) => at.toISOString().slice(0, 10);

/**
 * Writes `drafts` as issued documents in the caller's transaction: the parties and tax as they
 * are, numbers taken last; answers each draft's document id, in order.
 */
export async function writeDocuments(tx: Db, drafts: readonly Draft[], seller: ProviderDetails, at: Date): Promise<number[]> {
  if (drafts.length === 0) return [];
  const accountIds = [...new Set(drafts.map((d) => d.accountId))];
  const parties = await query<AccountParty>(
    tx,
    sql`select a.id, a.name, a.currency,
               case when b.account_id is null then null else jsonb_build_object(
                 'legal_name', b.legal_name, 'address_line1', b.address_line1, 'address_line2', b.address_line2, 'postal_code', b.postal_code,
                 'city', b.city, 'region', b.region, 'country', b.country, 'vat_id', b.vat_id, 'language', b.language) end as details
        from accounts a left join account_billing_details b on b.account_id = a.id
        where a.id = any(${`{${accountIds.join(',')}}`}::bigint[])`,
  );
  const partyOf = new Map(parties.map((p) => [Number(p.id), p]));
  const [rates, series] = await Promise.all([readVatRates(tx), readDocumentSeries(tx)]);
  const written = drafts.map((draft) => documentRow(draft, partyOf.get(draft.accountId)!, seller, rates));

  const ids = (await query<{ id: number | string }>(tx, sql`select nextval(pg_get_serial_sequence('documents', 'id')) as id from generate_series(1, ${drafts.length})`)).map((r) => Number(r.id));
  const numbers = await numbersFor(tx, series, drafts, at);
  const rows = written.map((w, i) => ({ ...w.document, id: ids[i]!, number: numbers[i] ?? null, issued_at: at.toISOString() }));
  await query(
    tx,
    sql`insert into documents (id, account_id, kind, number, issued_at, currency, language, seller, buyer, tax_category, tax_rate, tax_note, net, tax, gross,
                               period_start, period_end, corrects_document_id, top_up_id, payment)
        overriding system value
        select id, account_id, kind, number, issued_at, currency, language, seller, buyer, tax_category, tax_rate, tax_note, net, tax, gross,
               period_start, period_end, corrects_document_id, top_up_id, payment
        from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r(id bigint, account_id bigint, kind text, number text, issued_at timestamptz, currency text,
             language text, seller jsonb, buyer jsonb, tax_category text, tax_rate numeric, tax_note text, net bigint, tax bigint, gross bigint,
             period_start date, period_end date, corrects_document_id bigint, top_up_id bigint, payment jsonb)`,
  );
  const lines = written.flatMap((w, i) => w.lines.map((l) => ({ ...l, document_id: ids[i]! })));
  await query(
    tx,
    sql`insert into document_lines (document_id, line, account_id, service, description, period_start, period_end, quantity, unit, price, discount, net, tax, gross, transaction_ids)
        select document_id, line, account_id, service, description, period_start, period_end, quantity, unit, price, discount, net, tax, gross, transaction_ids
        from jsonb_to_recordset(${JSON.stringify(lines)}::jsonb) as r(document_id bigint, line smallint, account_id bigint, service text, description text,
             period_start date, period_end date, quantity numeric, unit text, price bigint, discount bigint, net bigint, tax bigint, gross bigint, transaction_ids bigint[])`,
  );
  const events: OutboxEvent[] = rows.map((r) => ({
    accountId: r.account_id,
    topic: 'document.issued',
    payload: { account_id: r.account_id, document_id: r.id, kind: r.kind, number: r.number, currency: r.currency, gross: r.gross, issued_at: r.issued_at, corrects_document_id: r.corrects_document_id, top_up_id: r.top_up_id },
  }));
  await writeOutboxEvents(tx, events, at);
  return ids;
}

/** Each numbered draft's number, from its kind's series, in the drafts' order; taken last. */
async function numbersFor(tx: Db, series: DocumentSeries, drafts: readonly Draft[], at: Date): Promise<(string | undefined)[]> {
  const numbers: (string | undefined)[] = new Array(drafts.length);
  for (const kind of ['invoice', 'credit_note', 'receipt'] as const) {
    const positions = drafts.flatMap((d, i) => (d.kind === kind ? [i] : []));
    if (positions.length === 0) continue;
    const taken = await takeNumbers(tx, series, kind, at, positions.length);
    positions.forEach((position, i) => (numbers[position] = taken[i]));
  }
  return numbers;
}

/** A draft as its rows: the buyer and language of its account, each line split by the document's tax treatment. Pure. */
export function documentRow(draft: Draft, party: AccountParty, seller: ProviderDetails, rates: VatRates) {
  const details = party.details;
  const language = details?.language ?? 'en';
  const buyer: Buyer = details
    ? { legal_name: details.legal_name, address_line1: details.address_line1, address_line2: details.address_line2, postal_code: details.postal_code, city: details.city, region: details.region, country: details.country, vat_id: details.vat_id }
    : { legal_name: party.name, address_line1: null, address_line2: null, postal_code: null, city: null, region: null, country: null, vat_id: null };
  const treatment = isTaxDocument(draft.kind) ? taxTreatment(seller, { country: buyer.country ?? seller.country, vat_id: buyer.vat_id }, rates) : PREPAYMENT;
  const taxed = taxDocument(draft.lines.map((l) => l.price - l.discount), treatment);
  return {
    document: {
      account_id: draft.accountId,
      kind: draft.kind,
      currency: party.currency,
      language,
      seller,
      buyer,
      tax_category: treatment.category,
      tax_rate: treatment.rate,
      tax_note: treatment.note,
      net: taxed.totals.net.toString(),
      tax: taxed.totals.tax.toString(),
      gross: taxed.totals.gross.toString(),
      period_start: draft.periodStart,
      period_end: draft.periodEnd,
      corrects_document_id: draft.correctsDocumentId,
      top_up_id: draft.topUpId,
      payment: draft.payment,
    },
    lines: draft.lines.map((l, i) => ({
      line: i + 1,
      account_id: draft.accountId,
      service: l.service,
      description: l.planLine ? planLineText(language, l.planLine) : l.description,
      period_start: l.periodStart,
      period_end: l.periodEnd,
      quantity: l.quantity,
      unit: l.unit,
      price: l.price.toString(),
      discount: l.discount.toString(),
      net: taxed.lines[i]!.net.toString(),
      tax: taxed.lines[i]!.tax.toString(),
      gross: taxed.lines[i]!.gross.toString(),
      transaction_ids: l.transactionIds,
    })),
  };
}

/** `Pro (subscribed)`, `Pro → Basic (plan change)`: a charge's or refund's line in the document's language. */
function planLineText(language: DocumentLanguage, line: NonNullable<DraftLine['planLine']>): string {
  const cause = documentText(language, `cause_${line.cause}`);
  return line.from === undefined ? documentText(language, 'plan_line', { plan: line.plan, cause }) : documentText(language, 'plan_change_line', { from: line.from, plan: line.plan, cause });
}

/** Invoices and credit notes carry VAT; receipts and pro-forma invoices are for prepayments and do not. */
export const isTaxDocument = (kind: DocumentKind) => kind === 'invoice' || kind === 'credit_note';

// ---------- requests: an invoice, credit note, receipt or pro-forma invoice each ----------

type RequestRow = { id: number | string; account_id: number | string; kind: DocumentKind; transaction_id: number | string | null; top_up_id: number | string | null; detail: Record<string, string | number | undefined> };
type LedgerRow = { id: number | string; account_id: number | string; description: string; customer_amount: string; created_at: Date | string; revenue: string };
type TopUpRow = { id: number | string; transaction_id: number | string | null; method: string; reference: string | null; amount_requested: string; created_at: Date | string };

/** Issues up to `limit` waiting requests after `afterId`, in one transaction; answers how many it read and issued, and the last id read. */
export async function issueRequestBatch(db: Db, at: Date, afterId: number, limit = ISSUE_BATCH): Promise<{ read: number; issued: number; lastId: number }> {
  return db.transaction(async (t) => {
    const tx = t as unknown as Db;
    const seller = await readProviderDetails(tx);
    if (!seller) return { read: 0, issued: 0, lastId: afterId };
    const requests = await query<RequestRow>(
      tx,
      sql`select id, account_id, kind, transaction_id, top_up_id, detail from document_requests
          where document_id is null and id > ${afterId} order by id limit ${limit} for update skip locked`,
    );
    if (requests.length === 0) return { read: 0, issued: 0, lastId: afterId };
    const transactionIds = requests.flatMap((r) => (r.transaction_id === null ? [] : [Number(r.transaction_id)]));
    const ledger = new Map(
      (await query<LedgerRow>(
        tx,
        sql`select t.id, t.account_id, t.description, t.customer_amount::text, t.created_at,
                   coalesce(sum(p.amount) filter (where p.ledger_account = 'revenue'), 0)::text as revenue
            from ledger_transactions t join ledger_postings p on p.transaction_id = t.id
            where t.id = any(${`{${transactionIds.join(',')}}`}::bigint[])
            group by t.id`,
      )).map((row) => [Number(row.id), row]),
    );
    const topUpIds = requests.flatMap((r) => (r.top_up_id === null ? [] : [Number(r.top_up_id)]));
    const topUps = await query<TopUpRow>(
      tx,
      sql`select u.id, r.transaction_id, u.method, u.reference, u.amount_requested::text, u.created_at
          from top_ups u left join top_up_receipts r on r.top_up_id = u.id and r.account_id = u.account_id
          where u.id = any(${`{${topUpIds.join(',')}}`}::bigint[]) or r.transaction_id = any(${`{${transactionIds.join(',')}}`}::bigint[])`,
    );
    const topUpOfTransaction = new Map(topUps.filter((u) => u.transaction_id !== null).map((u) => [Number(u.transaction_id), u]));
    const topUpById = new Map(topUps.map((u) => [Number(u.id), u]));
    const bank = topUpIds.length > 0 ? await readBankAccount(tx) : null;
    const planCodes = [...new Set(requests.flatMap((r) => (r.detail.cause ? [r.detail.service, r.detail.leaving].filter((code): code is string => typeof code === 'string') : [])))];
    const planNames = new Map(
      planCodes.length === 0 ? [] : (await query<{ code: string; name: string }>(tx, sql`select code, name from plans where code in (select jsonb_array_elements_text(${JSON.stringify(planCodes)}::jsonb))`)).map((p) => [p.code, p.name]),
    );

    const drafts: Draft[] = [];
    const issuedRequests: number[] = [];
    // An invoice drafted in this batch, by its transaction: a credit note after it may correct it.
    const draftedInvoice = new Map<number, number>();
    for (const request of requests) {
      const accountId = Number(request.account_id);
      const detail = request.detail;
      const source = request.transaction_id === null ? undefined : ledger.get(Number(request.transaction_id));
      let draft: Draft | undefined;
      if (request.kind === 'pro_forma') {
        const topUp = topUpById.get(Number(request.top_up_id))!;
        draft = {
          accountId, kind: 'pro_forma', periodStart: day(new Date(topUp.created_at)), periodEnd: day(new Date(topUp.created_at)), correctsDocumentId: null, topUpId: Number(topUp.id),
          payment: { method: 'bank_transfer', reference: topUp.reference && formatCreditorReference(topUp.reference), iban: bank?.iban ?? null, bic: bank?.bic ?? null, beneficiary: bank?.beneficiary ?? null },
          lines: [{ service: null, description: documentText('en', 'balance_top_up'), periodStart: null, periodEnd: null, quantity: '1', unit: 'unit', price: BigInt(topUp.amount_requested), discount: 0n, transactionIds: [] }],
        };
      } else if (source) {
        const charged = day(new Date(source.created_at));
        const base = { accountId, periodStart: charged, periodEnd: charged, correctsDocumentId: null, topUpId: null, payment: null };
        const service = (detail.service as string | undefined) ?? null;
        const plan = service === null ? undefined : planNames.get(service);
        const from = typeof detail.leaving === 'string' ? planNames.get(detail.leaving) : undefined;
        const planLine = plan !== undefined && detail.cause ? { planLine: { plan, cause: detail.cause as ChargeCause, ...(from === undefined ? {} : { from }) } } : {};
        const line = { service, description: source.description, ...planLine, periodStart: (detail.period_start as string | undefined)?.slice(0, 10) ?? null, quantity: '1', unit: 'period', transactionIds: [Number(source.id)] };
        const discount = BigInt((detail.discount as string | undefined) ?? '0');
        if (request.kind === 'invoice') {
          draft = { ...base, kind: 'invoice', lines: [{ ...line, periodEnd: line.periodStart, price: BigInt(source.revenue) + discount, discount }] };
          draftedInvoice.set(Number(source.id), drafts.length);
        } else if (request.kind === 'credit_note') {
          const corrects = await correctedInvoice(tx, accountId, Number(detail.subscription_id), Number(source.id), draftedInvoice);
          if (corrects === 'not_invoiced_yet') continue; // waits for the invoice of the charge it corrects
          const correcting = corrects === 'none' ? { correctsDocumentId: null } : { correctsDocumentId: corrects.documentId, correctsDraft: corrects.draftIndex };
          draft = { ...base, kind: 'credit_note', ...correcting, lines: [{ ...line, periodEnd: line.periodStart, price: -BigInt(source.revenue), discount: 0n }] };
        } else {
          const topUp = topUpOfTransaction.get(Number(source.id));
          draft = {
            ...base, kind: 'receipt', topUpId: topUp ? Number(topUp.id) : null,
            payment: { method: topUp?.method ?? 'operator_credit', reference: topUp?.reference ? formatCreditorReference(topUp.reference) : null },
            lines: [{ ...line, service: null, periodStart: null, periodEnd: null, unit: 'unit', price: BigInt(source.customer_amount), discount: 0n }],
          };
        }
      }
      if (!draft) continue;
      drafts.push(draft);
      issuedRequests.push(Number(request.id));
    }
    const ids = await writeDocuments(tx, drafts, seller, at);
    // A credit note correcting an invoice of the same batch learns its id once both are written.
    for (const [i, draft] of drafts.entries()) {
      if (draft.correctsDraft !== undefined) await query(tx, sql`update documents set corrects_document_id = ${ids[draft.correctsDraft]!} where id = ${ids[i]!}`);
    }
    if (ids.length > 0) {
      await query(
        tx,
        sql`update document_requests r set document_id = x.document_id
            from unnest(${`{${issuedRequests.join(',')}}`}::bigint[], ${`{${ids.join(',')}}`}::bigint[]) as x(request_id, document_id)
            where r.id = x.request_id`,
      );
    }
    return { read: requests.length, issued: ids.length, lastId: Number(requests.at(-1)!.id) };
  });
}

/**
 * The invoice a refund corrects: the one holding the subscription's last charge before it.
 * 'not_invoiced_yet' while that charge waits for its month's invoice; 'none' when no charge is found.
 */
async function correctedInvoice(tx: Db, accountId: number, subscriptionId: number, refundId: number, drafted: ReadonlyMap<number, number>): Promise<{ documentId: number | null; draftIndex?: number } | 'not_invoiced_yet' | 'none'> {
  if (!Number.isInteger(subscriptionId)) return 'none';
  const [charge] = await query<{ transaction_id: number | string }>(
    tx,
    sql`select p.transaction_id from ledger_postings p join ledger_transactions t on t.id = p.transaction_id
        where p.account_id = ${accountId} and p.subscription_id = ${subscriptionId} and p.transaction_id < ${refundId}
          and t.kind in ('subscription_charge', 'billing_run') and p.ledger_account in ('customer', 'grant')
        order by p.transaction_id desc limit 1`,
  );
  if (!charge) return 'none';
  const chargeId = Number(charge.transaction_id);
  if (drafted.has(chargeId)) return { documentId: null, draftIndex: drafted.get(chargeId)! };
  const [invoice] = await query<{ document_id: number | string }>(
    tx,
    sql`select l.document_id from document_lines l join documents d on d.id = l.document_id
        where l.account_id = ${accountId} and d.kind = 'invoice' and ${chargeId}::bigint = any(l.transaction_ids) limit 1`,
  );
  return invoice ? { documentId: Number(invoice.document_id) } : 'not_invoiced_yet';
}

// ---------- the monthly invoice ----------

type PendingRow = { account_id: number | string; month: string; service: string; kind: 'plan' | 'usage'; quantity: string; price: string; discount: string; period_start: string; period_end: string; transaction_ids: (number | string)[]; name: string | null; unit: string | null };

/** Where a pass over the months' pending charges has got to: the last account month it took, in the table's key order. */
export type MonthlyCursor = { month: string; accountId: number };

/**
 * Invoices up to `limit` accounts' charges of the months before `at`'s, one invoice per
 * account and month, taking the account months after `after` in key order; answers how many
 * it issued and where it got to (null: nothing was left after `after`).
 */
export async function issueMonthlyBatch(db: Db, at: Date, after: MonthlyCursor = { month: '', accountId: 0 }, limit = ISSUE_BATCH): Promise<{ issued: number; last: MonthlyCursor | null }> {
  return db.transaction(async (t) => {
    const tx = t as unknown as Db;
    const seller = await readProviderDetails(tx);
    if (!seller) return { issued: 0, last: null };
    const month = chargeMonth(at);
    // Deleting the rows is what takes them: a concurrent issuer deletes (and invoices) only what is still there.
    // The cursor starts the scan past the rows this pass has deleted: without it every batch
    // would walk the index entries of all the batches before it, still there until vacuum.
    const rows = await query<PendingRow>(
      tx,
      sql`with picked as (
            select distinct month, account_id from invoice_pending
            where month < ${month} and (month, account_id) > (${after.month}, ${after.accountId}::bigint)
            order by month, account_id limit ${limit}
          ),
          taken as (
            delete from invoice_pending p using picked where p.month = picked.month and p.account_id = picked.account_id
            returning p.*
          )
          select taken.account_id, taken.month, taken.service, taken.kind, taken.quantity::text, taken.price::text, taken.discount::text,
                 taken.period_start::text, taken.period_end::text, taken.transaction_ids,
                 coalesce(pl.name, sv.name) as name,
                 case when taken.kind = 'plan' then case pl.cadence when 'daily' then 'day' else 'month' end else sv.unit end as unit
          from taken
          left join plans pl on taken.kind = 'plan' and pl.code = taken.service
          left join services sv on taken.kind = 'usage' and sv.code = taken.service
          order by taken.month, taken.account_id, taken.kind, taken.service`,
    );
    const drafts = new Map<string, Draft>();
    for (const row of rows) {
      const key = `${row.account_id}/${row.month}`;
      const draft = drafts.get(key) ?? { accountId: Number(row.account_id), kind: 'invoice', periodStart: `${row.month}-01`, periodEnd: lastDayOf(row.month), correctsDocumentId: null, topUpId: null, payment: null, lines: [] };
      draft.lines.push({
        service: row.service,
        description: row.name ?? row.service,
        periodStart: row.period_start,
        periodEnd: row.period_end,
        quantity: new Exact(row.quantity).toString(),
        unit: row.unit ?? 'unit',
        price: BigInt(row.price),
        discount: BigInt(row.discount),
        transactionIds: row.transaction_ids.map(Number).sort((a, b) => a - b),
      });
      drafts.set(key, draft);
    }
    const issued = (await writeDocuments(tx, [...drafts.values()], seller, at)).length;
    const last = rows.at(-1);
    return { issued, last: last ? { month: last.month, accountId: Number(last.account_id) } : null };
  });
}

/** '2026-11' → '2026-11-30'. */
export function lastDayOf(month: string): string {
  const [year, m] = month.split('-').map(Number);
  return new Date(Date.UTC(year!, m!, 0)).toISOString().slice(0, 10);
}

// ---------- running it ----------

/** Issues everything due at `at`: the months that ended first (a credit note may wait for its invoice), then the requests. Answers how many it issued. */
export async function issueDocuments(kassa: Pick<Kassa, 'db'>, at: Date): Promise<number> {
  let issued = 0;
  for (let after: MonthlyCursor | null = { month: '', accountId: 0 }; after; ) {
    const batch = await issueMonthlyBatch(kassa.db, at, after);
    issued += batch.issued;
    after = batch.last;
  }
  for (let after = 0; ; ) {
    const batch = await issueRequestBatch(kassa.db, at, after);
    issued += batch.issued;
    if (batch.read < ISSUE_BATCH) return issued;
    after = batch.lastId;
  }
}

const inFlight = new WeakMap<object, { again: boolean }>();

/** Issues the waiting requests soon after a change asked for some (a top-up, a charge); one pass at a time per process. */
export async function issueRequestsSoon(kassa: Pick<Kassa, 'db' | 'clock'>): Promise<void> {
  const running = inFlight.get(kassa);
  if (running) {
    running.again = true;
    return;
  }
  const state = { again: true };
  inFlight.set(kassa, state);
  try {
    while (state.again) {
      state.again = false;
      for (let after = 0; ; ) {
        const batch = await issueRequestBatch(kassa.db, kassa.clock.now(), after);
        if (batch.read < ISSUE_BATCH) break;
        after = batch.lastId;
      }
    }
  } finally {
    inFlight.delete(kassa);
  }
}
