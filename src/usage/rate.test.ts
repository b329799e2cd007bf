import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MeterPrice } from '../catalog/plan-definition.js';
import { Exact } from '../money/money.js';
import { type MonthState, type UsageDay, type UsageSoFar, rateUsage } from './rate.js';

const price = (over: Partial<MeterPrice>): MeterPrice => ({ meter: 'emails', tier_mode: 'flat', unit_price: '0.001', included: 0, free_once: 0, ...over });
// E-mails at 0.001 EUR each: 1,000 free every month, and 2,500 free once (a new account's).
const emails = price({ included: 1000, free_once: 2500 });
// SMS graduated: the first 100 of a month at 0.08, then 0.05.
const sms = price({ meter: 'sms', tier_mode: 'graduated', unit_price: undefined, tiers: [{ up_to: 100, unit_price: '0.08' }, { up_to: null, unit_price: '0.05' }], discounts: [{ from: 5000, percent: '7.5' }] });

const fresh = (...prices: MeterPrice[]): UsageSoFar => ({ currency: 'EUR', prices: new Map(prices.map((p) => [p.meter, p])), months: new Map(), freeOnceUsed: new Map() });
const used = (meter: string, day: string, quantity: string | number): UsageDay => ({ meter, day, quantity: new Exact(quantity) });
/** The state after `rated`, as the next step reads it. */
const after = (soFar: UsageSoFar, rated: ReturnType<typeof rateUsage>): UsageSoFar => ({
  ...soFar,
  months: new Map([...soFar.months, ...rated.months]),
  freeOnceUsed: new Map([...soFar.freeOnceUsed, ...rated.freeOnceUsed]),
});
const plain = (month: MonthState | undefined) => month && { quantity: month.quantity.toString(), includedUsed: month.includedUsed.toString(), freeOnceUsed: month.freeOnceUsed.toString(), charged: month.charged };

describe('rating usage', () => {
  it('uses the month’s included units first, then the once-free units, then charges', () => {
    const first = rateUsage(fresh(emails), [used('emails', '2026-12-01', 3000)]);
    // 3,000 = 1,000 included + 2,000 of the 2,500 once-free: nothing to pay
    expect(first.lines).toEqual([{ meter: 'emails', day: '2026-12-01', quantity: new Exact(3000), free: new Exact(3000), gross: 0n, discount: 0n, amount: 0n, priced: true }]);
    expect(first.total).toBe(0n);
    const second = rateUsage(after(fresh(emails), first), [used('emails', '2026-12-02', 1200)]);
    // 1,200 = the last 500 once-free + 700 at 0.001 = 0.70 EUR
    expect(second.lines[0]).toMatchObject({ free: new Exact(500), amount: 70n });
    expect(plain(second.months.get('emails/2026-12'))).toEqual({ quantity: '4200', includedUsed: '1000', freeOnceUsed: '2500', charged: 70n });
    expect(second.freeOnceUsed.get('emails')?.toString()).toBe('2500');
  });

  it('gives the included units again every month, but the once-free units only once', () => {
    const december = rateUsage(fresh(emails), [used('emails', '2026-12-31', 4000)]); // 1,000 + 2,500 free, 500 x 0.001 = 0.50
    expect(december.total).toBe(50n);
    const january = rateUsage(after(fresh(emails), december), [used('emails', '2027-01-01', 1500)]); // 1,000 free, 500 x 0.001 = 0.50
    expect(january.lines[0]).toMatchObject({ free: new Exact(1000), amount: 50n });
  });

  it('prices graduated tiers over the month’s cumulative usage, starting again each month', () => {
    const rated = rateUsage(fresh(sms), [used('sms', '2026-12-30', 90), used('sms', '2026-12-31', 20), used('sms', '2027-01-01', 20)]);
    expect(rated.lines.map((l) => l.amount)).toEqual([
      720n, // 90 x 0.08 = 7.20
      130n, // 10 x 0.08 + 10 x 0.05 = 1.30
      160n, // a new month: 20 x 0.08 = 1.60
    ]);
    expect(rated.total).toBe(1010n);
  });

  it('rates days in order, whatever order they came in', () => {
    const rated = rateUsage(fresh(sms), [used('sms', '2026-12-31', 20), used('sms', '2026-12-30', 90)]);
    expect(rated.lines.map((l) => [l.day, l.amount])).toEqual([['2026-12-30', 720n], ['2026-12-31', 130n]]);
  });

  it('counts a meter no plan prices, and charges nothing for it', () => {
    const rated = rateUsage(fresh(emails), [used('push', '2026-12-01', 40)]);
    expect(rated.lines).toEqual([{ meter: 'push', day: '2026-12-01', quantity: new Exact(40), free: new Exact(0), gross: 0n, discount: 0n, amount: 0n, priced: false }]);
    expect(plain(rated.months.get('push/2026-12'))).toMatchObject({ quantity: '40', charged: 0n });
  });

  it('takes volume discounts off the units above each level, and shows the price before, the discount and the price paid', () => {
    // cloudlet-hours at 0.02: from 1,000 a month 5% off, from 10,000 12% off
    const cloudlets = price({ meter: 'cloudlets', unit_price: '0.02', discounts: [{ from: 1000, percent: '5' }, { from: 10_000, percent: '12' }] });
    const first = rateUsage(fresh(cloudlets), [used('cloudlets', '2026-12-10', 800)]);
    expect(first.lines[0]).toMatchObject({ gross: 1600n, discount: 0n, amount: 1600n }); // 800 x 0.02 = 16.00, under the first level
    const crossing = rateUsage(after(fresh(cloudlets), first), [used('cloudlets', '2026-12-11', 400)]);
    // 400 x 0.02 = 8.00, of which the 200 above 1,000 are 5% off: 200 x 0.02 x 5% = 0.20
    expect(crossing.lines[0]).toMatchObject({ gross: 800n, discount: 20n, amount: 780n });
    const far = rateUsage(after(after(fresh(cloudlets), first), crossing), [used('cloudlets', '2026-12-20', 9800)]);
    // 9,800 x 0.02 = 196.00; off: 8,800 x 0.02 x 5% = 8.80 up to 10,000, and 1,000 x 0.02 x 12% = 2.40 above
    expect(far.lines[0]).toMatchObject({ gross: 19_600n, discount: 1120n, amount: 18_480n });
  });

  it('charges a month exactly its price rounded once, however its usage was split into steps', () => {
    const step = fc.array(fc.record({ meter: fc.constantFrom('emails', 'sms'), day: fc.integer({ min: 1, max: 31 }), thousandths: fc.integer({ min: 0, max: 3_000_000 }) }), { maxLength: 12 });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 6 }), (steps) => {
        const usageOf = (s: { meter: string; day: number; thousandths: number }) => used(s.meter, `2026-12-${String(s.day).padStart(2, '0')}`, new Exact(s.thousandths).div(1000).toString());
        let soFar = fresh(emails, sms);
        let charged = 0n;
        for (const batch of steps) {
          const rated = rateUsage(soFar, batch.map(usageOf));
          charged += rated.total;
          soFar = after(soFar, rated);
        }
        const atOnce = rateUsage(fresh(emails, sms), steps.flat().map(usageOf));
        expect(charged).toBe(atOnce.total);
      }),
      { seed: 17, numRuns: 300 },
    );
  });
});
