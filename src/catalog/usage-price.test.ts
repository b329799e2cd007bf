import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PlanItem } from './plan-definition.js';
import { Exact, roundToMinor } from '../money/money.js';
import { priceOfUnits as usagePrice, usageCharge } from './pricing.js';

type Priced = Pick<PlanItem, 'tier_mode' | 'tiers' | 'unit_price' | 'included'>;
const named = (name: string, item: Priced) => Object.assign(item, { toString: () => name });
const emails = named('e-mails at 0.0012 after 2,500 free', { tier_mode: 'flat', unit_price: '0.0012', included: 2500 });
const storage = named('GB-hours graduated 0.05 / 0.04 / 0.03', { tier_mode: 'graduated', included: 0, tiers: [{ up_to: 100, unit_price: '0.05' }, { up_to: 1000, unit_price: '0.04' }, { up_to: null, unit_price: '0.03' }] });
const sms = named('SMS by volume 0.07, from 1,001 0.05 + 1.00', { tier_mode: 'volume', included: 0, tiers: [{ up_to: 1000, unit_price: '0.07' }, { up_to: null, unit_price: '0.05', flat_price: '1' }] });

describe('the price of a month of usage', () => {
  it.each([
    [emails, '0', '0'],
    [emails, '2500', '0'], // all included
    [emails, '2501', '0.0012'],
    [emails, '10000', '9'], // 7,500 x 0.0012
    [storage, '0.5', '0.025'], // 0.5 GB-hours x 0.05: fractions priced exactly
    [storage, '100', '5'],
    [storage, '150.25', '7.01'], // 100 x 0.05 + 50.25 x 0.04
    [storage, '2000', '71'], // 100 x 0.05 + 900 x 0.04 + 1,000 x 0.03
    [sms, '1000', '70'], // all at 0.07
    [sms, '1001', '51.05'], // all 1,001 at 0.05, plus the tier's 1.00
  ])('%s: %s units cost %s', (item, quantity, price) => {
    expect(usagePrice(item, new Exact(quantity)).toString()).toBe(price);
  });

  it.each([
    // [item, month so far, added, currency, charge in minor units]
    [emails, '0', '2400', 'EUR', 0n], // inside the 2,500 free
    [emails, '2400', '200', 'EUR', 12n], // 100 paid: 100 x 0.0012 = 0.12
    [emails, '2400', '1000', 'EUR', 108n], // 900 x 0.0012 = 1.08
    [emails, '3400', '1', 'EUR', 0n], // 1.0812 and 1.08 both round to 1.08
    [emails, '3400', '5', 'EUR', 1n], // 1.086 rounds to 1.09
    [storage, '99', '2', 'EUR', 9n], // 1 x 0.05 + 1 x 0.04 = 0.09
    [sms, '1000', '1', 'EUR', -1895n], // 70.00 then 51.05: crossing the level lowers the month
    [emails, '2400', '1000', 'JPY', 1n], // 1.08 JPY rounds to 1
  ])('%s: after %s units, %s more cost %s, %s minor units', (item, before, added, currency, charge) => {
    expect(usageCharge(item, new Exact(before), new Exact(added), currency)).toBe(charge);
  });

  it('adds up over any split of the month to its price rounded once', () => {
    const quantity = fc.integer({ min: 0, max: 5_000_000 }).map((micro) => new Exact(micro).div(1_000)); // 0 to 5,000 with 3 decimals
    fc.assert(
      fc.property(fc.constantFrom(emails, storage, sms), fc.array(quantity, { maxLength: 30 }), (item, steps) => {
        let before = new Exact(0);
        let charged = 0n;
        for (const added of steps) {
          charged += usageCharge(item, before, added, 'EUR');
          before = before.plus(added);
        }
        expect(charged).toBe(roundToMinor(usagePrice(item, before), 'EUR'));
      }),
      { seed: 8, numRuns: 300 },
    );
  });
});
