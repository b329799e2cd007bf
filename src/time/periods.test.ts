import { describe, expect, it } from 'vitest';
import { Exact } from '../money/money.js';
import { boundariesBetween, monthlyAnchorsStartingOn, periodContaining, prorate } from './periods.js';

const d = (iso: string) => new Date(iso);

describe('periodContaining', () => {
  it.each([
    ['daily', 1, '2026-11-22T13:00:00Z', '2026-11-22T00:00:00Z', '2026-11-23T00:00:00Z'],
    ['daily', 1, '2026-11-22T00:00:00Z', '2026-11-22T00:00:00Z', '2026-11-23T00:00:00Z'],
    ['daily', 1, '2026-12-31T23:59:59Z', '2026-12-31T00:00:00Z', '2027-01-01T00:00:00Z'],
    ['monthly', 15, '2026-11-22T13:00:00Z', '2026-11-15T00:00:00Z', '2026-12-15T00:00:00Z'],
    ['monthly', 15, '2026-11-10T00:00:00Z', '2026-10-15T00:00:00Z', '2026-11-15T00:00:00Z'],
    ['monthly', 31, '2027-02-28T05:00:00Z', '2027-02-28T00:00:00Z', '2027-03-31T00:00:00Z'],
    ['monthly', 31, '2027-02-27T05:00:00Z', '2027-01-31T00:00:00Z', '2027-02-28T00:00:00Z'],
    ['monthly', 30, '2028-02-29T00:00:00Z', '2028-02-29T00:00:00Z', '2028-03-30T00:00:00Z'],
    ['monthly', 5, '2026-12-20T00:00:00Z', '2026-12-05T00:00:00Z', '2027-01-05T00:00:00Z'],
  ] as const)('%s anchor %i at %s is %s..%s', (cadence, anchor, at, start, end) => {
    const period = periodContaining(cadence, anchor, d(at));
    expect(period.start.toISOString()).toBe(d(start).toISOString());
    expect(period.end.toISOString()).toBe(d(end).toISOString());
  });
});

describe('prorate', () => {
  const at = (iso: string) => new Date(iso);
  const day = periodContaining('daily', 1, at('2026-11-22T00:00:00Z'));
  it.each([
    ['13:00 leaves 11/24 of the day', '24', '2026-11-22T13:00:00Z', '11'],
    ['the boundary itself leaves the whole period', '24', '2026-11-22T00:00:00Z', '24'],
    // 2400 x 90 / 86400 = 2.5 exactly: multiplying first keeps the tie a tie
    ['90 seconds of 2400 is exactly 2.5', '2400', '2026-11-22T23:58:30Z', '2.5'],
    ['the end leaves nothing', '24', '2026-11-23T00:00:00Z', '0'],
  ])('%s', (_what, amount, t, expected) => {
    expect(prorate(new Exact(amount), day, at(t)).toString()).toBe(expected);
  });
});

describe('boundariesBetween', () => {
  it('lists every midnight passed, oldest first', () => {
    expect(boundariesBetween(d('2026-11-20T13:00:00Z'), d('2026-11-23T00:00:00Z')).map((b) => b.toISOString())).toEqual([
      '2026-11-21T00:00:00.000Z',
      '2026-11-22T00:00:00.000Z',
      '2026-11-23T00:00:00.000Z',
    ]);
  });
  it('passes none inside one day', () => {
    expect(boundariesBetween(d('2026-11-20T00:00:00Z'), d('2026-11-20T23:59:59Z'))).toEqual([]);
  });
});

describe('monthlyAnchorsStartingOn', () => {
  it.each([
    ['2026-11-15T00:00:00Z', [15]],
    ['2026-11-30T00:00:00Z', [30, 31]],
    ['2027-02-28T00:00:00Z', [28, 29, 30, 31]],
    ['2028-02-29T00:00:00Z', [29, 30, 31]],
    ['2026-12-31T00:00:00Z', [31]],
  ] as const)('%s starts anchors %j', (boundary, anchors) => {
    expect(monthlyAnchorsStartingOn(d(boundary))).toEqual(anchors);
  });
});
