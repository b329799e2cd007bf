import { describe, expect, it } from 'vitest';
import { assertBalanced, customerPostings } from './post.js';

describe('customerPostings', () => {
  it('puts money on the customer against the other account, and takes it off the other way round', () => {
    expect(customerPostings(700n, 'adjustments')).toEqual([
      { ledgerAccount: 'customer', amount: 700n },
      { ledgerAccount: 'adjustments', amount: -700n },
    ]);
    expect(customerPostings(-700n, 'adjustments')).toEqual([
      { ledgerAccount: 'customer', amount: -700n },
      { ledgerAccount: 'adjustments', amount: 700n },
    ]);
  });

  it('always balances', () => {
    for (const amount of [1n, -1n, 9_007_199_254_740_993n]) expect(() => assertBalanced(customerPostings(amount, 'revenue'))).not.toThrow();
  });
});
