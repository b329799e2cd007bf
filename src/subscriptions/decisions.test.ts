import { describe, expect, it } from 'vitest';
import { periodContaining } from '../time/periods.js';
import { periodPrice } from '../catalog/pricing.js';
import type { PlanDefinition } from '../catalog/plan-definition.js';
import { activation, deactivation, fundsCover, netAmount, periodIsPaid, planSwitch, reconfiguration } from './decisions.js';

// A daily plan: 24.00 EUR base + 1.00 EUR per device, 10 devices: 34.00 EUR a day.
const daily: PlanDefinition = {
  base_price: '24',
  items: [{ service: 'devices', unit_price: '1', tier_mode: 'flat', included: 0, min: 0, max: null, default: 10, decrease: 'refund' }],
  quotas: {},
  features: [],
};
const price = periodPrice(daily, { devices: 10 });
const today = periodContaining('daily', 1, new Date('2026-11-06T08:00:00Z'));
const at = (iso: string) => new Date(`2026-11-06T${iso}:00Z`);
const base = { period: today, price, periodAmount: 3400n, periodDiscount: 0n, currency: 'EUR', description: 'x' };

describe('whether a period is paid', () => {
  const d = (iso: string) => new Date(iso);
  it.each([
    ['a posting starts at the period start', [d('2026-11-05T00:00:00Z'), d('2026-11-06T00:00:00Z')], true],
    ['only earlier periods were paid', [d('2026-11-05T00:00:00Z')], false],
    ['nothing was ever paid', [], false],
    ['a posting inside the period is not the one that pays it', [d('2026-11-06T13:00:00Z')], false],
  ])('%s: %s', (_name, starts, expected) => {
    expect(periodIsPaid(starts, today)).toBe(expected);
  });
});

describe('what activating costs', () => {
  it.each([
    ['in advance, unpaid, at 08:00: 16/24 of the day', 'in_advance', false, '08:00', [2267n], 2267n], // 3400 x 16/24 = 2266.67
    ['in advance, unpaid, at 00:00: the whole day', 'in_advance', false, '00:00', [3400n], 3400n],
    ['in advance, paid: nothing', 'in_advance', true, '08:00', [], 0n],
    ['in arrears, unpaid: nothing now, one day must be covered', 'in_arrears', false, '08:00', [], 3400n],
    ['in arrears, date already charged: nothing', 'in_arrears', true, '08:00', [], 0n],
  ] as const)('%s', (_name, timing, paid, time, amounts, required) => {
    const d = activation({ ...base, timing, paid, from: at(time) });
    expect(d.movements.map((m) => m.amount)).toEqual(amounts);
    expect(d.movements.every((m) => m.periodStart?.getTime() === today.start.getTime())).toBe(true);
    expect(d.fundsRequired).toBe(required);
  });
});

describe('what deactivating costs', () => {
  it.each([
    ['in advance refunds nothing', 'in_advance', 'active', false, []],
    ['in arrears charges the date in full', 'in_arrears', 'active', false, [3400n]],
    ['in arrears, date already charged: nothing', 'in_arrears', 'active', true, []],
    ['in arrears, suspended: nothing (it was not running)', 'in_arrears', 'suspended', false, []],
  ] as const)('%s', (_name, timing, status, paid, amounts) => {
    const d = deactivation({ ...base, timing, status, paid });
    expect(d.movements.map((m) => m.amount)).toEqual(amounts);
    expect(d.fundsRequired).toBe(0n); // the used date is charged even into debt
  });
});

describe('what a mid-period configuration change costs', () => {
  const noRefund: PlanDefinition = { ...daily, items: [{ ...daily.items[0]!, decrease: 'none' }] };
  it.each([
    ['more devices, paid: the difference for the rest of the day', daily, 16, true, [250n]], // 6 x 1.00 x 10/24 = 2.50
    ['fewer devices, paid: refunded the same way', daily, 4, true, [-250n]],
    ['fewer devices, no-refund policy: nothing', noRefund, 4, true, []],
    ['unpaid period: nothing moves now', daily, 16, false, []],
  ] as const)('%s', (_name, definition, devices, paid, amounts) => {
    const d = reconfiguration({ paid, before: price, after: periodPrice(definition, { devices }), refundable: (l) => l !== 'devices' || definition.items[0]!.decrease === 'refund', period: today, at: at('14:00'), currency: 'EUR', description: 'x' });
    expect(d.movements.map((m) => m.amount)).toEqual(amounts);
    expect(d.fundsRequired).toBe(amounts[0] !== undefined && amounts[0] > 0n ? amounts[0] : 0n);
  });
});

describe('what a plan switch of cadence or timing costs', () => {
  const monthly: PlanDefinition = { base_price: '300', items: [], quotas: {}, features: [] };
  const month = periodContaining('monthly', 6, at('12:00'));
  const next = { timing: 'in_advance' as const, period: month, price: periodPrice(monthly, {}), periodAmount: 30000n, periodDiscount: 0n, currency: 'EUR', description: 'x' };
  it('daily paid in advance to monthly: the rest of today back, the month from now charged as an adjustment', () => {
    const d = planSwitch({ status: 'active', old: { ...base, timing: 'in_advance', paid: true, refundable: () => true }, next: { ...next, startTaken: true }, at: at('12:00') });
    // refund 3400 x 12/24 = 1700; Nov 6 12:00 to Dec 6 00:00 is 29.5 of 30 days: 30000 x 29.5/30 = 29500
    expect(d.movements.map((m) => [m.amount, m.periodStart])).toEqual([
      [-1700n, undefined],
      [29500n, undefined],
    ]);
    expect(netAmount(d)).toBe(27800n);
    expect(d.fundsRequired).toBe(27800n);
  });
  it('daily in arrears to monthly in advance: the date charged, the month from now pays its period', () => {
    const later = { ...next, period: periodContaining('monthly', 5, at('12:00')) };
    const d = planSwitch({ status: 'active', old: { ...base, timing: 'in_arrears', paid: false, refundable: () => true }, next: { ...later, startTaken: false }, at: at('12:00') });
    expect(d.movements.map((m) => m.amount)).toEqual([3400n, 28500n]); // the full day; Nov 5-Dec 5, from Nov 6 12:00: 30000 x 28.5/30
    expect(d.movements[1]!.periodStart).toEqual(later.period.start);
  });
  it('a disabled subscription only closes the old period', () => {
    const d = planSwitch({ status: 'disabled', old: { ...base, timing: 'in_advance', paid: true, refundable: () => true }, next: { ...next, startTaken: false }, at: at('12:00') });
    expect(d.movements.map((m) => m.amount)).toEqual([-1700n]);
  });
});

describe('what a volume discount on an item takes off each charge', () => {
  // From 5 devices on, 10% off: 10 devices cost 24.00 + 10 x 1.00 = 34.00 before it,
  // 34.00 - 5 x 1.00 x 10% = 33.50 after it.
  const discounted: PlanDefinition = { ...daily, items: [{ ...daily.items[0]!, discounts: [{ from: 5, percent: '10' }] }] };
  const ten = periodPrice(discounted, { devices: 10 });
  const priced = { ...base, price: ten, periodAmount: 3350n, periodDiscount: 50n };
  it('prices the period before and after the discount', () => {
    expect([ten.gross.toFixed(), ten.total.toFixed()]).toEqual(['34', '33.5']);
  });
  it.each([
    ['a whole day: 34.00 before, 0.50 off', '00:00', 3350n, 50n],
    ['from 08:00: 3400 x 16/24 = 2266.67 -> 2267 before, 3350 x 16/24 = 2233.33 -> 2233 paid', '08:00', 2233n, 34n],
  ] as const)('activation, %s', (_name, time, amount, discount) => {
    const [m] = activation({ ...priced, timing: 'in_advance', paid: false, from: at(time) }).movements;
    expect([m!.amount, m!.discount]).toEqual([amount, discount]);
  });
  it('an in-arrears date charged on deactivation carries the full day\'s discount', () => {
    const [m] = deactivation({ ...priced, timing: 'in_arrears', status: 'active', paid: false, description: 'x' }).movements;
    expect([m!.amount, m!.discount]).toEqual([3350n, 50n]);
  });
  it('more devices mid-period: the difference before the discount, less what the discount takes off it', () => {
    // 16 devices: 40.00 before, 40.00 - 11 x 0.10 = 38.90 after. At 14:00, 10/24 of the day is left:
    // before 6.00 x 10/24 = 2.50, after 5.40 x 10/24 = 2.25: charged 2.25, 0.25 off.
    const d = reconfiguration({ paid: true, before: ten, after: periodPrice(discounted, { devices: 16 }), refundable: () => true, period: today, at: at('14:00'), currency: 'EUR', description: 'x' });
    expect(d.movements.map((m) => [m.amount, m.discount])).toEqual([[225n, 25n]]);
  });
  it('a refund carries no discount: what comes back is what was paid for the rest of the period', () => {
    const d = reconfiguration({ paid: true, before: ten, after: periodPrice(discounted, { devices: 4 }), refundable: () => true, period: today, at: at('14:00'), currency: 'EUR', description: 'x' });
    // 10 -> 4 devices: 33.50 -> 28.00 after the discount; 5.50 x 10/24 = 2.29 back
    expect(d.movements.map((m) => [m.amount, m.discount])).toEqual([[-229n, undefined]]);
  });
});

describe('whether funds cover a decision', () => {
  it.each([
    [0n, -5n, true],
    [100n, 100n, true],
    [100n, 99n, false],
  ])('needs %s, has %s: %s', (fundsRequired, available, expected) => {
    expect(fundsCover({ movements: [], fundsRequired }, available)).toBe(expected);
  });
});
