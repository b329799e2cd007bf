// SPEC 15: every bad request gets a clear error and changes nothing. One row per case: each
// must answer a 4xx RFC 9457 problem+json with its stable `code` (and the `field` at fault
// where one is), and leave the database as it was: the row count of every table, a digest of
// every table's rows, and the sum of the balances are compared before and after.
import { type SQL, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query } from '../src/db/client.js';
import { type Harness, startHarness } from './support/harness.js';

let h: Harness;

/** Ids the cases refer to as {name} in their url, and through functions in their body. */
interface Fixtures {
  acc: number;
  poor: number;
  /** Holds close to the most Kassa holds (2^62 minor units). */
  rich: number;
  sub: number;
  off: number;
  /** Spares for cases that would change state if Kassa wrongly accepted them. */
  spareOn: number;
  spareOff: number;
  plan: number;
  other: number;
  huge: number;
}
let f: Fixtures;

const FRESH = '<fresh idempotency key>';
const KEY = { 'idempotency-key': FRESH };
const OPENING_KEY = 'bad-input-opening-credit';
const SUBSCRIBE_KEY = 'bad-input-subscribe';

// ---------- setup: a small world the bad requests aim at ----------

async function ok(r: Awaited<ReturnType<Harness['call']>>, status: number) {
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  return r.body;
}

beforeAll(async () => {
  h = await startHarness({ clockStart: '2026-11-02T10:00:00Z' });
  for (const code of ['cpe', 'ip']) await ok(await h.call('POST', '/v1/services', { code, name: code, unit: 'unit' }), 201);
  const plan = async (code: string, definition: unknown) =>
    (await ok(await h.call('POST', '/v1/plans', { code, name: code, kind: 'custom', cadence: 'daily', timing: 'in_advance', prices: [{ currency: 'EUR', definition }] }), 201)).id as number;
  const planId = await plan('bad_daily', { base_price: '2.40', items: [{ service: 'cpe', unit_price: '0.05', max: 1000 }], quotas: { sites: 3 } });
  const other = await plan('bad_other', { base_price: '1.00', items: [{ service: 'ip', unit_price: '0.50' }] });
  // One unit costs almost a trillion euros a day: a billion of them overflow what Kassa holds.
  const huge = await plan('bad_huge', { items: [{ service: 'cpe', unit_price: '999999999999.999999999999' }] });

  const acc = (await ok(await h.call('POST', '/v1/accounts', { name: 'Funded', currency: 'EUR', external_ref: 'taken-ref' }), 201)).id as number;
  const poor = (await ok(await h.call('POST', '/v1/accounts', { name: 'Poor', currency: 'EUR' }), 201)).id as number;
  await ok(await h.call('POST', `/v1/accounts/${acc}/adjustments`, { direction: 'credit', amount: '100000', reason: 'opening' }, { 'idempotency-key': OPENING_KEY }), 201);
  const sub = (await ok(await h.call('POST', `/v1/accounts/${acc}/subscriptions`, { plan_id: planId, quantities: { cpe: 10 } }, { 'idempotency-key': SUBSCRIBE_KEY }), 201)).subscription.id as number;
  const rich = (await ok(await h.call('POST', '/v1/accounts', { name: 'Rich', currency: 'EUR' }), 201)).id as number;
  for (let i = 0; i < 4; i++) {
    await ok(await h.call('POST', `/v1/accounts/${rich}/adjustments`, { direction: 'credit', amount: '999999999999999999', reason: 'fortune' }, { 'idempotency-key': `bad-input-rich-${i}` }), 201);
  }
  let setupKeys = 0;
  const another = async (disabled: boolean) => {
    const id = (await ok(await h.call('POST', `/v1/accounts/${acc}/subscriptions`, { plan_id: planId }, { 'idempotency-key': `bad-input-setup-${setupKeys++}` }), 201)).subscription.id as number;
    if (disabled) await ok(await h.call('POST', `/v1/subscriptions/${id}/disable`, {}, { 'idempotency-key': `bad-input-setup-${setupKeys++}` }), 200);
    return id;
  };
  f = { acc, poor, rich, sub, off: await another(true), spareOn: await another(false), spareOff: await another(true), plan: planId, other, huge };
});
afterAll(() => h.close());

// ---------- what "unchanged" means ----------

/** One statement reading every public table's row count and digest, built on first use. */
let everyTable: SQL | undefined;

/** Row counts and a digest of the rows of every public table, and the sum of the balances. */
async function snapshot() {
  if (!everyTable) {
    const rows = await query<{ table_name: string }>(
      h.kassa.db,
      sql`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`,
    );
    // attempt_counts counts every request to a rate-limited route before it is read, bad ones
    // too (a guesser's malformed attempts count against them): it is not what the request changes.
    everyTable = sql.join(
      rows.filter(({ table_name: table }) => table !== 'attempt_counts').map(({ table_name: table }) => {
        const name = sql.raw(`"${table.replaceAll('"', '""')}"`);
        // api_keys.last_used_at is touched by authentication itself: its rows are counted only.
        const digest = table === 'api_keys' ? sql`''` : sql`md5(coalesce(string_agg(x::text, '|' order by x::text), ''))`;
        return sql`select ${table}::text as name, count(*) as n, ${digest} as digest from ${name} x`;
      }),
      sql` union all `,
    );
  }
  const out: Record<string, string> = {};
  for (const row of await query<{ name: string; n: bigint; digest: string }>(h.kassa.db, everyTable)) out[row.name] = `${row.n} rows ${row.digest}`;
  const [sum] = await query<{ total: bigint | null }>(h.kassa.db, sql`select sum(balance) as total from accounts`);
  out['sum(accounts.balance)'] = String(sum!.total);
  return out;
}

// ---------- the cases ----------

type Body = unknown | ((fx: Fixtures) => unknown);

interface Case {
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH';
  url: string;
  /** JSON-encoded unless `raw` is given. */
  body?: Body;
  /** Sent as is, with content-type application/json unless headers say otherwise. */
  raw?: string;
  /** FRESH stands for a new Idempotency-Key; null removes a header the call would send. */
  headers?: Record<string, string | null>;
  status: number;
  code: string;
  field?: string;
}

const row = (method: Case['method'], url: string, name: string, body: Body, status: number, code: string, field?: string, headers?: Case['headers']): Case => ({
  name,
  method,
  url,
  body,
  status,
  code,
  ...(field === undefined ? {} : { field }),
  ...(headers === undefined ? {} : { headers }),
});

/** Every route that reads a JSON body, with a body it would accept (the base of each case). */
const bodyRoutes: { method: Case['method']; url: string; good: Body; headers?: Case['headers'] }[] = [
  { method: 'POST', url: '/v1/accounts', good: { name: 'New', currency: 'EUR' } },
  { method: 'PATCH', url: '/v1/accounts/{acc}', good: { name: 'Renamed' } },
  { method: 'POST', url: '/v1/accounts/{acc}/adjustments', good: { direction: 'credit', amount: '100', reason: 'goodwill' }, headers: KEY },
  { method: 'POST', url: '/v1/services', good: { code: 'sms', name: 'SMS', unit: 'message' } },
  { method: 'POST', url: '/v1/plans', good: { code: 'new_plan', name: 'New', kind: 'preset', cadence: 'daily', timing: 'in_advance', prices: [{ currency: 'EUR', definition: { base_price: '1' } }] } },
  { method: 'POST', url: '/v1/plans/{plan}/versions', good: { currency: 'EUR', definition: { base_price: '3' } } },
  { method: 'POST', url: '/v1/accounts/{acc}/subscriptions', good: (fx: Fixtures) => ({ plan_id: fx.plan }), headers: KEY },
  { method: 'POST', url: '/v1/accounts/{acc}/subscriptions/preview', good: (fx: Fixtures) => ({ plan_id: fx.plan }) },
  { method: 'POST', url: '/v1/subscriptions/{sub}/configure', good: { quantities: { cpe: 12 } }, headers: KEY },
  { method: 'POST', url: '/v1/subscriptions/{sub}/configure/preview', good: { quantities: { cpe: 12 } } },
  { method: 'POST', url: '/v1/subscriptions/{sub}/change-plan', good: (fx: Fixtures) => ({ plan_id: fx.other }), headers: KEY },
  { method: 'POST', url: '/v1/subscriptions/{sub}/change-plan/preview', good: (fx: Fixtures) => ({ plan_id: fx.other }) },
  { method: 'PUT', url: '/v1/accounts/{acc}/object-counts', good: { counts: { sites: 1 } } },
  { method: 'POST', url: '/v1/clock/advance', good: { seconds: 60 } },
];

const withExtra = (good: Body) => (fx: Fixtures) => ({ ...((typeof good === 'function' ? good(fx) : good) as object), surprise: true });
const padded = (good: Body) => (fx: Fixtures) => ({ ...((typeof good === 'function' ? good(fx) : good) as object), padding: 'x'.repeat(1024 * 1024 + 1) });

const everyBodyRoute: Case[] = bodyRoutes.flatMap(({ method, url, good, headers }) => [
  { name: 'malformed JSON', method, url, raw: '{"name": "A", ', headers, status: 400, code: 'malformed_json' },
  { name: 'an empty JSON body', method, url, raw: '', headers, status: 400, code: 'malformed_json' },
  { name: 'a JSON array for the body', method, url, raw: '[]', headers, status: 400, code: 'validation_failed', field: '/' },
  { name: 'JSON null for the body', method, url, raw: 'null', headers, status: 400, code: 'validation_failed', field: '/' },
  row(method, url, 'an unknown extra field', withExtra(good), 400, 'validation_failed', '/surprise', headers),
  row(method, url, 'a body over 1 MiB', padded(good), 413, 'body_too_large', undefined, headers),
  { name: 'content-type text/plain', method, url, body: good, headers: { ...headers, 'content-type': 'text/plain' }, status: 415, code: 'unsupported_media_type' },
  { name: 'content-type application/xml', method, url, raw: '<account/>', headers: { ...headers, 'content-type': 'application/xml' }, status: 415, code: 'unsupported_media_type' },
  { name: 'form-encoded', method, url, raw: 'name=A&currency=EUR', headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, status: 415, code: 'unsupported_media_type' },
  { name: 'no content-type', method, url, raw: '{}', headers: { ...headers, 'content-type': null }, status: 415, code: 'unsupported_media_type' },
]);

const accounts: Case[] = [
  row('POST', '/v1/accounts', 'no name', { currency: 'EUR' }, 400, 'validation_failed', '/name'),
  row('POST', '/v1/accounts', 'no currency', { name: 'A' }, 400, 'validation_failed', '/currency'),
  row('POST', '/v1/accounts', 'an unknown currency', { name: 'A', currency: 'XYZ' }, 400, 'unknown_currency', '/currency'),
  row('POST', '/v1/accounts', 'a currency as a number', { name: 'A', currency: 978 }, 400, 'validation_failed', '/currency'),
  row('POST', '/v1/accounts', 'a name as an array', { name: ['A'], currency: 'EUR' }, 400, 'validation_failed', '/name'),
  row('POST', '/v1/accounts', 'credit_enabled as a string', { name: 'A', currency: 'EUR', credit_enabled: 'true' }, 400, 'validation_failed', '/credit_enabled'),
  row('POST', '/v1/accounts', 'an unknown type', { name: 'A', currency: 'EUR', type: 'enterprise' }, 400, 'validation_failed', '/type'),
  row('POST', '/v1/accounts', 'a name over 200 characters', { name: 'n'.repeat(201), currency: 'EUR' }, 400, 'validation_failed', '/name'),
  row('POST', '/v1/accounts', 'an empty external_ref', { name: 'A', currency: 'EUR', external_ref: '' }, 400, 'validation_failed', '/external_ref'),
  row('POST', '/v1/accounts', 'a billing e-mail twice', { name: 'A', currency: 'EUR', billing_emails: ['a@example.com', 'a@example.com'] }, 400, 'validation_failed', '/billing_emails'),
  row('POST', '/v1/accounts', 'a malformed billing e-mail', { name: 'A', currency: 'EUR', billing_emails: ['not-an-address'] }, 400, 'validation_failed', '/billing_emails/0'),
  row('POST', '/v1/accounts', 'a taken external_ref', { name: 'A', currency: 'EUR', external_ref: 'taken-ref' }, 409, 'already_exists', '/external_ref'),
  row('POST', '/v1/accounts', 'a negative threshold', { name: 'A', currency: 'EUR', low_balance_threshold: '-5' }, 400, 'amount_out_of_range', '/low_balance_threshold'),
  row('POST', '/v1/accounts', 'an overflowing threshold', { name: 'A', currency: 'EUR', low_balance_threshold: '99999999999999999999' }, 400, 'amount_out_of_range', '/low_balance_threshold'),
  row('POST', '/v1/accounts', 'a fractional threshold', { name: 'A', currency: 'EUR', low_balance_threshold: '1.5' }, 400, 'validation_failed', '/low_balance_threshold'),
  row('POST', '/v1/accounts', 'a threshold as a JSON number', { name: 'A', currency: 'EUR', low_balance_threshold: 1.5 }, 400, 'validation_failed', '/low_balance_threshold'),
  row('POST', '/v1/accounts', 'zero threshold days', { name: 'A', currency: 'EUR', low_balance_threshold_days: 0 }, 400, 'validation_failed', '/low_balance_threshold_days'),
  row('POST', '/v1/accounts', 'fractional threshold days', { name: 'A', currency: 'EUR', low_balance_threshold_days: 1.5 }, 400, 'validation_failed', '/low_balance_threshold_days'),
  row('PATCH', '/v1/accounts/{acc}', 'no change at all', {}, 400, 'validation_failed', '/'),
  row('PATCH', '/v1/accounts/{acc}', 'credit_enabled as a string', { credit_enabled: 'yes' }, 400, 'validation_failed', '/credit_enabled'),
  row('PATCH', '/v1/accounts/{acc}', 'credit_enabled null', { credit_enabled: null }, 400, 'validation_failed', '/credit_enabled'),
  row('PATCH', '/v1/accounts/{acc}', 'a negative threshold', { low_balance_threshold: '-5' }, 400, 'amount_out_of_range', '/low_balance_threshold'),
  row('PATCH', '/v1/accounts/{acc}', 'a blank name', { name: '   ' }, 400, 'validation_failed', '/name'),
  row('PATCH', '/v1/accounts/999999', 'an unknown account', { name: 'X' }, 404, 'not_found'),
  row('PATCH', '/v1/accounts/0', 'account id 0', { name: 'X' }, 400, 'validation_failed', '/params/id'),
];

const adjust = (amount: unknown, more: Record<string, unknown> = {}) => ({ direction: 'credit', amount, reason: 'test', ...more });
const adjustments: Case[] = [
  row('POST', '/v1/accounts/{acc}/adjustments', 'no Idempotency-Key', adjust('100'), 400, 'idempotency_key_required', '/headers/idempotency-key'),
  row('POST', '/v1/accounts/{acc}/adjustments', 'an Idempotency-Key with spaces', adjust('100'), 400, 'validation_failed', '/headers/idempotency-key', { 'idempotency-key': 'not a key' }),
  row('POST', '/v1/accounts/{acc}/adjustments', 'a reused Idempotency-Key with another body', adjust('5', { reason: 'opening' }), 409, 'idempotency_conflict', '/headers/idempotency-key', { 'idempotency-key': OPENING_KEY }),
  row('POST', '/v1/accounts/{acc}/adjustments', 'an amount as a JSON fraction', adjust(1.5), 400, 'validation_failed', '/amount', KEY),
  row('POST', '/v1/accounts/{acc}/adjustments', 'an amount as a JSON integer', adjust(100), 400, 'validation_failed', '/amount', KEY),
  row('POST', '/v1/accounts/{acc}/adjustments', 'an amount as a boolean', adjust(true), 400, 'validation_failed', '/amount', KEY),
  row('POST', '/v1/accounts/{acc}/adjustments', 'a decimal amount string', adjust('1.5'), 400, 'validation_failed', '/amount', KEY),
  row('POST', '/v1/accounts/{acc}/adjustments', 'an exponent amount string', adjust('1e3'), 400, 'validation_failed', '/amount', KEY),
  row('POST', '/v1/accounts/{acc}/adjustments', 'a zero amount', adjust('0'), 400, 'amount_out_of_range', '/amount', KEY),
  row('POST', '/v1/accounts/{acc}/adjustments', 'a negative amount', adjust('-5'), 400, 'amount_out_of_range', '/amount', KEY),
  row('POST', '/v1/accounts/{acc}/adjustments', 'an overflowing amount', adjust('99999999999999999999'), 400, 'amount_out_of_range', '/amount', KEY),
  row('POST', '/v1/accounts/{acc}/adjustments', 'no amount', { direction: 'credit', reason: 'test' }, 400, 'validation_failed', '/amount', KEY),
  row('POST', '/v1/accounts/{acc}/adjustments', 'an unknown direction', adjust('100', { direction: 'sideways' }), 400, 'validation_failed', '/direction', KEY),
  row('POST', '/v1/accounts/{acc}/adjustments', 'no reason', { direction: 'credit', amount: '100' }, 400, 'validation_failed', '/reason', KEY),
  row('POST', '/v1/accounts/{acc}/adjustments', 'a blank reason', adjust('100', { reason: ' ' }), 400, 'validation_failed', '/reason', KEY),
  row('POST', '/v1/accounts/{acc}/adjustments', 'a reason over 500 characters', adjust('100', { reason: 'r'.repeat(501) }), 400, 'validation_failed', '/reason', KEY),
  row('POST', '/v1/accounts/{rich}/adjustments', 'a credit taking the balance past what Kassa holds', adjust('999999999999999999'), 400, 'amount_out_of_range', '/amount', KEY),
  row('POST', '/v1/accounts/{poor}/adjustments', 'a debit beyond the available funds', adjust('1', { direction: 'debit' }), 422, 'insufficient_funds', '/amount', KEY),
  row('POST', '/v1/accounts/999999/adjustments', 'an unknown account', adjust('100'), 404, 'not_found', undefined, KEY),
  row('POST', '/v1/accounts/abc/adjustments', 'a non-numeric account id', adjust('100'), 400, 'validation_failed', '/params/id', KEY),
  row('POST', '/v1/accounts/99999999999999999999/adjustments', 'an overflowing account id', adjust('100'), 400, 'validation_failed', '/params/id', KEY),
  { name: 'an amount beyond 2^53 as a JSON number', method: 'POST', url: '/v1/accounts/{acc}/adjustments', raw: '{"direction":"credit","amount":9007199254740993,"reason":"x"}', headers: KEY, status: 400, code: 'validation_failed', field: '/amount' },
];

const definition = (more: Record<string, unknown>) => ({ code: 'bad_plan', name: 'Bad', kind: 'preset', cadence: 'daily', timing: 'in_advance', prices: [{ currency: 'EUR', definition: { base_price: '1', ...more } }] });
const catalog: Case[] = [
  row('POST', '/v1/services', 'no unit', { code: 'sms', name: 'SMS' }, 400, 'validation_failed', '/unit'),
  row('POST', '/v1/services', 'a code with capitals and spaces', { code: 'Bad Code', name: 'X', unit: 'u' }, 400, 'validation_failed', '/code'),
  row('POST', '/v1/services', 'a code as a number', { code: 7, name: 'X', unit: 'u' }, 400, 'validation_failed', '/code'),
  row('POST', '/v1/services', 'a taken code', { code: 'cpe', name: 'X', unit: 'u' }, 409, 'already_exists', '/code'),
  row('POST', '/v1/plans', 'an unknown currency', { ...definition({}), prices: [{ currency: 'EUX', definition: { base_price: '1' } }] }, 400, 'unknown_currency', '/prices/0/currency'),
  row('POST', '/v1/plans', 'no prices', { ...definition({}), prices: [] }, 400, 'validation_failed', '/prices'),
  row('POST', '/v1/plans', 'a weekly cadence', { ...definition({}), cadence: 'weekly' }, 400, 'validation_failed', '/cadence'),
  row('POST', '/v1/plans', 'a negative base price', definition({ base_price: '-1' }), 400, 'validation_failed', '/prices/0/definition/base_price'),
  row('POST', '/v1/plans', 'a base price as a JSON number', definition({ base_price: 1.5 }), 400, 'validation_failed', '/prices/0/definition/base_price'),
  row('POST', '/v1/plans', 'an overflowing base price', definition({ base_price: '99999999999999999999' }), 400, 'validation_failed', '/prices/0/definition/base_price'),
  row('POST', '/v1/plans', 'an item of an unknown service', definition({ items: [{ service: 'nope', unit_price: '1' }] }), 400, 'validation_failed', '/prices/0/definition/items/0/service'),
  row('POST', '/v1/plans', 'a fractional quota', definition({ quotas: { sites: 1.5 } }), 400, 'validation_failed', '/prices/0/definition/quotas/sites'),
  row('POST', '/v1/plans', 'an effective_from in the past', { ...definition({}), effective_from: '2020-01-01T00:00:00Z' }, 400, 'validation_failed', '/effective_from'),
  row('POST', '/v1/plans', 'a taken code', { ...definition({}), code: 'bad_daily' }, 409, 'already_exists', '/code'),
  row('POST', '/v1/plans/999999/versions', 'an unknown plan', { currency: 'EUR', definition: { base_price: '1' } }, 404, 'not_found'),
  row('POST', '/v1/plans/{plan}/versions', 'an unknown currency', { currency: 'EUX', definition: { base_price: '1' } }, 400, 'unknown_currency', '/currency'),
  row('POST', '/v1/plans/{plan}/versions', 'no definition', { currency: 'EUR' }, 400, 'validation_failed', '/definition'),
  row('POST', '/v1/plans/{plan}/versions', 'an effective_from in the past', { currency: 'EUR', definition: { base_price: '1' }, effective_from: '2020-01-01T00:00:00Z' }, 400, 'validation_failed', '/effective_from'),
];

const subscribe = (more: Record<string, unknown> = {}) => (fx: Fixtures) => ({ plan_id: fx.plan, ...more });
const subscriptions: Case[] = [
  row('POST', '/v1/accounts/{acc}/subscriptions', 'no Idempotency-Key', subscribe(), 400, 'idempotency_key_required', '/headers/idempotency-key'),
  row('POST', '/v1/accounts/{acc}/subscriptions', 'a reused Idempotency-Key with another body', subscribe({ quantities: { cpe: 11 } }), 409, 'idempotency_conflict', '/headers/idempotency-key', { 'idempotency-key': SUBSCRIBE_KEY }),
  row('POST', '/v1/accounts/{acc}/subscriptions', 'no plan_id', { quantities: {} }, 400, 'validation_failed', '/plan_id', KEY),
  row('POST', '/v1/accounts/{acc}/subscriptions', 'plan_id as a string', (fx: Fixtures) => ({ plan_id: String(fx.plan) }), 400, 'validation_failed', '/plan_id', KEY),
  row('POST', '/v1/accounts/{acc}/subscriptions', 'plan_id as a boolean', { plan_id: true }, 400, 'validation_failed', '/plan_id', KEY),
  row('POST', '/v1/accounts/{acc}/subscriptions', 'a fractional plan_id', { plan_id: 1.5 }, 400, 'validation_failed', '/plan_id', KEY),
  row('POST', '/v1/accounts/{acc}/subscriptions', 'plan_id 0', { plan_id: 0 }, 400, 'validation_failed', '/plan_id', KEY),
  // An unknown plan in the body is a field at fault (400), not a missing resource in the URL.
  row('POST', '/v1/accounts/{acc}/subscriptions', 'an unknown plan', { plan_id: 999999 }, 400, 'validation_failed', '/plan_id', KEY),
  row('POST', '/v1/accounts/{acc}/subscriptions', 'a negative quantity', subscribe({ quantities: { cpe: -1 } }), 400, 'validation_failed', '/quantities/cpe', KEY),
  row('POST', '/v1/accounts/{acc}/subscriptions', 'a fractional quantity', subscribe({ quantities: { cpe: 1.5 } }), 400, 'validation_failed', '/quantities/cpe', KEY),
  row('POST', '/v1/accounts/{acc}/subscriptions', 'a quantity as a string', subscribe({ quantities: { cpe: '5' } }), 400, 'validation_failed', '/quantities/cpe', KEY),
  row('POST', '/v1/accounts/{acc}/subscriptions', 'a quantity above the schema maximum', subscribe({ quantities: { cpe: 10_000_000_000 } }), 400, 'validation_failed', '/quantities/cpe', KEY),
  row('POST', '/v1/accounts/{acc}/subscriptions', "a quantity above the item's max", subscribe({ quantities: { cpe: 1001 } }), 400, 'validation_failed', '/quantities/cpe', KEY),
  row('POST', '/v1/accounts/{acc}/subscriptions', 'an item the plan does not have', subscribe({ quantities: { ip: 1 } }), 400, 'validation_failed', '/quantities/ip', KEY),
  row('POST', '/v1/accounts/{acc}/subscriptions', 'a configuration whose price overflows', (fx: Fixtures) => ({ plan_id: fx.huge, quantities: { cpe: 1_000_000_000 } }), 400, 'amount_out_of_range', '/quantities', KEY),
  row('POST', '/v1/accounts/{poor}/subscriptions', 'no funds for the first period', subscribe(), 422, 'insufficient_funds', undefined, KEY),
  row('POST', '/v1/accounts/999999/subscriptions', 'an unknown account', subscribe(), 404, 'not_found', undefined, KEY),
  row('POST', '/v1/accounts/999999/subscriptions/preview', 'an unknown account', subscribe(), 404, 'not_found'),
  row('POST', '/v1/accounts/{acc}/subscriptions/preview', 'a negative quantity', subscribe({ quantities: { cpe: -1 } }), 400, 'validation_failed', '/quantities/cpe'),

  ...(['enable', 'disable'] as const).flatMap((verb) => [
    row('POST', `/v1/subscriptions/{${verb === 'enable' ? 'off' : 'sub'}}/${verb}`, 'no Idempotency-Key', {}, 400, 'idempotency_key_required', '/headers/idempotency-key'),
    row('POST', `/v1/subscriptions/999999/${verb}`, 'an unknown subscription', {}, 404, 'not_found', undefined, KEY),
    row('POST', `/v1/subscriptions/abc/${verb}`, 'a non-numeric subscription id', {}, 400, 'validation_failed', '/params/id', KEY),
    // These calls take no fields: one the API does not know must be refused, not ignored.
    row('POST', `/v1/subscriptions/{${verb === 'enable' ? 'spareOff' : 'spareOn'}}/${verb}`, 'an unknown extra field', { force: true }, 400, 'validation_failed', '/force', KEY),
  ]),
  row('POST', '/v1/subscriptions/{sub}/enable', 'enabling an active subscription', {}, 409, 'invalid_state', undefined, KEY),
  row('POST', '/v1/subscriptions/{off}/disable', 'disabling a disabled subscription', {}, 409, 'invalid_state', undefined, KEY),
  row('POST', '/v1/subscriptions/{sub}/configure', 'no Idempotency-Key', { quantities: { cpe: 12 } }, 400, 'idempotency_key_required', '/headers/idempotency-key'),
  row('POST', '/v1/subscriptions/{sub}/configure', 'an Idempotency-Key used by another call', { quantities: { cpe: 12 } }, 409, 'idempotency_conflict', '/headers/idempotency-key', { 'idempotency-key': SUBSCRIBE_KEY }),
  row('POST', '/v1/subscriptions/{sub}/configure', 'no quantities', {}, 400, 'validation_failed', '/quantities', KEY),
  row('POST', '/v1/subscriptions/{sub}/configure', 'a negative quantity', { quantities: { cpe: -1 } }, 400, 'validation_failed', '/quantities/cpe', KEY),
  row('POST', '/v1/subscriptions/{sub}/configure', 'a bad item name', { quantities: { 'CPE!': 1 } }, 400, 'validation_failed', undefined, KEY),
  row('POST', '/v1/subscriptions/{sub}/configure', 'an item the plan does not have', { quantities: { ip: 1 } }, 400, 'validation_failed', '/quantities/ip', KEY),
  row('POST', '/v1/subscriptions/999999/configure', 'an unknown subscription', { quantities: { cpe: 1 } }, 404, 'not_found', undefined, KEY),
  row('POST', '/v1/subscriptions/{sub}/change-plan', 'no Idempotency-Key', (fx: Fixtures) => ({ plan_id: fx.other }), 400, 'idempotency_key_required', '/headers/idempotency-key'),
  row('POST', '/v1/subscriptions/{sub}/change-plan', 'the plan it is on', (fx: Fixtures) => ({ plan_id: fx.plan }), 400, 'validation_failed', '/plan_id', KEY),
  row('POST', '/v1/subscriptions/{sub}/change-plan', 'an unknown plan', { plan_id: 999999 }, 400, 'validation_failed', '/plan_id', KEY),
  row('POST', '/v1/subscriptions/{sub}/change-plan', 'plan_id as a string', { plan_id: 'bad_other' }, 400, 'validation_failed', '/plan_id', KEY),
  row('POST', '/v1/subscriptions/999999/change-plan', 'an unknown subscription', (fx: Fixtures) => ({ plan_id: fx.other }), 404, 'not_found', undefined, KEY),
  row('POST', '/v1/subscriptions/{sub}/change-plan/preview', 'an unknown plan', { plan_id: 999999 }, 400, 'validation_failed', '/plan_id'),
];

const usageAndClock: Case[] = [
  row('PUT', '/v1/accounts/{acc}/object-counts', 'no counts', {}, 400, 'validation_failed', '/counts'),
  row('PUT', '/v1/accounts/{acc}/object-counts', 'a negative count', { counts: { sites: -1 } }, 400, 'validation_failed', '/counts/sites'),
  row('PUT', '/v1/accounts/{acc}/object-counts', 'a fractional count', { counts: { sites: 1.5 } }, 400, 'validation_failed', '/counts/sites'),
  row('PUT', '/v1/accounts/{acc}/object-counts', 'a count as a string', { counts: { sites: 'many' } }, 400, 'validation_failed', '/counts/sites'),
  row('PUT', '/v1/accounts/{acc}/object-counts', 'an overflowing count', { counts: { sites: 1e20 } }, 400, 'validation_failed', '/counts/sites'),
  row('PUT', '/v1/accounts/{acc}/object-counts', 'a bad metric name', { counts: { Sites: 1 } }, 400, 'validation_failed', '/counts/Sites'),
  row('PUT', '/v1/accounts/999999/object-counts', 'an unknown account', { counts: { sites: 1 } }, 404, 'not_found'),
  row('POST', '/v1/clock/advance', 'negative seconds', { seconds: -1 }, 400, 'validation_failed', '/seconds'),
  row('POST', '/v1/clock/advance', 'fractional seconds', { seconds: 1.5 }, 400, 'validation_failed', '/seconds'),
  row('POST', '/v1/clock/advance', 'seconds as a string', { seconds: '60' }, 400, 'validation_failed', '/seconds'),
  row('POST', '/v1/clock/advance', 'more than ten years', { seconds: 1e12 }, 400, 'validation_failed', '/seconds'),
  row('POST', '/v1/clock/advance', 'both to and seconds', { seconds: 60, to: '2030-01-01T00:00:00Z' }, 400, 'validation_failed', '/to'),
  row('POST', '/v1/clock/advance', 'neither to nor seconds', {}, 400, 'validation_failed', '/to'),
  row('POST', '/v1/clock/advance', 'a time in the past', { to: '2020-01-01T00:00:00Z' }, 400, 'validation_failed', '/to'),
  row('POST', '/v1/clock/advance', 'a time that is not a date', { to: 'tomorrow' }, 400, 'validation_failed', '/to'),
];

const reads: Case[] = [
  ...['/v1/accounts/999999', '/v1/accounts/999999/balance', '/v1/accounts/999999/ledger', '/v1/accounts/999999/subscriptions', '/v1/accounts/999999/object-counts', '/v1/accounts/999999/entitlements', '/v1/accounts/999999/entitlements/api', '/v1/accounts/999999/events', '/v1/subscriptions/999999', '/v1/services/999999', '/v1/plans/999999', '/v1/plans/999999/price?currency=EUR'].map((url) => row('GET', url, 'an unknown id', undefined, 404, 'not_found')),
  row('GET', '/v1/accounts/-1', 'a negative id', undefined, 400, 'validation_failed', '/params/id'),
  row('GET', '/v1/accounts/1.5', 'a fractional id', undefined, 400, 'validation_failed', '/params/id'),
  row('GET', '/v1/accounts?limit=0', 'limit 0', undefined, 400, 'validation_failed', '/querystring/limit'),
  row('GET', '/v1/accounts?limit=201', 'limit above 200', undefined, 400, 'validation_failed', '/querystring/limit'),
  row('GET', '/v1/accounts/{acc}/ledger?cursor=abc', 'a non-numeric cursor', undefined, 400, 'validation_failed', '/querystring/cursor'),
  row('GET', '/v1/events?topic=NOT_A_TOPIC', 'a malformed topic', undefined, 400, 'validation_failed', '/querystring/topic'),
  row('GET', '/v1/accounts/{acc}/entitlements/NOT!', 'a malformed feature', undefined, 400, 'validation_failed', '/params/feature'),
  row('GET', '/v1/plans/{plan}/price?currency=XYZ', 'an unknown currency', undefined, 400, 'unknown_currency', '/querystring/currency'),
  row('GET', '/v1/plans/{plan}/price', 'no currency', undefined, 400, 'validation_failed', '/querystring/currency'),
  row('GET', '/v1/plans/{plan}/price?currency=EUR&quantities=cpe:x', 'a malformed quantity', undefined, 400, 'validation_failed', '/querystring/quantities'),
  row('GET', '/v1/plans/{plan}/price?currency=EUR&at=yesterday', 'a malformed time', undefined, 400, 'validation_failed', '/querystring/at'),
  row('GET', '/v1/accounts?limt=5', 'a misspelt query parameter', undefined, 400, 'validation_failed', '/querystring/limt'),
  row('GET', '/v1/accounts/{acc}/events?topik=balance.low', 'an unknown filter on a paged list', undefined, 400, 'validation_failed', '/querystring/topik'),
  row('GET', '/v1/clock?at=now', 'a query parameter on a route that takes none', undefined, 400, 'validation_failed', '/querystring/at'),
  row('GET', '/v1/nowhere', 'an unknown route', undefined, 404, 'not_found'),
  row('GET', '/v1/accounts', 'no API key', undefined, 401, 'unauthorized', undefined, { authorization: null }),
  row('GET', '/v1/accounts', 'a wrong API key', undefined, 401, 'unauthorized', undefined, { authorization: 'Bearer kassa_sk_not_a_key' }),
  row('POST', '/v1/accounts/{acc}/adjustments', 'a wrong API key on a money call', adjust('100'), 401, 'unauthorized', undefined, { ...KEY, authorization: 'Bearer kassa_sk_not_a_key' }),
];

// ---------- sending a case ----------

let keys = 0;

async function send(c: Case) {
  const url = c.url.replace(/\{(\w+)\}/g, (_m, name: string) => String(f[name as keyof Fixtures]));
  const body = typeof c.body === 'function' ? (c.body as (fx: Fixtures) => unknown)(f) : c.body;
  const payload = c.raw ?? (body === undefined ? undefined : JSON.stringify(body));
  const headers: Record<string, string> = { authorization: `Bearer ${h.apiKey}` };
  if (payload !== undefined) headers['content-type'] = 'application/json';
  for (const [name, value] of Object.entries(c.headers ?? {})) {
    if (value === null) delete headers[name];
    else headers[name] = value === FRESH ? `bad-input-${++keys}` : value;
  }
  const response = await h.app.inject({ method: c.method, url, headers, ...(payload === undefined ? {} : { payload }) });
  let parsed: Record<string, unknown> | undefined;
  try {
    parsed = JSON.parse(response.body) as Record<string, unknown>;
  } catch {
    parsed = undefined;
  }
  return { status: response.statusCode, contentType: String(response.headers['content-type'] ?? ''), body: parsed, text: response.body.slice(0, 500) };
}

// Text PostgreSQL cannot store (NUL) and strings that are not text (half a surrogate pair),
// in every part of a request: refused by validation, with the field.
const NUL = 'a\u0000b';
const LONE = 'a\ud800b';
const unstorableText: Case[] = [
  ...[NUL, LONE].flatMap((bad) => {
    const what = bad === NUL ? 'a NUL character' : 'an unpaired surrogate';
    return [
      row('POST', '/v1/accounts', `${what} in the name`, { name: bad, currency: 'EUR' }, 400, 'validation_failed', '/name'),
      row('POST', '/v1/accounts', `${what} in external_ref`, { name: 'Ok', currency: 'EUR', external_ref: bad }, 400, 'validation_failed', '/external_ref'),
      row('POST', '/v1/accounts/{acc}/adjustments', `${what} in the reason`, { direction: 'credit', amount: '100', reason: bad }, 400, 'validation_failed', '/reason', KEY),
      row('POST', '/v1/plans', `${what} in a plan's name`, { code: 'bad_text', name: bad, kind: 'preset', cadence: 'daily', timing: 'in_advance', prices: [{ currency: 'EUR', definition: { base_price: '1' } }] }, 400, 'validation_failed', '/name'),
      row('POST', '/v1/plans', `${what} in a quota's key`, { code: 'bad_key', name: 'Ok', kind: 'preset', cadence: 'daily', timing: 'in_advance', prices: [{ currency: 'EUR', definition: { base_price: '1', quotas: { [bad]: 1 } } }] }, 400, 'validation_failed', `/prices/0/definition/quotas/${bad}`),
      row('POST', '/v1/auth/signup', `${what} in a sign-up's name`, { email: 'text@example.test', password: 'a long enough password 1', name: bad, account_name: 'Ok', currency: 'EUR' }, 400, 'validation_failed', '/name'),
    ];
  }),
  // A query string is bytes: %00 decodes to NUL; no byte sequence decodes to half a surrogate pair.
  row('GET', '/v1/accounts?external_ref=a%00b', 'a NUL character in a list filter', undefined, 400, 'validation_failed', '/querystring/external_ref'),
];

const cases: Case[] = [...everyBodyRoute, ...accounts, ...adjustments, ...catalog, ...subscriptions, ...usageAndClock, ...reads, ...unstorableText];

describe('bad requests are refused with a stable code and change nothing', () => {
  it.each(cases)('$method $url: $name -> $status $code', async (c) => {
    const before = await snapshot();
    const r = await send(c);
    const context = `${r.status} ${r.text}`;
    expect(r.status, context).toBe(c.status);
    expect(r.contentType, context).toContain('application/problem+json');
    expect(r.body, context).toMatchObject({ status: c.status, code: c.code, type: `https://kassa.dev/problems/${c.code}` });
    expect(typeof r.body?.detail, context).toBe('string');
    if (c.field !== undefined) expect(r.body?.field, context).toBe(c.field);
    expect(await snapshot(), `${c.method} ${c.url} (${c.name}) changed the database`).toEqual(before);
  });

  it('the fixtures the cases aim at are still as they were', async () => {
    const sub = await h.call('GET', `/v1/subscriptions/${f.sub}`);
    const off = await h.call('GET', `/v1/subscriptions/${f.off}`);
    expect(sub.body).toMatchObject({ status: 'active', plan_id: f.plan, quantities: { cpe: 10 } });
    expect(off.body).toMatchObject({ status: 'disabled' });
    expect((await h.call('GET', `/v1/accounts/${f.poor}/balance`)).body).toMatchObject({ balance: '0' });
  });
});
