// Bank transfers against a creditor reference (SPEC 8, issue 7): asked for, pending (counted in
// neither balance nor available, shown as pending_top_ups) until an operator confirms what
// arrived; then credited once, in one balanced ledger transaction per arrival, resuming what
// the money covers.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bankStatementLines, mails } from '../src/db/schema.js';
import { queueNotices } from '../src/notifications/notifier.js';
import { parseCreditorReference } from '../src/payments/creditor-reference.js';
import { type Harness, startHarness } from './support/harness.js';
import { verifyLedger } from '../src/ledger/verify.js';
import { scenario } from './support/scenario.js';

let h: Harness;
const s = scenario(() => h);
beforeAll(async () => {
  h = await startHarness({ clockStart: '2026-11-02T13:00:00Z' });
});
afterAll(() => h.close());

let keys = 0;
const key = () => ({ 'idempotency-key': `bank-${++keys}` });
const BANK = { iban: 'DE89 3704 0044 0532 0130 00', bic: 'COBADEFFXXX', beneficiary: 'Example Cloud GmbH' };
const requestTopUp = (accountId: number, amount: string, method = 'bank_transfer', headers = key()) => h.call('POST', `/v1/accounts/${accountId}/top-ups`, { method, amount }, headers);
const confirm = (topUpId: number, amount: string, bankReference: string, headers = key()) => h.call('POST', `/v1/top-ups/${topUpId}/confirm`, { amount, bank_reference: bankReference }, headers);
const balance = async (accountId: number) => (await h.call('GET', `/v1/accounts/${accountId}/balance`)).body;

describe('before the provider sets a bank account', () => {
  it('answers payment_method_unavailable for a bank transfer, and for card and PayPal on a Kassa without Stripe or PayPal set up', async () => {
    const acme = await s.createAccount();
    for (const method of ['bank_transfer', 'card', 'paypal']) {
      const refused = await requestTopUp(acme.id, '10000', method);
      expect(refused.status).toBe(422);
      expect(refused.body).toMatchObject({ code: 'payment_method_unavailable', field: '/method' });
    }
    expect(await balance(acme.id)).toMatchObject({ balance: '0', pending_top_ups: '0' });
  });

  it('refuses an IBAN whose check digits are wrong, and a BIC of the wrong form', async () => {
    expect((await h.call('PUT', '/v1/settings/bank-account', { ...BANK, iban: 'DE88 3704 0044 0532 0130 00' })).body).toMatchObject({ code: 'validation_failed', field: '/iban' });
    expect((await h.call('PUT', '/v1/settings/bank-account', { ...BANK, bic: 'COBADEFFX' })).body).toMatchObject({ code: 'validation_failed', field: '/bic' });
    expect((await h.call('GET', '/v1/settings/bank-account')).status).toBe(404);
  });
});

describe('a bank transfer', () => {
  let acme: number;
  let topUpId: number;

  beforeAll(async () => {
    const set = await h.call('PUT', '/v1/settings/bank-account', BANK);
    expect(set.body).toEqual({ iban: 'DE89370400440532013000', bic: 'COBADEFFXXX', beneficiary: 'Example Cloud GmbH' });
    acme = (await s.createAccount()).id;
  });

  it('answers what to pay, to whom, with which reference and until when; the balance waits', async () => {
    const asked = await requestTopUp(acme, '10000');
    expect(asked.status).toBe(201);
    topUpId = asked.body.id;
    expect(asked.body).toMatchObject({ method: 'bank_transfer', status: 'pending', currency: 'EUR', amount: '10000', received: '0', expires_at: '2026-12-02T13:00:00.000Z' });
    const transfer = asked.body.bank_transfer;
    expect(transfer).toMatchObject({ beneficiary: 'Example Cloud GmbH', iban: 'DE89 3704 0044 0532 0130 00', bic: 'COBADEFFXXX', amount: '10000', pay_by: '2026-12-02T13:00:00.000Z' });
    expect(parseCreditorReference(transfer.reference)).toBe(transfer.reference.replace(/ /g, '')); // valid ISO 11649
    expect(transfer.reference.replace(/ /g, '')).toMatch(new RegExp(`^RF\\d\\d0*${topUpId}$`));
    // Two days on the way: nothing counts yet, but the pending money is shown.
    await s.advanceTo('2026-11-04T13:00:00Z');
    expect(await balance(acme)).toEqual({ currency: 'EUR', balance: '0', grants: [], granted: '0', credit_limit: '0', credit_enabled: false, reserved: '0', available: '0', pending_top_ups: '10000' });
    expect((await s.eventsOf(acme, 'top_up.requested')).map((e) => e.payload)).toEqual([expect.objectContaining({ top_up_id: topUpId, amount: '10000' })]);
  });

  it('credits a part that arrived, and keeps the rest expected', async () => {
    const part = await confirm(topUpId, '4000', 'BANK-0001');
    expect(part.status).toBe(200);
    expect(part.body).toMatchObject({ status: 'pending', received: '4000', bank_transfer: { amount: '6000' } });
    expect(await balance(acme)).toMatchObject({ balance: '4000', available: '4000', pending_top_ups: '6000' }); // 10000 - 4000
  });

  it('credits the same bank payment once, however often it is reported', async () => {
    const again = await confirm(topUpId, '4000', 'BANK-0001'); // another key, the same payment
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ received: '4000' });
    const headers = key();
    const rest = await confirm(topUpId, '7000', 'BANK-0002', headers);
    expect(rest.body, JSON.stringify(rest.body)).toMatchObject({ status: 'succeeded' });
    const replayed = await confirm(topUpId, '7000', 'BANK-0002', headers); // a retried request
    expect(replayed.body).toMatchObject({ status: 'succeeded', received: '11000' });
    // An over-payment credits all of it: 4000 + 7000 = 11000 of 10000 asked.
    expect(await balance(acme)).toMatchObject({ balance: '11000', pending_top_ups: '0' });
    const credits = (await s.ledgerOf(acme)).filter((t) => t.kind === 'top_up');
    expect(credits.map((t) => t.postings.map((p) => [p.ledger_account, p.amount]))).toEqual([
      [['customer', '4000'], ['clearing_bank_transfer', '-4000']],
      [['customer', '7000'], ['clearing_bank_transfer', '-7000']],
    ]);
    expect((await s.eventsOf(acme, 'top_up.succeeded')).map((e) => e.payload)).toEqual([expect.objectContaining({ top_up_id: topUpId, amount: '7000', received: '11000' })]);
    expect((await verifyLedger(h.kassa.db)).ok).toBe(true);
  });

  it('refuses money for a top-up that is no longer pending, and a rejected one', async () => {
    expect((await confirm(topUpId, '100', 'BANK-0003')).body).toMatchObject({ code: 'invalid_state' });
    const other = (await requestTopUp(acme, '2500')).body.id as number;
    const rejected = await h.call('POST', `/v1/top-ups/${other}/reject`, { reason: 'no such payment arrived' });
    expect(rejected.body).toMatchObject({ status: 'failed' });
    expect((await confirm(other, '2500', 'BANK-0004')).body).toMatchObject({ code: 'invalid_state' });
    expect(await balance(acme)).toMatchObject({ balance: '11000', pending_top_ups: '0' });
  });

  it('resumes a subscription the money covers', async () => {
    const lean = (await s.createAccount()).id;
    const plan = await s.createPlan('24.00');
    await s.topUp(lean, '3000');
    const subscription = (await s.subscribe(lean, plan)).subscription.id;
    await s.advanceTo('2026-11-06T00:00:00Z');
    expect((await s.subscription(subscription)).status).toBe('suspended');
    const asked = (await requestTopUp(lean, '5000')).body.id as number;
    const arrived = await confirm(asked, '5000', 'BANK-0005');
    expect(arrived.body.status).toBe('succeeded');
    expect((await s.subscription(subscription)).status).toBe('active');
  });

  it('refuses bad amounts and changes nothing', async () => {
    for (const amount of ['0', '-5', '12.50', '1'.repeat(19)]) {
      const refused = await requestTopUp(acme, amount);
      expect(refused.status, amount).toBe(400);
      expect(refused.body.field).toBe('/amount');
    }
    expect((await confirm(999_999, '100', 'BANK-X')).status).toBe(404);
    expect((await h.call('POST', `/v1/accounts/${acme}/top-ups`, { method: 'bank_transfer', amount: '100' })).body).toMatchObject({ code: 'idempotency_key_required' });
    expect(await balance(acme)).toMatchObject({ balance: '11000', pending_top_ups: '0' });
  });
});

describe('the payment history', () => {
  let acme: number;
  let paid: number;
  let lapsed: number;

  beforeAll(async () => {
    acme = (await s.createAccount()).id;
    paid = (await requestTopUp(acme, '3000')).body.id;
    await confirm(paid, '3000', 'BANK-H1');
    lapsed = (await requestTopUp(acme, '9000')).body.id;
  });

  it('expires a bank transfer whose pay-by date passed: no longer pending, no longer payable', async () => {
    const now = (await h.call('GET', '/v1/clock')).body.now as string;
    const payBy = new Date(new Date(now).getTime() + 30 * 86_400_000);
    expect(await balance(acme)).toMatchObject({ balance: '3000', pending_top_ups: '9000' });
    await s.advanceTo(new Date(payBy.getTime() + 86_400_000).toISOString().slice(0, 10) + 'T00:00:00Z');
    expect(await balance(acme)).toMatchObject({ pending_top_ups: '0' });
    expect((await confirm(lapsed, '9000', 'BANK-LATE')).body).toMatchObject({ code: 'invalid_state' });
    expect((await s.eventsOf(acme, 'top_up.expired')).map((e) => e.payload)).toEqual([expect.objectContaining({ top_up_id: lapsed, amount: '9000' })]);
  });

  it('lists each top-up with what it asked, received and produced, filtered by status and method', async () => {
    const all = (await h.call('GET', `/v1/accounts/${acme}/payments`)).body;
    expect(all.data.map((p: { id: number; status: string; amount: string; received: string; transaction_ids: number[] }) => [p.id, p.status, p.amount, p.received, p.transaction_ids.length])).toEqual([
      [paid, 'succeeded', '3000', '3000', 1],
      [lapsed, 'expired', '9000', '0', 0],
    ]);
    const ledger = await s.ledgerOf(acme);
    expect(all.data[0].transaction_ids).toEqual(ledger.filter((t) => t.kind === 'top_up').map((t) => t.id));
    expect((await h.call('GET', `/v1/accounts/${acme}/payments?status=expired`)).body.data.map((p: { id: number }) => p.id)).toEqual([lapsed]);
    expect((await h.call('GET', `/v1/accounts/${acme}/payments?method=card`)).body.data).toEqual([]);
    const first = (await h.call('GET', `/v1/accounts/${acme}/payments?limit=1`)).body;
    expect(first.data.map((p: { id: number }) => p.id)).toEqual([paid]);
    expect((await h.call('GET', `/v1/accounts/${acme}/payments?limit=1&cursor=${first.next_cursor}`)).body.data.map((p: { id: number }) => p.id)).toEqual([lapsed]);
    expect((await h.call('GET', `/v1/accounts/${acme}/payments?status=lost`)).body).toMatchObject({ code: 'validation_failed', field: '/querystring/status' });
  });

  it('answers CSV when asked', async () => {
    const csv = await h.app.inject({ method: 'GET', url: `/v1/accounts/${acme}/payments`, headers: { authorization: `Bearer ${h.apiKey}`, accept: 'text/csv' } });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    const [header, ...lines] = csv.body.trim().split('\n');
    expect(header).toBe('id,created_at,method,status,currency,amount,received,refunded,reference,expires_at,transaction_ids');
    expect(lines.map((l) => l.split(',').slice(2, 8))).toEqual([
      ['bank_transfer', 'succeeded', 'EUR', '3000', '3000', '0'],
      ['bank_transfer', 'expired', 'EUR', '9000', '0', '0'],
    ]);
  });
});

describe('the mails', () => {
  it('mails the billing addresses the transfer instructions, then the money received', async () => {
    const acme = (await s.createAccount({ billing_emails: ['billing@acme.example'] })).id;
    const asked = (await requestTopUp(acme, '12550')).body;
    await confirm(asked.id, '12550', 'BANK-M1');
    await queueNotices(h.kassa, h.kassa.clock.now());
    const sent = await h.kassa.db.select().from(mails).where(eq(mails.accountId, acme)).orderBy(mails.id);
    expect(sent.map((m) => [m.to, m.template])).toEqual([
      ['billing@acme.example', 'bank_transfer_instructions'],
      ['billing@acme.example', 'top_up_received'],
    ]);
    const reference = asked.bank_transfer.reference as string;
    expect(sent[0]!.subject).toBe('Bank transfer to top up Acme: 125.50 EUR');
    for (const line of ['Beneficiary: Example Cloud GmbH', 'IBAN: DE89 3704 0044 0532 0130 00', 'BIC: COBADEFFXXX', `Reference: ${reference}`]) expect(sent[0]!.text).toContain(line);
    expect(sent[1]!.text).toBe('We received 125.50 EUR for Acme. The balance is now 125.50 EUR.\n');
  });
});

describe('a bank statement', () => {
  const camt = (reference: string, amount: string, currency = 'EUR', statementId = 'STMT-2026-11-04-001') =>
    readFileSync(path.resolve(import.meta.dirname, 'fixtures/camt053-two-credits.xml'), 'utf8')
      .replace('RF18539007547034', reference)
      .replace('<Amt Ccy="EUR">125.50</Amt>', `<Amt Ccy="${currency}">${amount}</Amt>`)
      .replace('STMT-2026-11-04-001', statementId);
  const post = (body: string, type: string) => h.app.inject({ method: 'POST', url: '/v1/bank-statements', payload: body, headers: { authorization: `Bearer ${h.apiKey}`, 'content-type': type } });

  it('credits the pending transfer its reference names, once, however often it is imported; the rest stays unmatched', async () => {
    const acme = (await s.createAccount()).id;
    const asked = (await requestTopUp(acme, '12550')).body;
    const reference = (asked.bank_transfer.reference as string).replace(/ /g, '');
    const statement = camt(reference, '125.50');
    const imported = await post(statement, 'application/xml');
    expect(imported.statusCode).toBe(200);
    expect(imported.json()).toEqual({ statement_id: expect.any(Number), already_imported: false, lines: 2, matched: 1, unmatched: 1, credited: [{ top_up_id: asked.id, account_id: acme, amount: '12550' }] });
    expect(await balance(acme)).toMatchObject({ balance: '12550', pending_top_ups: '0' });
    const again = await post(statement, 'application/xml');
    expect(again.json()).toMatchObject({ already_imported: true, matched: 1, credited: [] });
    expect(await balance(acme)).toMatchObject({ balance: '12550' });
  });

  it('keeps a line in another currency unmatched, and a CSV line credits as camt.053 does', async () => {
    const acme = (await s.createAccount()).id;
    const asked = (await requestTopUp(acme, '5000')).body;
    const reference = asked.bank_transfer.reference as string;
    const dollars = await post(camt(reference.replace(/ /g, ''), '50.00', 'USD', 'STMT-USD'), 'application/xml');
    expect(dollars.json()).toMatchObject({ matched: 0, unmatched: 2 });
    const lines = await h.kassa.db.select().from(bankStatementLines).where(eq(bankStatementLines.statementId, dollars.json().statement_id)).orderBy(bankStatementLines.line);
    expect(lines.map((l) => [l.status, l.note])).toEqual([
      ['unmatched', `top-up ${asked.id} is in EUR, the payment in USD`],
      ['unmatched', `no top-up has the reference RF18539007547034`],
    ]);
    expect(await balance(acme)).toMatchObject({ balance: '0', pending_top_ups: '5000' });
    const csv = `date,amount,currency,reference,counterparty\n2026-11-05,30.00,EUR,"Invoice ${reference}",Acme GmbH\n`;
    expect((await post(csv, 'text/csv')).json()).toMatchObject({ matched: 1, credited: [{ top_up_id: asked.id, amount: '3000' }] });
    expect(await balance(acme)).toMatchObject({ balance: '3000', pending_top_ups: '2000' }); // a part: 5000 - 3000 still expected
  });

  it('refuses what is not a statement, and credits nothing', async () => {
    expect((await post('<Document><BkToCstmrStmt>', 'application/xml')).json()).toMatchObject({ code: 'invalid_statement', field: '/statement' });
    expect((await post('<Document><pain.001/></Document>', 'application/xml')).json()).toMatchObject({ code: 'invalid_statement' });
    expect((await post('hello', 'text/csv')).json()).toMatchObject({ code: 'invalid_statement' });
  });
});

describe('what an operator works through', () => {
  const post = (body: string) => h.app.inject({ method: 'POST', url: '/v1/bank-statements', payload: body, headers: { authorization: `Bearer ${h.apiKey}`, 'content-type': 'text/csv' } });
  const unmatched = async () => (await h.call('GET', '/v1/bank-statement-lines')).body.data as { id: number; reference: string; note: string; amount: string }[];
  let acme: number;
  let late: { id: number; reference: string };

  beforeAll(async () => {
    acme = (await s.createAccount()).id;
    for (const line of await unmatched()) await h.call('POST', `/v1/bank-statement-lines/${line.id}/dismiss`, { reason: 'earlier tests' });
  });

  it('lists the transfers still awaited, across accounts', async () => {
    const other = (await s.createAccount()).id;
    const mine = (await requestTopUp(acme, '4000')).body;
    const theirs = (await requestTopUp(other, '900')).body;
    late = { id: mine.id, reference: mine.bank_transfer.reference };
    const pending = (await h.call('GET', '/v1/top-ups?status=pending&method=bank_transfer')).body.data.map((t: { id: number }) => t.id);
    expect(pending).toEqual(expect.arrayContaining([mine.id, theirs.id]));
    expect((await h.call('GET', `/v1/top-ups?account_id=${other}`)).body.data.map((t: { id: number }) => t.id)).toEqual([theirs.id]);
  });

  it('keeps a transfer that arrives after its top-up expired unmatched, and credits it once when assigned', async () => {
    await s.advanceTo('2027-02-01T00:00:00Z'); // past the 30 days
    const imported = (await post(`date,amount,currency,reference,counterparty\n2026-12-19,40.00,EUR,${late.reference},Acme GmbH\n2026-12-19,12.00,EUR,membership fee,Club e.V.\n`)).json();
    expect(imported).toMatchObject({ matched: 0, unmatched: 2 });
    const [lateLine, fee] = await unmatched();
    expect(lateLine).toMatchObject({ amount: '4000', note: `top-up ${late.id} is expired` });
    expect(fee).toMatchObject({ note: 'no creditor reference in the remittance text' });

    const headers = key();
    const assigned = await h.call('POST', `/v1/bank-statement-lines/${lateLine!.id}/assign`, { top_up_id: late.id }, headers);
    expect(assigned.body).toMatchObject({ status: 'matched', top_up_id: late.id });
    expect(await balance(acme)).toMatchObject({ balance: '4000' });
    expect((await h.call('POST', `/v1/bank-statement-lines/${lateLine!.id}/assign`, { top_up_id: late.id }, headers)).headers['idempotent-replayed']).toBe('true');
    expect((await h.call('POST', `/v1/bank-statement-lines/${lateLine!.id}/assign`, { top_up_id: late.id }, key())).body).toMatchObject({ code: 'invalid_state' });
    expect(await balance(acme)).toMatchObject({ balance: '4000' });

    const dismissed = await h.call('POST', `/v1/bank-statement-lines/${fee!.id}/dismiss`, { reason: 'not a top-up: paid back by the bank' });
    expect(dismissed.body).toMatchObject({ status: 'dismissed', note: 'not a top-up: paid back by the bank' });
    expect(await unmatched()).toEqual([]);
    const audit = (await h.call('GET', '/v1/audit')).body.data.map((e: { action: string }) => e.action);
    expect(audit).toEqual(expect.arrayContaining(['bank_statement_line.assigned', 'bank_statement_line.dismissed']));
  });

  it('refuses to assign a line to a top-up in another currency', async () => {
    const dollars = (await s.createAccount({ currency: 'USD' })).id;
    const usd = (await requestTopUp(dollars, '1000')).body.id as number;
    await post('date,amount,currency,reference,counterparty\n2026-12-20,10.00,EUR,no reference,Someone\n');
    const [line] = await unmatched();
    expect((await h.call('POST', `/v1/bank-statement-lines/${line!.id}/assign`, { top_up_id: usd }, key())).body).toMatchObject({ code: 'currency_mismatch', field: '/top_up_id' });
    expect(await balance(dollars)).toMatchObject({ balance: '0', pending_top_ups: '1000' });
  });
});

describe('the smallest and largest top-up', () => {
  it('refuses a top-up outside the limits set for its currency, and only for that currency', async () => {
    const set = await h.call('PUT', '/v1/settings/top-up-limits', { CHF: { min: '500', max: '100000' } });
    expect(set.body).toEqual({ CHF: { min: '500', max: '100000' } });
    expect((await h.call('GET', '/v1/settings/top-up-limits')).body).toEqual({ CHF: { min: '500', max: '100000' } });
    const swiss = (await s.createAccount({ currency: 'CHF' })).id;
    const low = await requestTopUp(swiss, '499');
    expect(low).toMatchObject({ status: 400, body: { code: 'amount_out_of_range', field: '/amount', detail: 'a top-up is at least 5.00 CHF', min: '500', max: '100000' } });
    expect((await requestTopUp(swiss, '100001')).body).toMatchObject({ code: 'amount_out_of_range', detail: 'a top-up is at most 1000.00 CHF' });
    expect((await requestTopUp(swiss, '500')).status).toBe(201);
    expect(await balance(swiss)).toMatchObject({ pending_top_ups: '500' }); // only the one within the limits
    const euro = (await s.createAccount()).id;
    expect((await requestTopUp(euro, '1')).status).toBe(201);
  });

  it('refuses limits that are not limits', async () => {
    expect((await h.call('PUT', '/v1/settings/top-up-limits', { ABC: { min: '1' } })).body).toMatchObject({ code: 'unknown_currency', field: '/ABC' });
    expect((await h.call('PUT', '/v1/settings/top-up-limits', { EUR: { min: '900', max: '100' } })).body).toMatchObject({ code: 'validation_failed', field: '/EUR/min' });
    expect((await h.call('PUT', '/v1/settings/top-up-limits', { EUR: { min: '0' } })).body).toMatchObject({ field: '/EUR/min' });
    expect((await h.call('GET', '/v1/settings/top-up-limits')).body).toEqual({ CHF: { min: '500', max: '100000' } });
  });
});
