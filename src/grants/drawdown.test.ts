import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type DrawableGrant, drawCharge, drawCharges, drawOrder, grantFundsFor, refundToGrants } from './drawdown.js';

const day = (d: number) => new Date(Date.UTC(2026, 11, d));
const grant = (id: number, remaining: bigint, over: Partial<DrawableGrant> = {}): DrawableGrant => ({ id, kind: 'promotional', priority: 10, scope: null, expiresAt: null, remaining, ...over });

describe('the drawdown order', () => {
  it.each([
    // [what decides, grants, service, the order drawn]
    ['a grant scoped to the service first', [grant(1, 100n), grant(2, 100n, { scope: ['emails'] })], 'emails', [2, 1]],
    ['a grant scoped elsewhere not at all', [grant(1, 100n), grant(2, 100n, { scope: ['sms'] })], 'emails', [1]],
    ['then the lower priority number', [grant(1, 100n, { priority: 20 }), grant(2, 100n, { priority: 5 })], 'emails', [2, 1]],
    ['then the soonest expiry, never-expiring last', [grant(1, 100n), grant(2, 100n, { expiresAt: day(20) }), grant(3, 100n, { expiresAt: day(10) })], 'emails', [3, 2, 1]],
    ['then promotional before paid', [grant(1, 100n, { kind: 'paid' }), grant(2, 100n)], 'emails', [2, 1]],
    ['then the oldest', [grant(2, 100n), grant(1, 100n)], 'emails', [1, 2]],
    ['priority does not outrank scope', [grant(1, 100n, { priority: 1 }), grant(2, 100n, { priority: 99, scope: ['emails'] })], 'emails', [2, 1]],
    ['an empty grant is skipped', [grant(1, 0n), grant(2, 100n)], 'emails', [2]],
  ])('%s', (_why, grants, service, order) => {
    expect(drawOrder(grants, service).map((g) => g.id)).toEqual(order);
  });
});

describe('drawing a charge', () => {
  it.each([
    // [charge, grants' remaining in draw order, draws, from the paid balance]
    [250n, [100n, 300n], [100n, 150n], 0n], // 100 from the first, 250 - 100 = 150 from the second
    [500n, [100n, 300n], [100n, 300n], 100n], // 500 - 100 - 300 = 100 left to the balance
    [80n, [100n, 300n], [80n], 0n],
    [0n, [100n], [], 0n],
    [70n, [], [], 70n],
  ])('%s against %s draws %s and leaves %s to the balance', (amount, remaining, draws, fromBalance) => {
    const grants = remaining.map((r, i) => grant(i + 1, r, { priority: i }));
    const drawn = drawCharge(grants, 'plan_basic', amount);
    expect(drawn.draws.map((d) => d.amount)).toEqual(draws);
    expect(drawn.fromBalance).toBe(fromBalance);
  });

  it('draws the charges of one movement one after another', () => {
    // 150 of e-mails takes the e-mail grant's 100 and 50 of the open one; 120 of SMS the open one's other 50, then 70 from the balance.
    const grants = [grant(1, 100n, { scope: ['emails'] }), grant(2, 100n)];
    const { drawn, after } = drawCharges(grants, [
      { service: 'emails', amount: 150n },
      { service: 'sms', amount: 120n },
    ]);
    expect(drawn).toEqual([
      { draws: [{ grantId: 1, amount: 100n }, { grantId: 2, amount: 50n }], fromBalance: 0n },
      { draws: [{ grantId: 2, amount: 50n }], fromBalance: 70n },
    ]);
    expect(after.map((g) => g.remaining)).toEqual([0n, 0n]);
  });

  it('counts for a service only the grants that may pay it', () => {
    expect(grantFundsFor([grant(1, 100n, { scope: ['emails'] }), grant(2, 40n), grant(3, 7n, { scope: ['sms'] })], 'emails')).toBe(140n);
  });

  it('never draws more than a grant holds, and the draws plus the balance part are the charge', () => {
    const grants = fc.array(
      fc.record({
        remaining: fc.bigInt({ min: 0n, max: 10_000n }),
        priority: fc.integer({ min: 0, max: 3 }),
        kind: fc.constantFrom('promotional' as const, 'paid' as const),
        scope: fc.option(fc.subarray(['emails', 'sms', 'plan_basic'], { minLength: 1 }), { nil: null }),
        expires: fc.option(fc.integer({ min: 1, max: 28 }), { nil: null }),
      }),
      { maxLength: 6 },
    );
    const charges = fc.array(fc.record({ service: fc.constantFrom('emails', 'sms', 'plan_basic'), amount: fc.bigInt({ min: 0n, max: 20_000n }) }), { maxLength: 8 });
    fc.assert(
      fc.property(grants, charges, (specs, list) => {
        const held = specs.map((s, i) => grant(i + 1, s.remaining, { priority: s.priority, kind: s.kind, scope: s.scope, expiresAt: s.expires === null ? null : day(s.expires) }));
        const { drawn, after } = drawCharges(held, list);
        drawn.forEach((d, i) => {
          expect(d.draws.reduce((sum, x) => sum + x.amount, 0n) + d.fromBalance).toBe(list[i]!.amount);
          for (const x of d.draws) expect(held.find((g) => g.id === x.grantId)!.scope ?? [list[i]!.service]).toContain(list[i]!.service);
        });
        after.forEach((g, i) => {
          expect(g.remaining >= 0n && g.remaining <= held[i]!.remaining).toBe(true);
          const used = drawn.flatMap((d) => d.draws).filter((x) => x.grantId === g.id).reduce((sum, x) => sum + x.amount, 0n);
          expect(held[i]!.remaining - g.remaining).toBe(used);
        });
      }),
    );
  });
});

describe('refunding a charge', () => {
  it('gives back to the grants that paid it, the last drawn first, each up to what it drew, then to the paid balance', () => {
    // Drawn before: 300 of grant 1 (priority 1, drawn first) and 100 of grant 2; a refund of 350:
    // 100 back to grant 2 (drawn last), 250 to grant 1, nothing to the balance.
    const grants = [grant(1, 0n, { priority: 1 }), grant(2, 50n, { priority: 2 }), grant(3, 500n, { priority: 3 })];
    const back = refundToGrants(grants, new Map([[1, 300n], [2, 100n]]), 350n, { subscriptionId: 9, service: 'hosting' });
    // Every posting names the subscription and the plan it refunds, for the revenue report.
    expect(back.postings.map((p) => [p.ledgerAccount, p.amount, p.grantId ?? null, p.subscriptionId, p.service])).toEqual([
      ['customer', 0n, null, 9, 'hosting'],
      ['grant', 100n, 2, 9, 'hosting'],
      ['grant', 250n, 1, 9, 'hosting'],
      ['revenue', -350n, null, 9, 'hosting'],
    ]);
    expect(back.after.map((g) => g.remaining)).toEqual([250n, 150n, 500n]);
    // More than the grants drew: the rest, 500 - 300 - 100 = 100, to the paid balance.
    expect(refundToGrants(grants, new Map([[1, 300n], [2, 100n]]), 500n).postings[0]).toMatchObject({ ledgerAccount: 'customer', amount: 100n });
  });
});
