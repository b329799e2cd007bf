import { describe, expect, it } from 'vitest';
import type { PlanDefinition, PlanItem } from './plan-definition.js';
import { itemPrice, markedChange, periodCharge, periodPrice, quoteChange, refundPolicy } from './pricing.js';
import { periodContaining } from '../time/periods.js';

const item = (over: Partial<PlanItem>): PlanItem => ({ service: 'emails', tier_mode: 'flat', included: 0, min: 0, max: null, default: 0, decrease: 'refund', ...over });

describe('item prices', () => {
  const tiers = [
    { up_to: 1000, unit_price: '0.01' },
    { up_to: 10000, unit_price: '0.008' },
    { up_to: null, unit_price: '0.005' },
  ];
  it.each([
    // flat: 2,500 e-mails at 0.0012 = 3.0000
    [item({ unit_price: '0.0012' }), 2500, '3'],
    // included units are free: (120 - 100) x 0.5 = 10
    [item({ unit_price: '0.5', included: 100 }), 120, '10'],
    [item({ unit_price: '0.5', included: 100 }), 80, '0'],
    // graduated: 1000 x 0.01 + 9000 x 0.008 + 2000 x 0.005 = 10 + 72 + 10 = 92
    [item({ tier_mode: 'graduated', tiers }), 12000, '92'],
    // graduated inside the first tier: 500 x 0.01 = 5
    [item({ tier_mode: 'graduated', tiers }), 500, '5'],
    // volume: all 12,000 at the third tier's 0.005 = 60
    [item({ tier_mode: 'volume', tiers }), 12000, '60'],
    // volume at a tier edge: 1000 at 0.01 = 10; 1001 at 0.008 = 8.008
    [item({ tier_mode: 'volume', tiers }), 1000, '10'],
    [item({ tier_mode: 'volume', tiers }), 1001, '8.008'],
    // flat fee on a tier: 0 units -> nothing; 1 unit -> 5 + 1 x 2 = 7
    [item({ tier_mode: 'graduated', tiers: [{ up_to: null, unit_price: '2', flat_price: '5' }] }), 1, '7'],
    [item({ tier_mode: 'volume', tiers: [{ up_to: null, unit_price: '2', flat_price: '5' }] }), 0, '0'],
  ] as const)('%# prices %i units at %s', (it_, quantity, expected) => {
    expect(itemPrice(it_, quantity).amount.toString()).toBe(expected);
  });
});

describe('period price', () => {
  const preset: PlanDefinition = {
    base_price: '29.99',
    items: [item({ service: 'cpe_devices', unit_price: '0.05', included: 100, default: 100 }), item({ service: 'public_ip', unit_price: '1.5', max: 1 })],
    quotas: { sites: 5 },
    features: ['api'],
  };
  it('adds the base price and every item (defaults filled in)', () => {
    // 29.99 + (250 - 100) x 0.05 + 1 x 1.5 = 29.99 + 7.5 + 1.5 = 38.99
    expect(periodPrice(preset, { cpe_devices: 250, public_ip: 1 }).total.toString()).toBe('38.99');
    // defaults: 100 devices (all included), no public IP -> 29.99
    expect(periodCharge(periodPrice(preset, {}), 'EUR')).toEqual({ amount: 2999n, discount: 0n });
  });
});

describe('quoteChange', () => {
  const def: PlanDefinition = {
    items: [item({ service: 'devices', unit_price: '0.24' }), item({ service: 'backup', unit_price: '2.4', decrease: 'none' })],
    quotas: {},
    features: [],
  };
  const at = new Date('2026-11-22T18:00:00Z'); // 6 of 24 hours left
  const period = periodContaining('daily', 1, at);
  const quote = (from: Record<string, number>, to: Record<string, number>) =>
    quoteChange(periodPrice(def, from), periodPrice(def, to), refundPolicy(def), period, at, 'EUR').amount;

  it('charges an increase for the rest of the period', () => {
    // 100 -> 200 devices: 100 x 0.24 = 24.00 a day, x 6/24 = 6.00
    expect(quote({ devices: 100 }, { devices: 200 })).toBe(600n);
  });
  it('refunds a decrease for the rest of the period', () => {
    // 200 -> 150 devices: -50 x 0.24 = -12.00, x 6/24 = -3.00
    expect(quote({ devices: 200 }, { devices: 150 })).toBe(-300n);
  });
  it('refunds nothing for an item whose policy is no refund', () => {
    expect(quote({ devices: 100, backup: 1 }, { devices: 100, backup: 0 })).toBe(0n);
  });
  it('nets the lines and rounds once, half to even', () => {
    // +1 device (0.24) and backup removed (no refund): 0.24 x 6/24 = 0.06
    expect(quote({ devices: 1, backup: 1 }, { devices: 2, backup: 0 })).toBe(6n);
    // +1 device at 13:00 on a 0.01 item would be 0.01 x 11/24 = 0.004583 -> 0
  });
});

describe('the paid mark of seats', () => {
  const definition = { items: [item({ service: 'seats', unit_price: '10', decrease: 'none' }), item({ service: 'devices', unit_price: '1' })], quotas: {}, features: [] } as unknown as PlanDefinition;
  it.each([
    // [mark, before, after] -> the quantities priced before and after, and the mark after
    [{ seats: 5 }, { seats: 5 }, { seats: 7 }, { seats: 5 }, { seats: 7 }, { seats: 7 }], // 2 above the mark are charged
    [{ seats: 7 }, { seats: 7 }, { seats: 6 }, { seats: 7 }, { seats: 7 }, { seats: 7 }], // deleting refunds nothing, the mark stays
    [{ seats: 7 }, { seats: 6 }, { seats: 7 }, { seats: 7 }, { seats: 7 }, { seats: 7 }], // back up to the mark: nothing
    [{ seats: 7 }, { seats: 6 }, { seats: 9 }, { seats: 7 }, { seats: 9 }, { seats: 9 }], // only the 2 above the mark
    [{}, { seats: 3 }, { seats: 4 }, { seats: 3 }, { seats: 4 }, { seats: 4 }], // no mark yet: what is configured is paid
  ])('mark %j, %j to %j: priced %j to %j, mark %j', (mark, before, after, pricedBefore, pricedAfter, markAfter) => {
    const changed = markedChange(definition, mark, before, after);
    expect([changed.before.seats, changed.after.seats, changed.mark.seats]).toEqual([pricedBefore.seats, pricedAfter.seats, markAfter.seats]);
  });

  it('leaves an item whose decrease is refunded priced as configured', () => {
    expect(markedChange(definition, { devices: 10 }, { devices: 10 }, { devices: 4 })).toMatchObject({ before: { devices: 10 }, after: { devices: 4 }, mark: { devices: 4 } });
  });
});
