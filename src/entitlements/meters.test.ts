import { describe, expect, it } from 'vitest';
import type { MeterPrice } from '../catalog/plan-definition.js';
import { Exact } from '../money/money.js';
import { type MeterStanding, meterAnswer } from './meters.js';

// E-mails at 0.001 EUR: 1,000 included every month, 2,500 free once.
const price: MeterPrice = { meter: 'emails', tier_mode: 'flat', unit_price: '0.001', included: 1000, free_once: 2500 };
const standing = (over: Partial<Record<keyof Omit<MeterStanding, 'price' | 'month'>, number>> & { month?: string | null } = {}): MeterStanding => ({
  price,
  month: over.month === undefined ? '2026-12' : over.month,
  quantity: new Exact(over.quantity ?? 0),
  includedUsed: new Exact(over.includedUsed ?? 0),
  freeOnceUsedInMonth: new Exact(over.freeOnceUsedInMonth ?? 0),
  freeOnceUsed: new Exact(over.freeOnceUsed ?? 0),
});
const check = (available: bigint, quantity?: number, month = '2026-12') => ({ month, available, currency: 'EUR', quantity: quantity === undefined ? undefined : new Exact(quantity) });

describe('meterAnswer', () => {
  it.each([
    ['never used, no funds: the free units allow it', standing({ month: null }), check(0n), true, '3500'],
    ['free units used up, funds above zero', standing({ quantity: 3600, includedUsed: 1000, freeOnceUsedInMonth: 2500, freeOnceUsed: 2500 }), check(1n), true, '0'],
    ['free units used up, charged into debt', standing({ quantity: 3600, includedUsed: 1000, freeOnceUsedInMonth: 2500, freeOnceUsed: 2500 }), check(-10n), false, '0'],
    ['a new month gives the included units again', standing({ month: '2026-11', quantity: 3600, includedUsed: 1000, freeOnceUsedInMonth: 2500, freeOnceUsed: 2500 }), check(-10n), true, '1000'],
  ])('%s', (_what, meter, asked, allowed, freeLeft) => {
    const answer = meterAnswer(meter, asked);
    expect(answer.allowed).toBe(allowed);
    expect(answer.details.free_remaining).toBe(freeLeft);
  });

  it('refuses a meter whose month used up its quota, or a quantity that would pass it, before looking at funds', () => {
    const capped: MeterStanding = { ...standing({ quantity: 900 }), price: { ...price, quota: 1000 } };
    expect(meterAnswer(capped, check(10_000n, 100))).toMatchObject({ allowed: true });
    expect(meterAnswer(capped, check(10_000n, 101))).toMatchObject({ allowed: false, reason: 'quota_reached' });
    expect(meterAnswer({ ...capped, quantity: new Exact(1000) }, check(10_000n))).toMatchObject({ allowed: false, reason: 'quota_reached' });
    expect(meterAnswer({ ...capped, quantity: new Exact(1000) }, check(10_000n, 0, '2027-01'))).toMatchObject({ allowed: true }); // a new month
  });

  it.each([
    // [quantity asked, available, allowed, cost]: 3,500 free left this month at first
    [3500, 0n, true, '0'], // all free, even with nothing available
    [4000, 50n, true, '50'], // 500 x 0.001 = 0.50
    [4000, 49n, false, '50'],
    [4001, 50n, true, '50'], // 501 x 0.001 = 0.501 rounds to 0.50, as rating would charge it
  ])('asked about %s more with %s available: allowed %s, costing %s', (quantity, available, allowed, cost) => {
    const answer = meterAnswer(standing(), check(available, quantity));
    expect(answer.details.cost).toBe(cost);
    expect(answer.allowed).toBe(allowed);
  });
});
