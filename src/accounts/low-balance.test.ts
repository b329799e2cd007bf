import { describe, expect, it } from 'vitest';
import { Exact } from '../money/money.js';
import { dailySpend, lowBalanceDecision, lowBalanceThreshold } from './low-balance.js';

describe('lowBalanceDecision', () => {
  it.each([
    // available, threshold, warned -> decision
    [999n, 1000n, false, 'warn', 'falls under: first warning'],
    [999n, 1000n, true, 'unchanged', 'still under: no second warning'],
    [-50n, 1000n, true, 'unchanged', 'deeper under: still no second warning'],
    [1000n, 1000n, true, 'reset', 'back to the threshold exactly: re-armed'],
    [5000n, 1000n, true, 'reset', 'well above: re-armed'],
    [5000n, 1000n, false, 'unchanged', 'above and not warned: nothing'],
    [1000n, 1000n, false, 'unchanged', 'at the threshold is not under it'],
    [-1n, 0n, false, 'warn', 'a zero threshold warns once funds go negative'],
    [-1n, null, false, 'unchanged', 'no threshold: never warned'],
    [-1n, null, true, 'reset', 'threshold removed while warned: re-armed'],
  ] as const)('available %s, threshold %s, warned %s -> %s (%s)', (available, threshold, warned, decision, _why) => {
    expect(lowBalanceDecision({ available, threshold, warned })).toBe(decision);
  });
});

describe('dailySpend', () => {
  it('adds daily periods as they are and spreads monthly ones over 365/12 days', () => {
    const perDay = dailySpend(
      [
        { cadence: 'daily', periodAmount: 150n }, // 1.50
        { cadence: 'monthly', periodAmount: 3_650n }, // 36.50 x 12 / 365 = 1.20
      ],
      'EUR',
    );
    expect(perDay.toString()).toBe('2.7'); // 1.50 + 1.20
  });
  it('is zero without running subscriptions', () => {
    expect(dailySpend([], 'EUR').isZero()).toBe(true);
  });
});

describe('lowBalanceThreshold', () => {
  const perDay = new Exact('1.2345'); // EUR per day, exact
  it.each([
    [null, null, null, 'nothing configured'],
    [500n, null, 500n, 'an amount alone'],
    [null, 7, 864n, '7 x 1.2345 = 8.6415 -> 8.64, rounded once'],
    [null, 2, 247n, '2 x 1.2345 = 2.469 -> 2.47'],
    [1_000n, 7, 1_000n, 'both: the higher (10.00 > 8.64)'],
    [500n, 7, 864n, 'both: the higher (8.64 > 5.00)'],
  ] as const)('amount %s, days %s -> %s (%s)', (amount, days, expected, _why) => {
    expect(lowBalanceThreshold({ amount, days }, perDay, 'EUR')).toBe(expected);
  });
  it('rounds the product once, half to even: 3 days x 0.8350 = 2.505 -> 2.50', () => {
    expect(lowBalanceThreshold({ amount: null, days: 3 }, new Exact('0.835'), 'EUR')).toBe(250n);
  });
});
