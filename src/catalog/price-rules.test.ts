import { describe, expect, it } from 'vitest';
import type { MeterPrice, PlanDefinition, PlanItem } from './plan-definition.js';
import { effectiveFromProblem, priceProblem, pricesProblem } from './price-rules.js';

const item = (over: Partial<PlanItem>): PlanItem => ({ service: 'devices', tier_mode: 'flat', unit_price: '1', included: 0, min: 0, max: null, default: 0, decrease: 'refund', ...over });
const definition = (...items: PlanItem[]): PlanDefinition => ({ items, quotas: {}, features: [] });
const meter = (over: Partial<MeterPrice>): MeterPrice => ({ meter: 'emails', tier_mode: 'flat', unit_price: '0.001', included: 0, free_once: 0, ...over });
const metered = (...meters: MeterPrice[]): PlanDefinition => ({ ...definition(item({})), meters });
const known = new Map([['devices', { metered: false }], ['public_ip', { metered: false }], ['emails', { metered: true }]]);

describe('priceProblem', () => {
  it.each([
    ['a valid price', 'EUR', definition(item({})), undefined, undefined],
    ['a made-up currency', 'EUX', definition(item({})), 'unknown_currency', '/p/currency'],
    ['a lower-case currency', 'eur', definition(item({})), 'unknown_currency', '/p/currency'],
    ['a flat item without a price', 'EUR', definition(item({ unit_price: undefined })), 'validation_failed', '/p/definition/items/0/unit_price'],
    ['an unknown service', 'EUR', definition(item({}), item({ service: 'sms' })), 'validation_failed', '/p/definition/items/1/service'],
    // the definition is checked before the services: one problem at a time, in a fixed order
    ['a duplicate before an unknown service', 'EUR', definition(item({ service: 'sms' }), item({ service: 'sms' })), 'validation_failed', '/p/definition/items/1/service'],
    ['a meter price', 'EUR', metered(meter({})), undefined, undefined],
    ['a meter priced by graduated tiers', 'EUR', metered(meter({ tier_mode: 'graduated', unit_price: undefined, tiers: [{ up_to: 10_000, unit_price: '0.002' }, { up_to: null, unit_price: '0.001' }] })), undefined, undefined],
    ['a meter without a price', 'EUR', metered(meter({ unit_price: undefined })), 'validation_failed', '/p/definition/meters/0/unit_price'],
    ['a meter with an open tier first', 'EUR', metered(meter({ tier_mode: 'volume', tiers: [{ up_to: null, unit_price: '1' }, { up_to: 5, unit_price: '1' }] })), 'validation_failed', '/p/definition/meters/0/tiers/0/up_to'],
    ['a meter priced twice', 'EUR', metered(meter({}), meter({})), 'validation_failed', '/p/definition/meters/1/meter'],
    ['a meter that is an item as well', 'EUR', metered(meter({ meter: 'devices' })), 'validation_failed', '/p/definition/meters/0/meter'],
    ['a service that is not metered, as a meter', 'EUR', metered(meter({ meter: 'public_ip' })), 'validation_failed', '/p/definition/meters/0/meter'],
    ['volume discounts', 'EUR', metered(meter({ discounts: [{ from: 1000, percent: '5' }, { from: 10_000, percent: '12.5' }] })), undefined, undefined],
    ['volume discounts out of order', 'EUR', metered(meter({ discounts: [{ from: 1000, percent: '5' }, { from: 1000, percent: '12' }] })), 'validation_failed', '/p/definition/meters/0/discounts/1/from'],
    ['a discount of nothing', 'EUR', metered(meter({ discounts: [{ from: 1000, percent: '0' }] })), 'validation_failed', '/p/definition/meters/0/discounts/0/percent'],
    ['an unknown meter', 'EUR', metered(meter({ meter: 'sms' })), 'validation_failed', '/p/definition/meters/0/meter'],
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
