// Closing an account (SPEC 1 and 8, issue 7): its subscriptions end, its balance goes back to
// the cards that paid it (newest first, each up to what it paid), what is left is due for an
// operator's bank payout, and the account is read only; the ledger keeps everything.
import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { topUps } from '../src/db/schema.js';
import { verifyLedger } from '../src/ledger/verify.js';
import type { FakeStripe } from './support/fake-stripe.js';
import type { Harness } from './support/harness.js';
import { scenario } from './support/scenario.js';
import { withFakeStripe } from './support/stripe-harness.js';

const started = withFakeStripe();
let h: Harness;
let stripe: FakeStripe;
const s = scenario(() => h);
beforeAll(() => {
  ({ h, stripe } = started);
});

let keys = 0;
const key = () => ({ 'idempotency-key': `close-${++keys}` });
const balance = async (accountId: number) => (await h.call('GET', `/v1/accounts/${accountId}/balance`)).body;

async function payByCard(accountId: number, amount: string): Promise<number> {
  const asked = await h.call('POST', `/v1/accounts/${accountId}/top-ups`, { method: 'card', amount }, key());
  const [row] = await h.kassa.db.select({ session: topUps.providerRef }).from(topUps).where(eq(topUps.id, asked.body.id));
  for (const event of stripe.pay(row!.session!)) {
    const { payload, headers } = stripe.signed(event);
    await h.app.inject({ method: 'POST', url: '/v1/webhooks/stripe', payload, headers });
  }
  await h.kassa.background.settled();
  return asked.body.id;
}

describe('closing an account', () => {
  let acme: number;
  let older: number;
  let newer: number;
  let subscription: number;

  beforeAll(async () => {
    acme = (await s.createAccount()).id;
    older = await payByCard(acme, '1000');
    newer = await payByCard(acme, '3000');
    await s.topUp(acme, '2000'); // an operator's credit: no card to give it back to
    subscription = (await s.subscribe(acme, await s.createPlan('1.00'))).subscription.id; // in advance, to midnight: 100 x 11/24 = 46
    expect(await balance(acme)).toMatchObject({ balance: '5954' }); // 1000 + 3000 + 2000 - 46
    await h.call('POST', `/v1/accounts/${acme}/top-ups`, { method: 'card', amount: '700' }, key()); // left unpaid
  });

  it('ends the subscriptions, refunds the cards newest first, and leaves the rest due for payout', async () => {
    const closed = await h.call('POST', `/v1/accounts/${acme}/close`, { reason: 'moving to another provider' });
    expect(closed.status, JSON.stringify(closed.body)).toBe(200);
    expect(closed.body).toMatchObject({
      account: { id: acme, status: 'closed', balance: '0' },
      cancelled_subscription_ids: [subscription],
      refunds: [{ top_up_id: newer, amount: '3000' }, { top_up_id: older, amount: '1000' }],
      payout_due: '1954', // 5954 - 3000 - 1000
    });
    expect((await s.subscription(subscription)).status).toBe('cancelled');
    expect(stripe.callsTo('POST', '/v1/refunds').map((c) => c.body.amount)).toEqual(['3000', '1000']);
    const payout = (await s.ledgerOf(acme)).find((t) => t.kind === 'payout')!;
    expect(payout.postings).toEqual(expect.arrayContaining([expect.objectContaining({ ledger_account: 'customer', amount: '-1954' }), expect.objectContaining({ ledger_account: 'payouts_due', amount: '1954' })]));
    expect((await s.eventsOf(acme, 'account.payout_due')).map((e) => e.payload)).toEqual([expect.objectContaining({ amount: '1954' })]);
    expect((await h.call('GET', `/v1/accounts/${acme}/payments?status=cancelled`)).body.data).toHaveLength(1); // the unpaid one
    expect((await verifyLedger(h.kassa.db)).ok).toBe(true);
  });

  it('is read only after: no top-up, no second closing; the audit log keeps it', async () => {
    expect((await h.call('POST', `/v1/accounts/${acme}/top-ups`, { method: 'card', amount: '100' }, key())).body).toMatchObject({ code: 'invalid_state' });
    expect((await h.call('POST', `/v1/accounts/${acme}/close`, { reason: 'again' })).body).toMatchObject({ code: 'invalid_state' });
    const audit = (await h.call('GET', `/v1/accounts/${acme}/audit`)).body.data.map((e: { action: string }) => e.action);
    expect(audit).toContain('account.closed');
  });

  it('lists what is due for payout, and records the bank transfers that pay it out, never more than is due', async () => {
    expect((await h.call('GET', '/v1/payouts')).body.data).toContainEqual({ account_id: acme, name: expect.any(String), currency: 'EUR', due: '1954' });
    const payOut = (body: Record<string, unknown>, headers = key()) => h.call('POST', `/v1/accounts/${acme}/payouts`, body, headers);
    expect((await payOut({ amount: '2000', bank_reference: 'OUT-1' })).body).toMatchObject({ code: 'amount_out_of_range', field: '/amount' }); // 20.00 > 19.54
    expect((await payOut({ amount: '0', bank_reference: 'OUT-1' })).body).toMatchObject({ field: '/amount' });
    expect((await payOut({ amount: '100' })).body).toMatchObject({ code: 'validation_failed' }); // no bank reference
    expect((await payOut({ amount: '100', bank_reference: 'OUT-1' }, {} as ReturnType<typeof key>)).body).toMatchObject({ code: 'idempotency_key_required' });

    const first = key();
    const part = await payOut({ amount: '1000', bank_reference: 'OUT-1' }, first);
    expect(part.status, JSON.stringify(part.body)).toBe(201);
    expect(part.body).toMatchObject({ account_id: acme, paid: '1000', still_due: '954' }); // 1954 - 1000
    const retried = await payOut({ amount: '1000', bank_reference: 'OUT-1' }, first);
    expect([retried.body, retried.headers['idempotent-replayed']]).toEqual([part.body, 'true']); // recorded once
    expect((await payOut({ bank_reference: 'OUT-2' })).body).toMatchObject({ paid: '954', still_due: '0' }); // the rest
    expect((await h.call('GET', '/v1/payouts')).body.data.find((d: { account_id: number }) => d.account_id === acme)).toBeUndefined();
    expect((await payOut({ bank_reference: 'OUT-3' })).body).toMatchObject({ code: 'invalid_state' }); // nothing left

    const paid = (await s.ledgerOf(acme)).filter((t) => t.kind === 'payout' && t.description.startsWith('Paid out'));
    expect(paid.map((t) => t.postings.map((p) => [p.ledger_account, p.amount]))).toEqual([
      [['payouts_due', '-1000'], ['clearing_bank_transfer', '1000']],
      [['payouts_due', '-954'], ['clearing_bank_transfer', '954']],
    ]);
    expect(await balance(acme)).toMatchObject({ balance: '0' }); // the customer's side does not move
    expect((await s.eventsOf(acme, 'account.payout_paid')).map((e) => e.payload)).toEqual([
      expect.objectContaining({ amount: '1000', still_due: '954', bank_reference: 'OUT-1' }),
      expect.objectContaining({ amount: '954', still_due: '0', bank_reference: 'OUT-2' }),
    ]);
    expect((await h.call('GET', `/v1/accounts/${acme}/audit`)).body.data.filter((e: { action: string }) => e.action === 'payout.recorded')).toHaveLength(2);
    expect((await verifyLedger(h.kassa.db)).ok).toBe(true);
  });
});
