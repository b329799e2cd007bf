// Bad input to the accounts API: each gets a 4xx problem+json with a stable code and the
// field at fault, and writes nothing.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query } from '../src/db/client.js';
import { type Harness, startHarness } from './support/harness.js';

let h: Harness;
let accountId: number;
beforeAll(async () => {
  h = await startHarness();
  accountId = (await h.call('POST', '/v1/accounts', { name: 'Valid', currency: 'EUR' })).body.id;
});
afterAll(() => h.close());

async function counts() {
  const [row] = await query<Record<string, bigint>>(
    h.kassa.db,
    sql`select (select count(*) from accounts) as accounts, (select count(*) from ledger_transactions) as transactions,
               (select count(*) from ledger_postings) as postings, (select count(*) from outbox) as events,
               (select count(*) from idempotency_keys) as keys, (select sum(balance) from accounts) as balances`,
  );
  return row;
}

function expectProblem(r: Awaited<ReturnType<Harness['call']>>, status: number, code: string, field?: string) {
  expect(r.status).toBe(status);
  expect(r.headers['content-type']).toContain('application/problem+json');
  expect(r.body).toMatchObject({ status, code, type: `https://kassa.dev/problems/${code}` });
  if (field !== undefined) expect(r.body.field).toBe(field);
}

describe('opening an account with bad input', () => {
  it.each([
    ['an unknown currency', { name: 'A', currency: 'XYZ' }, 'unknown_currency', '/currency'],
    ['a lower-case currency', { name: 'A', currency: 'eur' }, 'unknown_currency', '/currency'],
    ['a number as currency', { name: 'A', currency: 978 }, 'validation_failed', '/currency'],
    ['no name', { currency: 'EUR' }, 'validation_failed', '/name'],
    ['a blank name', { name: '   ', currency: 'EUR' }, 'validation_failed', '/name'],
    ['an object as name', { name: { first: 'A' }, currency: 'EUR' }, 'validation_failed', '/name'],
    ['no currency', { name: 'A' }, 'validation_failed', '/currency'],
    ['an unknown type', { name: 'A', currency: 'EUR', type: 'enterprise' }, 'validation_failed', '/type'],
    ['a non-boolean credit_enabled', { name: 'A', currency: 'EUR', credit_enabled: 'maybe' }, 'validation_failed', '/credit_enabled'],
    ['an unknown field', { name: 'A', currency: 'EUR', nickname: 'a' }, 'validation_failed', '/nickname'],
    ['a negative threshold', { name: 'A', currency: 'EUR', low_balance_threshold: '-5' }, 'amount_out_of_range', '/low_balance_threshold'],
    ['an overflowing threshold', { name: 'A', currency: 'EUR', low_balance_threshold: '1000000000000000000' }, 'amount_out_of_range', '/low_balance_threshold'],
    ['a decimal threshold', { name: 'A', currency: 'EUR', low_balance_threshold: '12.50' }, 'validation_failed', '/low_balance_threshold'],
    ['a threshold as JSON number', { name: 'A', currency: 'EUR', low_balance_threshold: 500 }, 'validation_failed', '/low_balance_threshold'],
    ['zero threshold days', { name: 'A', currency: 'EUR', low_balance_threshold_days: 0 }, 'validation_failed', '/low_balance_threshold_days'],
    ['fractional threshold days', { name: 'A', currency: 'EUR', low_balance_threshold_days: 1.5 }, 'validation_failed', '/low_balance_threshold_days'],
    ['a malformed billing e-mail', { name: 'A', currency: 'EUR', billing_emails: ['not-an-email'] }, 'validation_failed', '/billing_emails/0'],
  ])('refuses %s', async (_what, body, code, field) => {
    const before = await counts();
    expectProblem(await h.call('POST', '/v1/accounts', body), 400, code, field);
    expect(await counts()).toEqual(before);
  });

  it('refuses malformed JSON', async () => {
    const before = await counts();
    expectProblem(await h.call('POST', '/v1/accounts', '{"name": "A", "currency": '), 400, 'malformed_json');
    expect(await counts()).toEqual(before);
  });
});

describe('unknown and malformed account ids', () => {
  it.each([
    ['GET', '/v1/accounts/999999', undefined],
    ['GET', '/v1/accounts/999999/balance', undefined],
    ['GET', '/v1/accounts/999999/ledger', undefined],
    ['GET', '/v1/accounts/999999/events', undefined],
    ['PATCH', '/v1/accounts/999999', { name: 'X' }],
  ])('%s %s answers 404 not_found', async (method, url, body) => {
    const before = await counts();
    expectProblem(await h.call(method, url, body), 404, 'not_found');
    expect(await counts()).toEqual(before);
  });

  it('answers 404 to an adjustment of an unknown account and keeps no idempotency record', async () => {
    const before = await counts();
    const r = await h.call('POST', '/v1/accounts/999999/adjustments', { direction: 'credit', amount: '100', reason: 'x' }, { 'idempotency-key': 'ghost' });
    expectProblem(r, 404, 'not_found');
    expect(await counts()).toEqual(before);
  });

  it.each(['abc', '0', '-1', '1.5', '99999999999999999999'])('refuses the id %s as a validation error on the path', async (id) => {
    expectProblem(await h.call('GET', `/v1/accounts/${id}`), 400, 'validation_failed', '/params/id');
  });
});

describe('changing settings with bad input', () => {
  it.each([
    ['an empty change', {}, 'validation_failed', undefined],
    ['an unknown field', { currency: 'USD' }, 'validation_failed', '/currency'],
    ['a blank name', { name: '' }, 'validation_failed', '/name'],
    ['a negative threshold', { low_balance_threshold: '-1' }, 'amount_out_of_range', '/low_balance_threshold'],
    ['a non-boolean credit flag', { credit_enabled: 'on' }, 'validation_failed', '/credit_enabled'],
  ])('refuses %s', async (_what, body, code, field) => {
    const before = await counts();
    const account = (await h.call('GET', `/v1/accounts/${accountId}`)).body;
    expectProblem(await h.call('PATCH', `/v1/accounts/${accountId}`, body), 400, code, field);
    expect(await counts()).toEqual(before);
    expect((await h.call('GET', `/v1/accounts/${accountId}`)).body).toEqual(account);
  });
});

describe('adjusting with bad input', () => {
  const key = { 'idempotency-key': 'bad-input' };
  it.each([
    ['a zero amount', { direction: 'credit', amount: '0', reason: 'x' }, 'amount_out_of_range', '/amount'],
    ['a negative amount', { direction: 'credit', amount: '-100', reason: 'x' }, 'amount_out_of_range', '/amount'],
    ['a 19-digit amount', { direction: 'credit', amount: '1000000000000000000', reason: 'x' }, 'amount_out_of_range', '/amount'],
    ['a decimal amount', { direction: 'credit', amount: '12.50', reason: 'x' }, 'validation_failed', '/amount'],
    ['an amount as JSON number', { direction: 'credit', amount: 1250, reason: 'x' }, 'validation_failed', '/amount'],
    ['no amount', { direction: 'credit', reason: 'x' }, 'validation_failed', '/amount'],
    ['no reason', { direction: 'credit', amount: '100' }, 'validation_failed', '/reason'],
    ['a blank reason', { direction: 'credit', amount: '100', reason: ' ' }, 'validation_failed', '/reason'],
    ['an unknown direction', { direction: 'sideways', amount: '100', reason: 'x' }, 'validation_failed', '/direction'],
    ['an unknown field', { direction: 'credit', amount: '100', reason: 'x', currency: 'USD' }, 'validation_failed', '/currency'],
  ])('refuses %s', async (_what, body, code, field) => {
    const before = await counts();
    expectProblem(await h.call('POST', `/v1/accounts/${accountId}/adjustments`, body, key), 400, code, field);
    expect(await counts()).toEqual(before);
  });

  it('refuses an adjustment without an Idempotency-Key, or with a malformed one', async () => {
    const before = await counts();
    const body = { direction: 'credit', amount: '100', reason: 'x' };
    expectProblem(await h.call('POST', `/v1/accounts/${accountId}/adjustments`, body), 400, 'idempotency_key_required', '/headers/idempotency-key');
    expectProblem(await h.call('POST', `/v1/accounts/${accountId}/adjustments`, body, { 'idempotency-key': 'has spaces' }), 400, 'validation_failed', '/headers/idempotency-key');
    expect(await counts()).toEqual(before);
  });

  it('refuses malformed JSON', async () => {
    const before = await counts();
    expectProblem(await h.call('POST', `/v1/accounts/${accountId}/adjustments`, '{"direction":', key), 400, 'malformed_json');
    expect(await counts()).toEqual(before);
  });
});
