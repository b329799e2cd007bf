// The event catalogue (issue 10, item 6): every event type is documented with a schema in the
// OpenAPI document's `webhooks`, and a released version keeps its promise: later code may add
// fields, never remove one, retype it, or make it optional (test/fixtures/event-catalogue.json
// holds what each released version promised; a new type or version is added to it with
// KASSA_RELEASE_EVENTS=1 npx vitest run test/event-catalogue.test.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUTBOX_TOPICS } from '../src/outbox/write.js';
import { EVENT_CATALOGUE } from '../src/webhooks/catalogue.js';
import { eventDataProblem } from './support/event-schemas.js';
import { type Harness, startHarness } from './support/harness.js';

type Schema = Record<string, unknown>;
const FIXTURE = path.join(import.meta.dirname, 'fixtures/event-catalogue.json');

/** A schema without its words: what a receiver's code depends on. */
function shape(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(shape);
  if (schema === null || typeof schema !== 'object') return schema;
  return Object.fromEntries(
    Object.entries(schema as Schema)
      .filter(([key]) => !['description', 'title', 'examples', 'example'].includes(key))
      .map(([key, value]) => [key, key === 'properties' ? Object.fromEntries(Object.entries(value as Schema).map(([k, v]) => [k, shape(v)])) : shape(value)]),
  );
}

/** Where `current` breaks what `released` promised: a removed, retyped or no longer required field. */
function breaks(released: Schema, current: Schema, at = 'data'): string[] {
  if (released.anyOf) {
    const branches = current.anyOf as Schema[] | undefined;
    if (!branches || branches.length !== (released.anyOf as Schema[]).length) return [`${at}: its alternatives changed`];
    return (released.anyOf as Schema[]).flatMap((branch, i) => breaks(branch, branches[i]!, `${at}[${i}]`));
  }
  if (released.type === 'object' && released.properties) {
    if (current.type !== 'object' || !current.properties) return [`${at}: no longer an object`];
    const properties = current.properties as Record<string, Schema>;
    const required = new Set((current.required as string[] | undefined) ?? []);
    return Object.entries(released.properties as Record<string, Schema>).flatMap(([name, schema]) => {
      if (!properties[name]) return [`${at}.${name}: removed`];
      const lost = ((released.required as string[] | undefined) ?? []).includes(name) && !required.has(name) ? [`${at}.${name}: no longer required`] : [];
      return [...lost, ...breaks(schema, properties[name], `${at}.${name}`)];
    });
  }
  if (released.type === 'array' && released.items) return current.type === 'array' && current.items ? breaks(released.items as Schema, current.items as Schema, `${at}[]`) : [`${at}: no longer an array`];
  return JSON.stringify(released) === JSON.stringify(current) ? [] : [`${at}: was ${JSON.stringify(released)}, now ${JSON.stringify(current)}`];
}

describe('the catalogue', () => {
  it('has an entry for every event type the outbox holds, each with words and a version', () => {
    expect(Object.keys(EVENT_CATALOGUE).sort()).toEqual([...OUTBOX_TOPICS].sort());
    for (const entry of Object.values(EVENT_CATALOGUE)) {
      expect(entry.summary.length).toBeGreaterThan(10);
      expect(entry.description.length).toBeGreaterThan(10);
      expect(entry.version).toBeGreaterThanOrEqual(1);
    }
  });

  it('refuses data that breaks its schema: a missing field, a number for an amount, an unknown type', () => {
    const suspended = { account_id: 7, subscription_id: 3, reason: 'insufficient_funds', period_start: '2026-11-03T00:00:00.000Z', amount: '2400' };
    expect(eventDataProblem('subscription.suspended', suspended)).toBeNull();
    expect(eventDataProblem('subscription.suspended', { ...suspended, extra: 'fields may be added' })).toBeNull();
    const { amount: _amount, ...withoutAmount } = suspended;
    expect(eventDataProblem('subscription.suspended', withoutAmount)).toContain("must have required property 'amount'");
    expect(eventDataProblem('subscription.suspended', { ...suspended, amount: 2400 })).toContain('/amount must be string');
    expect(eventDataProblem('billing_run.completed', { account_id: 7 })).toContain('/account_id must be null');
    expect(eventDataProblem('subscription.exploded', suspended)).toBe('subscription.exploded is not in the event catalogue');
  });

  it('keeps every released version: no field removed, retyped or made optional', () => {
    const released = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Record<string, Schema>;
    const current = Object.fromEntries(Object.entries(EVENT_CATALOGUE).map(([topic, entry]) => [`${topic}@${entry.version}`, shape(entry.data) as Schema]));
    if (process.env.KASSA_RELEASE_EVENTS === '1') {
      // One line per type and version, so a release reads as the lines it adds.
      const entries = Object.entries({ ...current, ...released }).sort(([a], [b]) => a.localeCompare(b));
      writeFileSync(FIXTURE, `{\n${entries.map(([key, schema]) => `  ${JSON.stringify(key)}: ${JSON.stringify(schema)}`).join(',\n')}\n}\n`);
      return;
    }
    expect(Object.keys(current).filter((key) => !released[key]), 'new types or versions: release them (see the top of this file)').toEqual([]);
    expect(Object.entries(released).flatMap(([key, schema]) => (current[key] ? breaks(schema, current[key]) : [`${key}: its version is gone`]))).toEqual([]);
  });

  it('finds what a change would break', () => {
    const v1 = shape(EVENT_CATALOGUE['top_up.succeeded'].data) as Schema;
    const properties = v1.properties as Record<string, Schema>;
    const { balance: _balance, ...withoutBalance } = properties;
    expect(breaks(v1, { ...v1, properties: withoutBalance })).toEqual(['data.balance: removed']);
    expect(breaks(v1, { ...v1, properties: { ...properties, amount: { type: 'integer' } } })).toEqual([`data.amount: was ${JSON.stringify(properties.amount)}, now {"type":"integer"}`]);
    expect(breaks(v1, { ...v1, required: (v1.required as string[]).filter((r) => r !== 'method') })).toEqual(['data.method: no longer required']);
    expect(breaks(v1, { ...v1, properties: { ...properties, fee: { type: 'string' } } })).toEqual([]);
  });
});

describe('in the OpenAPI document', () => {
  let h: Harness;
  let doc: { webhooks: Record<string, { post: { operationId: string; summary: string; parameters: { name: string }[]; requestBody: { content: Record<string, { schema: Schema }> } } }>; components: { schemas: Record<string, Schema> }; tags: { name: string }[] };
  beforeAll(async () => {
    h = await startHarness();
    doc = JSON.parse((await h.app.inject({ method: 'GET', url: '/openapi.json' })).body) as typeof doc;
  });
  afterAll(() => h.close());

  it('lists every event type under webhooks: signed headers, the {type, timestamp, data} body, a named data schema', () => {
    expect(Object.keys(doc.webhooks).sort()).toEqual([...OUTBOX_TOPICS, 'ping'].sort());
    const suspended = doc.webhooks['subscription.suspended']!.post;
    expect(suspended.operationId).toBe('onSubscriptionSuspended');
    expect(suspended.parameters.map((p) => p.name)).toEqual(['webhook-id', 'webhook-timestamp', 'webhook-signature']);
    const body = suspended.requestBody.content['application/json']!.schema;
    expect(body).toMatchObject({ required: ['type', 'timestamp', 'data'], properties: { type: { const: 'subscription.suspended' }, data: { $ref: '#/components/schemas/SubscriptionSuspendedEvent' } } });
    for (const [topic, hook] of Object.entries(doc.webhooks)) {
      const ref = (hook.post.requestBody.content['application/json']!.schema.properties as { data: { $ref: string } }).data.$ref;
      expect(doc.components.schemas[ref.replace('#/components/schemas/', '')], topic).toBeDefined();
    }
    expect(doc.tags.map((t) => t.name)).toContain('webhook events');
  });

  it('answers the same catalogue at GET /v1/webhook-event-types, for people choosing what an endpoint gets', async () => {
    const list = (await h.call('GET', '/v1/webhook-event-types')).body as { data: { type: string; version: number; summary: string; schema: Schema }[] };
    expect(list.data.map((t) => t.type)).toEqual([...OUTBOX_TOPICS]);
    const low = list.data.find((t) => t.type === 'balance.low')!;
    expect(low).toMatchObject({ version: 1, summary: EVENT_CATALOGUE['balance.low'].summary });
    expect(low.schema).toMatchObject({ properties: { type: { const: 'balance.low' }, data: { required: expect.arrayContaining(['account_id', 'available', 'threshold']) } } });
  });
});
