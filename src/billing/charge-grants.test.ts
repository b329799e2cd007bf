import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DrawableGrant } from '../grants/drawdown.js';
import { allocate } from './allocate.js';
import { decideWithGrants } from './charge-grants.js';

const dues = (...prices: bigint[]) => prices.map((price, i) => ({ id: i + 1, accountId: 7, price, planId: 1 + (i % 2), planCode: i % 2 === 0 ? 'basic' : 'hosting' }));
const grant = (id: number, remaining: bigint, scope: string[] | null = null): DrawableGrant => ({ id, kind: 'promotional', priority: 100, scope, expiresAt: null, remaining });

describe('deciding a billing-run account that holds grants', () => {
  it('pays what its grants and balance cover, oldest first, each grant paying only its plans', () => {
    // balance 100; an open grant of 150 and one of 500 for hosting.
    // 1 basic 200: 150 from the open grant, 50 paid; 2 hosting 400: from its grant;
    // 3 basic 100: 50 paid left, not covered: suspended; 4 hosting 100: the last 100 of its grant.
    const { decided, draws } = decideWithGrants('in_advance', dues(200n, 400n, 100n, 100n), { balance: 100n, credit: 0n, reserved: 0n }, [grant(1, 150n), grant(2, 500n, ['hosting'])]);
    expect(decided.map((d) => [d.id, d.paid, d.suspend, d.line, d.from_balance])).toEqual([
      [1, true, false, 2, '50'],
      [2, true, false, 3, '0'],
      [3, false, true, null, '100'],
      [4, true, false, 4, '0'],
    ]);
    // The draws' postings follow the subscriptions' (lines 2 to 4).
    expect(draws.map((d) => [d.subscription_id, d.grant_id, d.amount, d.line])).toEqual([
      [1, 1, '150', 5],
      [2, 2, '400', 6],
      [4, 2, '100', 7],
    ]);
  });

  it('in arrears charges every day, into debt, and suspends them all once past the usable credit', () => {
    const { decided } = decideWithGrants('in_arrears', dues(300n, 300n), { balance: 100n, credit: 200n, reserved: 0n }, [grant(1, 250n)]);
    // 600 - 250 granted = 350 from the balance: 100 - 350 = -250, past the 200 of credit.
    expect(decided.map((d) => [d.paid, d.suspend, d.from_balance])).toEqual([
      [true, true, '50'],
      [true, true, '300'],
    ]);
  });

  it("suspends the subscriptions of a plan whose stop budget is reached: in advance unpaid, in arrears after its day", () => {
    const stoppedBasic = dues(200n, 400n).map((d) => ({ ...d, stopped: d.planCode === 'basic' }));
    const advance = decideWithGrants('in_advance', stoppedBasic, { balance: 1000n, credit: 0n, reserved: 0n }, [grant(1, 150n)]);
    // basic is not paid, so hosting draws the grant first: 150 from it, 250 paid.
    expect(advance.decided.map((d) => [d.id, d.paid, d.suspend, d.from_balance])).toEqual([
      [1, false, true, '200'],
      [2, true, false, '250'],
    ]);
    const arrears = decideWithGrants('in_arrears', stoppedBasic, { balance: 1000n, credit: 0n, reserved: 0n }, []);
    expect(arrears.decided.map((d) => [d.id, d.paid, d.suspend])).toEqual([
      [1, true, true],
      [2, true, false],
    ]);
  });

  it('decides as the set-based statement does (allocate) when the grants are gone', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -1000n, max: 50_000n }), fc.bigInt({ min: 0n, max: 5_000n }), fc.array(fc.bigInt({ min: 0n, max: 10_000n }), { maxLength: 12 }), (balance, credit, prices) => {
        const list = dues(...prices);
        const { decided } = decideWithGrants('in_advance', list, { balance, credit, reserved: 0n }, [grant(1, 0n)]);
        const expected = allocate(balance + credit, list);
        expect(decided.filter((d) => d.paid).map((d) => d.id)).toEqual(expected.paid);
        expect(decided.filter((d) => d.suspend).map((d) => d.id)).toEqual(expected.suspended);
      }),
    );
  });

  it('never draws a grant below nothing, and pays each subscription exactly its price', () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 0n, max: 3_000n }), { maxLength: 4 }),
        fc.array(fc.bigInt({ min: 0n, max: 2_000n }), { maxLength: 10 }),
        fc.bigInt({ min: 0n, max: 5_000n }),
        (remaining, prices, balance) => {
          const grants = remaining.map((r, i) => grant(i + 1, r, i % 2 === 0 ? null : ['hosting']));
          const { decided, draws } = decideWithGrants('in_advance', dues(...prices), { balance, credit: 0n, reserved: 0n }, grants);
          for (const g of grants) expect(draws.filter((d) => d.grant_id === g.id).reduce((s, d) => s + BigInt(d.amount), 0n) <= g.remaining).toBe(true);
          for (const d of decided.filter((x) => x.paid)) {
            const drawn = draws.filter((x) => x.subscription_id === d.id).reduce((s, x) => s + BigInt(x.amount), 0n);
            expect(drawn + BigInt(d.from_balance)).toBe(BigInt(d.price));
          }
          const fromBalance = decided.filter((d) => d.paid).reduce((s, d) => s + BigInt(d.from_balance), 0n);
          expect(fromBalance <= balance).toBe(true);
        },
      ),
    );
  });
});
