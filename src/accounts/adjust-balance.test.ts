import { describe, expect, it } from 'vitest';
import { MAX_MINOR } from '../money/money.js';
import { type Adjustment, adjustmentRefusal } from './adjust-balance.js';

const account = { status: 'active' as const, balance: 1_000n, creditEnabled: false, creditLimit: 0n, reserved: 0n, currency: 'EUR' };
const debit = (amount: bigint): Adjustment => ({ direction: 'debit', amount, reason: 'r' });
const credit = (amount: bigint): Adjustment => ({ direction: 'credit', amount, reason: 'r' });

describe('adjustmentRefusal', () => {
  it.each([
    ['a debit within the balance', account, debit(1_000n), undefined],
    ['a debit one cent over the balance', account, debit(1_001n), 'insufficient_funds'],
    ['a debit into enabled credit (10.00 + 5.00 limit)', { ...account, creditEnabled: true, creditLimit: 500n }, debit(1_500n), undefined],
    ['a debit past enabled credit', { ...account, creditEnabled: true, creditLimit: 500n }, debit(1_501n), 'insufficient_funds'],
    ['a debit using a limit that is not enabled', { ...account, creditLimit: 500n }, debit(1_500n), 'insufficient_funds'],
    ['a credit to a negative balance', { ...account, balance: -300n }, credit(1n), undefined],
    ['a credit past the largest storable balance', { ...account, balance: MAX_MINOR }, credit(1n), 'amount_out_of_range'],
    ['anything on a closed account, checked first', { ...account, status: 'closed' as const }, debit(5_000n), 'invalid_state'],
    ['a debit of funds a usage reservation holds', { ...account, reserved: 400n }, debit(601n), 'insufficient_funds'],
    ['a debit on a suspended account with funds', { ...account, status: 'suspended' as const }, debit(1n), undefined],
  ])('%s', (_what, state, adjustment, code) => {
    expect(adjustmentRefusal(state, adjustment)?.code).toBe(code);
  });

  it('tells how much is available when refusing a debit', () => {
    expect(adjustmentRefusal({ ...account, creditEnabled: true, creditLimit: 250n }, debit(2_000n))?.extra).toEqual({ available: '1250', currency: 'EUR' }); // 10.00 + 2.50
  });
});
