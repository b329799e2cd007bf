// The ledger read API and `verifyLedger`, the invariants `kassa verify` checks.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockAccount } from '../src/accounts/lock.js';
import { type Db, query } from '../src/db/client.js';
import { chargePostings, postLedgerTransaction } from '../src/ledger/post.js';
import { verifyLedger } from '../src/ledger/verify.js';
import { type Harness, startHarness } from './support/harness.js';

let h: Harness;
let accountId: number;
beforeAll(async () => {
  h = await startHarness({ clockStart: '2026-11-02T00:00:00Z' });
  accountId = (await h.call('POST', '/v1/accounts', { name: 'Ledgered', currency: 'EUR' })).body.id;
  // Five movements: +100.00, -10.00, -20.00, -30.00, +5.00 -> 45.00
  let n = 0;
  for (const [direction, amount] of [['credit', '10000'], ['debit', '1000'], ['debit', '2000'], ['debit', '3000'], ['credit', '500']] as const) {
    const r = await h.call('POST', `/v1/accounts/${accountId}/adjustments`, { direction, amount, reason: `movement ${++n}` }, { 'idempotency-key': `l-${n}` });
    expect(r.status).toBe(201);
  }
});
afterAll(() => h.close());

describe('reading the ledger', () => {
  it('pages through transactions by cursor, each with its postings', async () => {
    const first = await h.call('GET', `/v1/accounts/${accountId}/ledger?limit=2`);
    expect(first.status).toBe(200);
    expect(first.body.data.map((t: { description: string }) => t.description)).toEqual(['movement 1', 'movement 2']);
    const second = await h.call('GET', `/v1/accounts/${accountId}/ledger?limit=2&cursor=${first.body.next_cursor}`);
    const third = await h.call('GET', `/v1/accounts/${accountId}/ledger?limit=2&cursor=${second.body.next_cursor}`);
    expect(third.body.next_cursor).toBeNull();
    const all = [...first.body.data, ...second.body.data, ...third.body.data];
    expect(all.map((t) => t.customer_amount)).toEqual(['10000', '-1000', '-2000', '-3000', '500']);
    for (const t of all) {
      expect(t.postings).toHaveLength(2);
      const total = t.postings.reduce((sum: bigint, p: { amount: string }) => sum + BigInt(p.amount), 0n);
      expect(total).toBe(0n); // every transaction balances
    }
    // 100.00 - 10.00 - 20.00 - 30.00 + 5.00 = 45.00
    expect((await h.call('GET', `/v1/accounts/${accountId}/balance`)).body.balance).toBe('4500');
  });

  it("shows only the account's own transactions", async () => {
    const other = (await h.call('POST', '/v1/accounts', { name: 'Other', currency: 'EUR' })).body.id;
    expect((await h.call('GET', `/v1/accounts/${other}/ledger`)).body).toEqual({ data: [], next_cursor: null });
  });

  it('refuses a malformed cursor or limit', async () => {
    expect((await h.call('GET', `/v1/accounts/${accountId}/ledger?cursor=abc`)).body).toMatchObject({ code: 'validation_failed', field: '/querystring/cursor' });
    expect((await h.call('GET', `/v1/accounts/${accountId}/ledger?limit=0`)).body).toMatchObject({ code: 'validation_failed', field: '/querystring/limit' });
  });
});

describe('verifying the ledger', () => {
  it('passes on a healthy database', async () => {
    const report = await verifyLedger(h.kassa.db);
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('reports an account past its usable credit as advisory, without failing', async () => {
    const id = (await h.call('POST', '/v1/accounts', { name: 'In arrears', currency: 'EUR' })).body.id;
    // An in-arrears charge bills what was consumed, whatever the balance: 0 - 12.00 = -12.00.
    await h.kassa.db.transaction(async (tx) => {
      await lockAccount(tx as unknown as Db, id);
      await postLedgerTransaction(tx as unknown as Db, { accountId: id, kind: 'subscription_charge', description: 'usage', postings: chargePostings(1200n), at: h.kassa.clock.now() });
    });
    const report = await verifyLedger(h.kassa.db);
    expect(report.ok).toBe(true);
    const advisory = report.checks.find((c) => c.advisory)!;
    expect(advisory).toMatchObject({ ok: false, violations: 1, examples: [{ account_id: String(id), balance: '-1200', usable_credit: '0' }] });
  });

  it('fails when a cached balance no longer equals its postings', async () => {
    await query(h.kassa.db, sql`update accounts set balance = balance + 1 where id = ${accountId}`);
    const report = await verifyLedger(h.kassa.db);
    await query(h.kassa.db, sql`update accounts set balance = balance - 1 where id = ${accountId}`);
    expect(report.ok).toBe(false);
    const failed = report.checks.filter((c) => !c.ok && !c.advisory);
    expect(failed.map((c) => c.name)).toEqual(["every account's balance equals its customer postings"]);
    // 4500 cached + 1 corrupted = 4501 against 4500 in postings
    expect(failed[0]!.examples).toEqual([{ account_id: String(accountId), balance: '4501', customer_postings: '4500' }]);
  });

  it('fails on an unbalanced transaction and a wrong customer_amount', async () => {
    const [posting] = await query<{ transaction_id: bigint; line: number }>(
      h.kassa.db,
      sql`select transaction_id, line from ledger_postings where account_id = ${accountId} and ledger_account = 'adjustments' order by transaction_id, line limit 1`,
    );
    const samePosting = sql`transaction_id = ${posting!.transaction_id} and line = ${posting!.line}`;
    await query(h.kassa.db, sql`update ledger_postings set amount = amount + 7 where ${samePosting}`);
    const report = await verifyLedger(h.kassa.db);
    await query(h.kassa.db, sql`update ledger_postings set amount = amount - 7 where ${samePosting}`);
    expect(report.ok).toBe(false);
    expect(report.checks.filter((c) => !c.ok && !c.advisory).map((c) => [c.name, c.violations])).toEqual([
      ['every transaction has two or more postings summing to zero', 1],
    ]);
    await query(h.kassa.db, sql`update ledger_transactions set customer_amount = customer_amount + 1 where id = (select min(id) from ledger_transactions where account_id = ${accountId})`);
    const second = await verifyLedger(h.kassa.db);
    expect(second.checks.filter((c) => !c.ok && !c.advisory).map((c) => c.name)).toEqual(["every transaction's customer_amount equals its customer postings"]);
  });
});
