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
const base = { period: today, price, periodAmount: 3400n, currency: 'EUR', description: 'x' };

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
  const next = { timing: 'in_advance' as const, period: month, price: periodPrice(monthly, {}), periodAmount: 30000n, currency: 'EUR', description: 'x' };
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

describe('whether funds cover a decision', () => {
  it.each([
    [0n, -5n, true],
    [100n, 100n, true],
    [100n, 99n, false],
  ])('needs %s, has %s: %s', (fundsRequired, available, expected) => {
    expect(fundsCover({ movements: [], fundsRequired }, available)).toBe(expected);
  });
});
