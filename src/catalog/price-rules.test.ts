import { describe, expect, it } from 'vitest';
import type { PlanDefinition, PlanItem } from './plan-definition.js';
import { effectiveFromProblem, priceProblem, pricesProblem } from './price-rules.js';

const item = (over: Partial<PlanItem>): PlanItem => ({ service: 'devices', tier_mode: 'flat', unit_price: '1', included: 0, min: 0, max: null, default: 0, decrease: 'refund', ...over });
const definition = (...items: PlanItem[]): PlanDefinition => ({ items, quotas: {}, features: [] });
const known = new Set(['devices', 'public_ip']);

describe('priceProblem', () => {
  it.each([
    ['a valid price', 'EUR', definition(item({})), undefined, undefined],
    ['a made-up currency', 'EUX', definition(item({})), 'unknown_currency', '/p/currency'],
    ['a lower-case currency', 'eur', definition(item({})), 'unknown_currency', '/p/currency'],
    ['a flat item without a price', 'EUR', definition(item({ unit_price: undefined })), 'validation_failed', '/p/definition/items/0/unit_price'],
    ['an unknown service', 'EUR', definition(item({}), item({ service: 'sms' })), 'validation_failed', '/p/definition/items/1/service'],
    // the definition is checked before the services: one problem at a time, in a fixed order
    ['a duplicate before an unknown service', 'EUR', definition(item({ service: 'sms' }), item({ service: 'sms' })), 'validation_failed', '/p/definition/items/1/service'],
  ])('%s', (_what, currency, def, code, field) => {
    const problem = priceProblem({ currency, definition: def }, known, '/p');
    expect(problem?.code).toBe(code);
    expect(problem?.field).toBe(field);
  });
});

describe('pricesProblem', () => {
  it('refuses a currency priced twice, at the second', () => {
    const price = { currency: 'EUR', definition: definition(item({})) };
    expect(pricesProblem([price, { ...price, currency: 'USD' }, price], known)?.field).toBe('/prices/2/currency');
  });
  it('names the price at fault by its index', () => {
    const bad = { currency: 'EUR', definition: definition(item({ min: 5, max: 2 })) };
    expect(pricesProblem([{ currency: 'USD', definition: definition() }, bad], known)?.field).toBe('/prices/1/definition/items/0/min');
  });
});

describe('effectiveFromProblem', () => {
  const now = new Date('2026-11-02T13:00:00Z');
  const latest = { version: 3, effectiveFrom: new Date('2026-12-01T00:00:00Z') };
  it.each([
    ['now', '2026-11-02T13:00:00Z', undefined, false],
    ['later', '2026-11-03T00:00:00Z', undefined, false],
    ['one millisecond ago: charges already made never change', '2026-11-02T12:59:59.999Z', undefined, true],
    ['before the latest version', '2026-11-20T00:00:00Z', latest, true],
    ['together with the latest version (the higher number wins)', '2026-12-01T00:00:00Z', latest, false],
  ] as const)('%s', (_what, at, previous, refused) => {
    const problem = effectiveFromProblem(new Date(at), now, previous);
    expect(problem === undefined).toBe(!refused);
    if (problem) expect(problem).toMatchObject({ code: 'validation_failed', field: '/effective_from' });
  });
});
