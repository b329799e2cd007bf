// The billing run draws credit grants as drawing one charge after another would (SPEC 4 and 5,
// issue 17), property-tested through the HTTP API on the simulated clock: an account with a
// random paid balance, random daily subscriptions in advance and in arrears on three plans,
// and random grants (two priorities, expiring or not, scoped to nothing, to some of the plans,
// or to a plan it does not run) goes through one night's run. The set-based statement decides
// the accounts whose grants all pay every plan they run, ./charge-grants.ts the others; either
// way each subscription must be paid, suspended, and split between grants and paid balance
// exactly as `decideWithGrants` (the greedy walk over `chargeFromGrants`) says, read from the
// state before the run: in advance first, then in arrears with what that left. Fixed seed;
// KASSA_PROPERTY_SEED explores others.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideWithGrants } from '../src/billing/charge-grants.js';
import { liveGrants } from '../src/grants/grants.js';
import type { DrawableGrant } from '../src/grants/drawdown.js';
import { billingScenario } from './support/scenario.js';

const s = billingScenario('2027-02-01T10:00:00Z');
const seed = (fixed: number) => Number(process.env.KASSA_PROPERTY_SEED ?? fixed);
let keys = 0;
const key = () => ({ 'idempotency-key': `billing-grants-property-${++keys}` });

interface PlanUnderTest {
  id: number;
  code: string;
  timing: 'in_advance' | 'in_arrears';
}
const plans: PlanUnderTest[] = [];

const grantArb = fc.record({
  amount: fc.integer({ min: 1, max: 900 }),
  priority: fc.constantFrom(10, 100),
  expiresInDays: fc.option(fc.integer({ min: 3, max: 40 }), { nil: null }),
  // Indexes into the plans, plus 3: a plan the account does not run.
  scope: fc.option(fc.uniqueArray(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 3 }), { nil: null }),
});
const accountArb = fc.record({
  balance: fc.integer({ min: 0, max: 2500 }),
  subscriptions: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 6 }),
  grants: fc.array(grantArb, { maxLength: 4 }),
});

interface Posting {
  ledger_account: string;
  amount: string;
  subscription_id: number | null;
  grant_id?: number | null;
}

/** Each paid subscription's split as "grant G: amount" and "balance: amount", from the decisions or the ledger. */
const split = (rows: [number, string][]) => rows.map(([subscription, what]) => `${subscription} ${what}`).sort();

describe('the billing run with credit grants', () => {
  it('sets up three daily plans: 3.00 and 5.50 in advance, 2.00 in arrears', async () => {
    for (const [price, timing] of [['3.00', 'in_advance'], ['5.50', 'in_advance'], ['2.00', 'in_arrears']] as const) {
      const id = await s.createPlan(price, { timing });
      const { code } = await s.expectStatus<{ code: string }>(200, 'GET', `/v1/plans/${id}`);
      plans.push({ id, code, timing });
    }
  });

  it('pays, suspends and splits each subscription as drawing one charge after another would', async () => {
    await fc.assert(
      fc.asyncProperty(accountArb, async (sample) => {
        const account = s.track((await s.createAccount()).id);
        await s.topUp(account, '100000');
        const subscriptions: { id: number; plan: PlanUnderTest }[] = [];
        for (const p of sample.subscriptions) {
          const plan = plans[p]!;
          const created = await s.expectStatus<{ subscription: { id: number } }>(201, 'POST', `/v1/accounts/${account}/subscriptions`, { plan_id: plan.id }, key());
          subscriptions.push({ id: created.subscription.id, plan });
        }
        // Down to the sample's paid balance, then the grants.
        const { balance } = await s.expectStatus<{ balance: string }>(200, 'GET', `/v1/accounts/${account}/balance`);
        await s.expectStatus(201, 'POST', `/v1/accounts/${account}/adjustments`, { direction: 'debit', amount: String(BigInt(balance) - BigInt(sample.balance)), reason: 'to the sample' }, key());
        for (const g of sample.grants) {
          const scope = g.scope === null ? null : g.scope.map((i) => plans[i]?.code ?? 'not_run');
          await s.expectStatus(201, 'POST', `/v1/accounts/${account}/grants`, { kind: 'promotional', amount: String(g.amount), priority: g.priority, ...(g.expiresInDays ? { expires_in_days: g.expiresInDays } : {}), scope, reason: 'property' }, key());
        }

        // What the run must do, from the state before it.
        const boundary = new Date(`${s.kassa().clock.now().toISOString().slice(0, 10)}T00:00:00Z`);
        boundary.setUTCDate(boundary.getUTCDate() + 1);
        let grants: DrawableGrant[] = (await liveGrants(s.kassa().db, [account], boundary)).get(account) ?? [];
        let paid = BigInt(sample.balance);
        const expected: [number, string][] = [];
        const suspended: number[] = [];
        for (const timing of ['in_advance', 'in_arrears'] as const) {
          const dues = subscriptions.filter((x) => x.plan.timing === timing).map((x) => ({ id: x.id, accountId: account, price: BigInt(x.plan.timing === 'in_advance' ? (x.plan === plans[0] ? 300 : 550) : 200), planId: x.plan.id, planCode: x.plan.code }));
          if (dues.length === 0) continue;
          const decided = decideWithGrants(timing, dues, { balance: paid, credit: 0n, reserved: 0n }, grants);
          for (const row of decided.decided) {
            if (row.suspend) suspended.push(row.id);
            if (!row.paid) continue;
            expected.push([row.id, `balance ${row.from_balance}`]);
            paid -= BigInt(row.from_balance);
          }
          for (const d of decided.draws) {
            expected.push([d.subscription_id, `grant ${d.grant_id} ${d.amount}`]);
            grants = grants.map((g) => (g.id === d.grant_id ? { ...g, remaining: g.remaining - BigInt(d.amount) } : g));
          }
        }

        await s.advanceTo(new Date(boundary.getTime() + 3_600_000).toISOString());
        const run = (await s.ledgerOf(account)).filter((t) => t.kind === 'billing_run');
        const postings = run.flatMap((t) => t.postings as Posting[]);
        const actual: [number, string][] = postings.flatMap((p): [number, string][] =>
          p.ledger_account === 'customer' ? [[p.subscription_id!, `balance ${-BigInt(p.amount)}`]] : p.ledger_account === 'grant' ? [[p.subscription_id!, `grant ${p.grant_id} ${-BigInt(p.amount)}`]] : [],
        );
        expect(split(actual)).toEqual(split(expected));
        expect(await s.balanceOf(account)).toBe(String(paid));
        const statuses = await Promise.all(subscriptions.map(async (x) => [x.id, (await s.subscription(x.id)).status] as const));
        expect(statuses.filter(([, status]) => status === 'suspended').map(([id]) => id).sort()).toEqual([...suspended].sort());
        await s.expectLedgerConsistent(account);
      }),
      { numRuns: 25, seed: seed(1703), verbose: 1 },
    );
  });
});
