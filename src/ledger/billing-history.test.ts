// The billing history's grouping, pure: days summed into months and groups, quantities written
// as the API writes every decimal.
import { describe, expect, it } from 'vitest';
import { Exact } from '../money/money.js';
import { groupHistory } from './billing-history.js';

const day = (d: string, channel: string, kind: string, quantity: string, amount: string) => ({ day: d, currency: 'EUR', channel, kind, quantity, amount });

describe('groupHistory', () => {
  it.each([
    ['100.000000', '100'],
    ['0.500000', '0.5'],
    ['0.000001', '0.000001'],
    ['12', '12'],
    ['0', '0'],
    ['-3.250000', '-3.25'],
    ['123456789012345678901.100000', '123456789012345678901.1'],
    ['1234567890123456789012.000000', new Exact('1234567890123456789012').toString()],
  ])('writes the quantity %s as %s, as every decimal of the API', (stored, shown) => {
    expect(groupHistory([day('2026-12-01', 'emails', 'usage', stored, '1')], 'day', 'channel')[0]!.quantity).toBe(shown);
  });

  it('sums days into months and channels into kinds, in period, channel and kind order', () => {
    const rows = [
      day('2026-12-02', 'sms', 'usage', '3.000000', '21'), // 3 SMS at 0.07
      day('2026-12-01', 'emails', 'usage', '1200.000000', '156'), // 1,200 e-mails at 0.0013
      day('2026-12-02', 'emails', 'usage', '800.000000', '104'), // 800 e-mails at 0.0013
      day('2026-12-02', 'emails', 'discount', '0.000000', '-5'),
      day('2026-11-30', 'plan', 'plan', '1.000000', '990'),
    ];
    expect(groupHistory(rows, 'month', 'channel')).toEqual([
      { period: '2026-11', currency: 'EUR', channel: 'plan', kind: 'plan', quantity: '1', amount: '990' },
      { period: '2026-12', currency: 'EUR', channel: 'emails', kind: 'discount', quantity: '0', amount: '-5' },
      { period: '2026-12', currency: 'EUR', channel: 'emails', kind: 'usage', quantity: '2000', amount: '260' }, // 156 + 104
      { period: '2026-12', currency: 'EUR', channel: 'sms', kind: 'usage', quantity: '3', amount: '21' },
    ]);
    expect(groupHistory(rows, 'day', 'kind')).toEqual([
      { period: '2026-11-30', currency: 'EUR', kind: 'plan', quantity: '1', amount: '990' },
      { period: '2026-12-01', currency: 'EUR', kind: 'usage', quantity: '1200', amount: '156' },
      { period: '2026-12-02', currency: 'EUR', kind: 'discount', quantity: '0', amount: '-5' },
      { period: '2026-12-02', currency: 'EUR', kind: 'usage', quantity: '803', amount: '125' }, // 800 e-mails and 3 SMS: 104 + 21
    ]);
  });
});
