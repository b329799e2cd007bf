import { describe, expect, it } from 'vitest';
import { topUpLimitRefusal, withinLimits } from './limits.js';

const limits = { EUR: { min: '500', max: '100000' }, USD: { min: '1000' } };

describe('top-up limits', () => {
  it.each([
    ['EUR', 499n, 'a top-up is at least 5.00 EUR'],
    ['EUR', 500n, undefined],
    ['EUR', 100_000n, undefined],
    ['EUR', 100_001n, 'a top-up is at most 1000.00 EUR'],
    ['USD', 10_000_000n, undefined], // no largest
    ['CHF', 1n, undefined], // no limits at all
  ])('%s %s: %s', (currency, amount, refusal) => {
    expect(topUpLimitRefusal(limits, currency, amount)?.detail).toBe(refusal);
  });

  it.each([
    ['EUR', 200n, 500n],
    ['EUR', 4500n, 4500n],
    ['EUR', 250_000n, 100_000n],
    ['EUR', 0n, 0n], // nothing to charge stays nothing
  ])('brings an automatic charge of %s %s within the limits: %s', (currency, amount, charge) => {
    expect(withinLimits(limits, currency, amount)).toBe(charge);
  });
});
