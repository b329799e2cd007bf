// Payment webhooks, property-tested (SPEC 8, issue 7): whatever Stripe delivers for a set of
// card payments (each event duplicated or not, in any order, refunds and disputes interleaved
// with the payments they follow) leaves each payment credited exactly once, each refund and
// dispute debited once, the balance equal to what was paid less what was given back, and the
// ledger balanced. One Kassa and one fake Stripe serve the property; each sample opens a fresh
// account. Seeds are fixed; KASSA_PROPERTY_SEED=n explores others.
import { eq } from 'drizzle-orm';
import fc from 'fast-check';
import type Stripe from 'stripe';
import { beforeAll, describe, expect, it } from 'vitest';
import { topUpReceipts, topUps } from '../src/db/schema.js';
import { verifyLedger } from '../src/ledger/verify.js';
import type { FakeStripe } from './support/fake-stripe.js';
import type { Harness } from './support/harness.js';
import { withFakeStripe } from './support/stripe-harness.js';

const started = withFakeStripe();
let h: Harness;
let stripe: FakeStripe;
const seed = (fixed: number) => Number(process.env.KASSA_PROPERTY_SEED ?? fixed);
beforeAll(() => {
  ({ h, stripe } = started);
});

/**
 * One payment: its amount, the refunds made on Stripe's side in order (each a share, per mille,
 * of what is left), and a dispute of a share of what is left after them, or none.
 */
const paymentPlan = fc.record({
  amount: fc.integer({ min: 100, max: 50_000 }),
  refunds: fc.array(fc.integer({ min: 1, max: 1000 }), { maxLength: 2 }),
  dispute: fc.option(fc.integer({ min: 1, max: 1000 }), { nil: null }),
});

let samples = 0;

describe('Stripe webhook deliveries', () => {
  it('credit each payment once and debit each refund and dispute once, in any order, however often delivered', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(paymentPlan, { minLength: 1, maxLength: 3 }),
        fc.infiniteStream(fc.integer({ min: 0, max: 2 })),
        fc.nat(),
        async (plans, copiesStream, shuffleSeed) => {
          const account = (await h.call('POST', '/v1/accounts', { name: `Webhook sample ${++samples}`, currency: 'EUR' })).body.id as number;
          const events: Stripe.Event[] = [];
          const expected: { topUpId: number; received: number; givenBack: number }[] = [];
          for (const plan of plans) {
            const started = await h.call('POST', `/v1/accounts/${account}/top-ups`, { method: 'card', amount: String(plan.amount) }, { 'idempotency-key': `prop-${samples}-${expected.length}` });
            const [row] = await h.kassa.db.select({ session: topUps.providerRef }).from(topUps).where(eq(topUps.id, started.body.id));
            events.push(...stripe.pay(row!.session!));
            const intent = stripe.get(row!.session!).payment_intent as string;
            let left = plan.amount;
            for (const share of plan.refunds) {
              const refund = Math.floor((left * share) / 1000);
              if (refund === 0) continue;
              events.push(...stripe.refund(intent, refund));
              left -= refund;
            }
            const disputed = plan.dispute === null ? 0 : Math.floor((left * plan.dispute) / 1000);
            if (disputed > 0) events.push(...stripe.dispute(intent, disputed));
            expected.push({ topUpId: started.body.id, received: plan.amount, givenBack: plan.amount - left + disputed });
          }
          // Every event once, some twice or three times (the same id), in a shuffled order.
          const copies = [...copiesStream.take(events.length)];
          const deliveries = events.flatMap((event, i) => Array.from({ length: 1 + copies[i]! }, () => event));
          const random = fc.sample(fc.shuffledSubarray(deliveries.map((_, i) => i), { minLength: deliveries.length, maxLength: deliveries.length }), { seed: shuffleSeed, numRuns: 1 })[0]!;
          for (const index of random) {
            const { payload, headers } = stripe.signed(deliveries[index]!);
            const response = await h.app.inject({ method: 'POST', url: '/v1/webhooks/stripe', payload, headers });
            expect(response.statusCode, response.body).toBe(200);
          }
          await h.kassa.background.settled();

          for (const { topUpId, received, givenBack } of expected) {
            const [topUp] = await h.kassa.db.select().from(topUps).where(eq(topUps.id, topUpId));
            expect([topUp!.amountReceived, topUp!.amountRefunded]).toEqual([BigInt(received), BigInt(givenBack)]);
            expect(await h.kassa.db.select().from(topUpReceipts).where(eq(topUpReceipts.topUpId, topUpId))).toHaveLength(1);
          }
          const balance = (await h.call('GET', `/v1/accounts/${account}/balance`)).body.balance;
          expect(balance).toBe(String(expected.reduce((sum, e) => sum + e.received - e.givenBack, 0)));
        },
      ),
      { numRuns: 30, seed: seed(20261202), verbose: 1 },
    );
    expect((await verifyLedger(h.kassa.db)).ok).toBe(true);
  });
});
