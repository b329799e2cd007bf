import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allocate } from './allocate.js';

const dues = (...prices: bigint[]) => prices.map((price, i) => ({ id: i + 1, price }));

describe('allocate: one by one, oldest first, the next one still tried', () => {
  it.each([
    // 10.00 covers all three: 2 + 3 + 4 = 9
    [1000n, dues(200n, 300n, 400n), [1, 2, 3], []],
    // 5.00: 2 paid (3 left), 6 refused, 3 paid (0 left)
    [500n, dues(200n, 600n, 300n), [1, 3], [2]],
    // nothing available: everything suspended
    [0n, dues(100n, 1n), [], [1, 2]],
    // negative balance inside the credit limit still counts as available funds
    [-100n, dues(50n), [], [1]],
    // a free subscription is always paid
    [0n, dues(0n, 5n), [1], [2]],
    // exact fit
    [700n, dues(300n, 400n), [1, 2], []],
  ] as const)('%s available for %s', (available, list, paid, suspended) => {
    const result = allocate(available, list);
    expect(result.paid).toEqual(paid);
    expect(result.suspended).toEqual(suspended);
  });

  it('never spends more than is available, and pays everything it can in order', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -1000n, max: 100_000n }), fc.array(fc.bigInt({ min: 0n, max: 10_000n }), { maxLength: 20 }), (available, prices) => {
        const list = dues(...prices);
        const { paid, suspended, total } = allocate(available, list);
        expect(paid.length + suspended.length).toBe(list.length);
        expect(total).toBe(paid.reduce((s, id) => s + list[id - 1]!.price, 0n));
        if (total > 0n) expect(total <= available).toBe(true);
        // every refusal is justified: at its turn, less was left than its price
        let left = available;
        for (const due of list) {
          if (paid.includes(due.id)) left -= due.price;
          else expect(due.price > left).toBe(true);
        }
      }),
    );
  });
});
