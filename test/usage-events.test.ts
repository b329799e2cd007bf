// Usage events (SPEC 7, issue 8): the provider's product reports what its customers used, one
// event or a batch, in Kassa's shape or as CloudEvents. A batch is kept before the answer; an
// id is unique per account, so the same event again is a duplicate; every bad event is refused
// alone with its index, code and field, and the rest of its batch is kept. The clock is
// simulated: it stands at 2026-11-02T00:00:00Z.
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usageBatches, usageEvents } from '../src/db/schema.js';
import { type Harness, startHarness } from './support/harness.js';
import { scenario } from './support/scenario.js';

let h: Harness;
const s = scenario(() => h);
let acme: number;
let globex: number;

const NOW = '2026-11-02T00:00:00Z';
const minutesFromNow = (minutes: number) => new Date(Date.parse(NOW) + minutes * 60_000).toISOString();
const report = (body: unknown, headers: Record<string, string> = {}) => h.call('POST', '/v1/usage/events', body, headers);
const kept = (accountId: number) =>
  h.kassa.db.select({ id: usageEvents.eventId, meter: usageEvents.meter, quantity: usageEvents.quantity, at: usageEvents.occurredAt }).from(usageEvents).where(eq(usageEvents.accountId, accountId)).orderBy(usageEvents.eventId);

beforeAll(async () => {
  h = await startHarness({ clockStart: NOW });
  for (const meter of [
    { code: 'emails', name: 'E-mails', unit: 'e-mail', meter: { aggregation: 'sum' } },
    { code: 'storage_gb_hours', name: 'Storage', unit: 'GB-hour', meter: { aggregation: 'sum', decimals: 6 } },
    { code: 'cloudlets', name: 'Cloudlets', unit: 'cloudlet', meter: { aggregation: 'hourly_max' } },
  ]) {
    expect((await h.call('POST', '/v1/services', meter)).status).toBe(201);
  }
  expect((await h.call('POST', '/v1/services', { code: 'seats', name: 'Seats', unit: 'seat' })).status).toBe(201); // not metered
  acme = (await s.createAccount({ name: 'Acme' })).id;
  globex = (await s.createAccount({ name: 'Globex', external_ref: 'crm-globex' })).id;
});
afterAll(() => h?.close());

describe('meters', () => {
  it('are services that say how their usage adds up and how many decimal places a quantity may have', async () => {
    const listed = (await h.call('GET', '/v1/services')).body.data as { code: string; meter: unknown }[];
    expect(Object.fromEntries(listed.map((service) => [service.code, service.meter]))).toMatchObject({
      emails: { aggregation: 'sum', decimals: 0 },
      storage_gb_hours: { aggregation: 'sum', decimals: 6 },
      cloudlets: { aggregation: 'hourly_max', decimals: 0 },
      seats: null,
    });
  });

  it.each([
    [{ aggregation: 'average' }, '/meter/aggregation'],
    [{ aggregation: 'sum', decimals: 7 }, '/meter/decimals'],
    [{ aggregation: 'sum', per: 'hour' }, '/meter/per'],
  ])('refuses the meter %j', async (meter, field) => {
    const refused = await h.call('POST', '/v1/services', { code: 'bad_meter', name: 'Bad', unit: 'x', meter });
    expect(refused.body).toMatchObject({ status: 400, code: 'validation_failed', field });
  });
});

describe('a batch of usage events', () => {
  it('is kept before the answer, each quantity exact, and says how many were new', async () => {
    const answer = await report({
      events: [
        { id: 'mail-1', account_id: acme, meter: 'emails', quantity: '3', timestamp: minutesFromNow(-10) },
        { id: 'mail-2', account_id: acme, meter: 'emails', quantity: 250, timestamp: minutesFromNow(-9) },
        { id: 'disk-1', account_id: acme, meter: 'storage_gb_hours', quantity: '0.125000', timestamp: minutesFromNow(-60) },
        { id: 'mail-1', account_id: globex, meter: 'emails', quantity: '1', timestamp: minutesFromNow(-1) }, // ids are per account
      ],
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body).toMatchObject({ accepted: 4, duplicates: 0, refused: [] });
    const [batch] = await h.kassa.db.select().from(usageBatches).where(eq(usageBatches.id, answer.body.batch_id));
    expect(batch).toMatchObject({ events: 4 }); // and rated just after the answer (test/usage-rating.test.ts)
    expect(await kept(acme)).toEqual([
      { id: 'disk-1', meter: 'storage_gb_hours', quantity: '0.125000', at: new Date(minutesFromNow(-60)) },
      { id: 'mail-1', meter: 'emails', quantity: '3.000000', at: new Date(minutesFromNow(-10)) },
      { id: 'mail-2', meter: 'emails', quantity: '250.000000', at: new Date(minutesFromNow(-9)) },
    ]);
  });

  it('takes one event on its own too', async () => {
    const answer = await report({ id: 'mail-3', account_id: acme, meter: 'emails', quantity: '1', timestamp: minutesFromNow(-2) });
    expect(answer.body).toMatchObject({ accepted: 1, duplicates: 0, refused: [] });
  });

  it('counts an event sent again, later or twice in one batch, as a duplicate, and keeps it once', async () => {
    const again = await report({
      events: [
        { id: 'mail-1', account_id: acme, meter: 'emails', quantity: '3', timestamp: minutesFromNow(-10) },
        { id: 'mail-4', account_id: acme, meter: 'emails', quantity: '2', timestamp: minutesFromNow(-1) },
        { id: 'mail-4', account_id: acme, meter: 'emails', quantity: '2.0', timestamp: minutesFromNow(-1) }, // the same quantity, written otherwise
      ],
    });
    expect(again.body).toMatchObject({ accepted: 1, duplicates: 2, refused: [] });
    const nothingNew = await report({ events: [{ id: 'mail-4', account_id: acme, meter: 'emails', quantity: '2', timestamp: minutesFromNow(-1) }] });
    expect(nothingNew.body).toEqual({ batch_id: null, accepted: 0, duplicates: 1, refused: [] });
    expect((await kept(acme)).filter((e) => e.id === 'mail-4')).toHaveLength(1);
  });

  it('refuses an id used before for another event, and keeps the rest of the batch', async () => {
    const answer = await report({
      events: [
        { id: 'mail-1', account_id: acme, meter: 'emails', quantity: '4', timestamp: minutesFromNow(-10) }, // was 3
        { id: 'mail-5', account_id: acme, meter: 'emails', quantity: '1', timestamp: minutesFromNow(-1) },
        { id: 'mail-5', account_id: acme, meter: 'emails', quantity: '9', timestamp: minutesFromNow(-1) }, // in the same batch
      ],
    });
    expect(answer.body).toMatchObject({
      accepted: 1,
      duplicates: 0,
      refused: [
        { index: 0, id: 'mail-1', code: 'idempotency_conflict', field: '/events/0/id' },
        { index: 2, id: 'mail-5', code: 'idempotency_conflict', field: '/events/2/id' },
      ],
    });
    expect((await kept(acme)).find((e) => e.id === 'mail-1')).toMatchObject({ quantity: '3.000000' });
  });

  it.each([
    ['an unknown meter', { meter: 'emials' }, 'unknown_meter', '/meter'],
    ['a service that is not metered', { meter: 'seats' }, 'unknown_meter', '/meter'],
    ['an unknown account', { account_id: 999_999 }, 'not_found', '/account_id'],
    ['an account given as text', { account_id: 'acme' }, 'validation_failed', '/account_id'],
    ['a negative quantity', { quantity: '-1' }, 'validation_failed', '/quantity'],
    ['a fraction of an e-mail', { quantity: '1.5' }, 'validation_failed', '/quantity'],
    ['a fraction as a JSON number', { meter: 'storage_gb_hours', quantity: 1.5 }, 'validation_failed', '/quantity'],
    ['more decimal places than the meter takes', { meter: 'storage_gb_hours', quantity: '0.0000001' }, 'validation_failed', '/quantity'],
    ['a quantity that is not a number', { quantity: 'three' }, 'validation_failed', '/quantity'],
    ['no id', { id: undefined }, 'validation_failed', '/id'],
    ['an id of 201 characters', { id: 'x'.repeat(201) }, 'validation_failed', '/id'],
    ['a time without a date', { timestamp: '10:15' }, 'validation_failed', '/timestamp'],
    ['an event older than three days', { timestamp: minutesFromNow(-3 * 24 * 60 - 1) }, 'event_too_old', '/timestamp'],
    ['an event more than five minutes ahead', { timestamp: minutesFromNow(6) }, 'event_in_the_future', '/timestamp'],
  ])('refuses %s with its index, code and field, and keeps the good events around it', async (name, change, code, field) => {
    const base = { account_id: acme, meter: 'emails', quantity: '1', timestamp: minutesFromNow(-1) };
    const unique = name.replaceAll(' ', '-');
    const answer = await report({ events: [{ ...base, id: `ok-a-${unique}` }, { ...base, id: `bad-${unique}`, ...change }, { ...base, id: `ok-b-${unique}` }] });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ accepted: 2, duplicates: 0, refused: [{ index: 1, code, field: `/events/1${field}` }] });
    expect(answer.body.refused).toHaveLength(1);
  });

  it('takes an event up to five minutes ahead and up to three days late', async () => {
    const answer = await report({
      events: [
        { id: 'edge-ahead', account_id: acme, meter: 'emails', quantity: '1', timestamp: minutesFromNow(5) },
        { id: 'edge-late', account_id: acme, meter: 'emails', quantity: '1', timestamp: minutesFromNow(-3 * 24 * 60) },
      ],
    });
    expect(answer.body).toMatchObject({ accepted: 2, refused: [] });
  });

  it('follows the grace window an operator sets', async () => {
    expect((await h.call('GET', '/v1/settings/usage')).body).toEqual({ grace_days: 3 });
    expect((await h.call('PUT', '/v1/settings/usage', { grace_days: 1 })).body).toEqual({ grace_days: 1 });
    const answer = await report({ events: [{ id: 'two-days-late', account_id: acme, meter: 'emails', quantity: '1', timestamp: minutesFromNow(-2 * 24 * 60) }] });
    expect(answer.body.refused).toMatchObject([{ code: 'event_too_old' }]);
    expect((await h.call('PUT', '/v1/settings/usage', { grace_days: 40 })).body).toMatchObject({ code: 'validation_failed', field: '/grace_days' });
    await h.call('PUT', '/v1/settings/usage', { grace_days: 3 });
  });
});

describe('CloudEvents', () => {
  it('are taken one at a time and in batches: type is the meter, subject the account, data.quantity the quantity', async () => {
    const one = await report(
      JSON.stringify({ specversion: '1.0', id: 'ce-1', source: '/mailer', type: 'emails', subject: String(acme), time: minutesFromNow(-3), data: { quantity: '40' } }),
      { 'content-type': 'application/cloudevents+json' },
    );
    expect(one.body, JSON.stringify(one.body)).toMatchObject({ accepted: 1, refused: [] });
    const batch = await report(
      JSON.stringify([
        { specversion: '1.0', id: 'ce-2', source: '/mailer', type: 'emails', subject: 'crm-globex', time: minutesFromNow(-2) }, // by external reference; one e-mail
        { specversion: '1.0', id: 'ce-3', source: '/storage', type: 'storage_gb_hours', subject: String(acme), data: { quantity: '0.5' } }, // no time: as it arrived
        { specversion: '0.3', id: 'ce-4', source: '/mailer', type: 'emails', subject: String(acme) },
        { specversion: '1.0', id: 'ce-5', source: '/mailer', type: 'emails', subject: 'crm-unknown' },
      ]),
      { 'content-type': 'application/cloudevents-batch+json' },
    );
    expect(batch.body).toMatchObject({
      accepted: 2,
      refused: [
        { index: 2, code: 'validation_failed', field: '/events/2/specversion' },
        { index: 3, code: 'not_found', field: '/events/3/subject' },
      ],
    });
    expect((await kept(globex)).find((e) => e.id === 'ce-2')).toMatchObject({ meter: 'emails', quantity: '1.000000' });
    expect((await kept(acme)).find((e) => e.id === 'ce-3')).toMatchObject({ quantity: '0.500000', at: new Date(NOW) });
  });
});

describe('a request that is not a batch', () => {
  it.each([
    ['an empty batch', { events: [] }, 400, 'validation_failed', '/events'],
    ['events that are not a list', { events: { id: 'x' } }, 400, 'validation_failed', '/events'],
    ['over 10,000 events', { events: Array.from({ length: 10_001 }, (_, i) => ({ id: `n${i}` })) }, 400, 'validation_failed', '/events'],
    ['a body that is not JSON', '{"events": [', 400, 'malformed_json', undefined],
  ])('refuses %s and keeps nothing', async (_name, body, status, code, field) => {
    const before = await h.kassa.db.select({ id: usageBatches.id }).from(usageBatches);
    const answer = await report(body);
    expect(answer.body).toMatchObject({ status, code, ...(field ? { field } : {}) });
    expect(await h.kassa.db.select({ id: usageBatches.id }).from(usageBatches)).toHaveLength(before.length);
  });

  it('refuses a body over 5 MB with 413', async () => {
    const big = JSON.stringify({ events: [{ id: 'big', account_id: acme, meter: 'emails', quantity: '1', timestamp: minutesFromNow(-1), pad: 'x'.repeat(5 * 1024 * 1024) }] });
    const answer = await report(big);
    expect(answer.body).toMatchObject({ status: 413, code: 'body_too_large', detail: 'the request body exceeds 5242880 bytes' });
    expect(await h.kassa.db.select().from(usageEvents).where(and(eq(usageEvents.accountId, acme), eq(usageEvents.eventId, 'big')))).toEqual([]);
  });
});
