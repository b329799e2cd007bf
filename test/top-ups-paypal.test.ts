// PayPal top-ups (SPEC 8, issue 7): an order per top-up (intent CAPTURE), captured on the
// buyer's return or on PayPal's CHECKOUT.ORDER.APPROVED webhook, whichever comes first, and
// credited once by the capture's id; deliveries PayPal does not vouch for change nothing;
// refunds and reversals debit once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../src/ledger/verify.js';
import { FakePayPal } from './support/fake-paypal.js';
import { type Harness, startHarness } from './support/harness.js';
import { scenario } from './support/scenario.js';

let h: Harness;
let paypal: FakePayPal;
const s = scenario(() => h);
beforeAll(async () => {
  paypal = await FakePayPal.start();
  h = await startHarness({ clockStart: '2026-11-02T13:00:00Z', payments: { stripe: undefined, paypal: paypal.settings() } });
});
afterAll(async () => {
  await h.close();
  await paypal.close();
});

let keys = 0;
const key = () => ({ 'idempotency-key': `paypal-${++keys}` });
const balance = async (accountId: number) => (await h.call('GET', `/v1/accounts/${accountId}/balance`)).body;
const deliver = async (delivery: { payload: string; headers: Record<string, string> }) => {
  const response = await h.app.inject({ method: 'POST', url: '/v1/webhooks/paypal', payload: delivery.payload, headers: delivery.headers });
  return { status: response.statusCode, body: response.json() };
};
async function startPayPal(accountId: number, amount: string) {
  const started = await h.call('POST', `/v1/accounts/${accountId}/top-ups`, { method: 'paypal', amount }, key());
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  return { id: started.body.id as number, order: started.body.paypal.order_id as string, body: started.body };
}

describe('a PayPal top-up', () => {
  let acme: number;
  let topUp: Awaited<ReturnType<typeof startPayPal>>;

  beforeAll(async () => {
    acme = (await s.createAccount()).id;
  });

  it('creates an order to capture the amount and answers where the buyer approves it; the balance waits', async () => {
    topUp = await startPayPal(acme, '2550');
    expect(topUp.body).toMatchObject({ method: 'paypal', status: 'pending', amount: '2550', card: null, paypal: { approve_url: `https://www.sandbox.paypal.test/checkoutnow?token=${topUp.order}` } });
    const order = paypal.order(topUp.order);
    expect(order).toMatchObject({ intent: 'CAPTURE', purchase_units: [{ custom_id: String(topUp.id), amount: { currency_code: 'EUR', value: '25.50' } }] });
    expect((order.payment_source as { paypal: { experience_context: { return_url: string } } }).paypal.experience_context.return_url).toBe(`http://localhost:3000/top-ups/${topUp.id}/paypal-return`);
    expect(paypal.callsTo('POST', /^\/v2\/checkout\/orders$/).at(-1)!.requestId).toBe(`kassa-top-up-${topUp.id}-order`);
    expect(await balance(acme)).toMatchObject({ balance: '0', pending_top_ups: '2550' });
  });

  it('refuses to capture before the buyer approved', async () => {
    expect((await h.call('POST', `/v1/top-ups/${topUp.id}/capture`)).body).toMatchObject({ code: 'invalid_state' });
  });

  it("captures on the buyer's return and credits once; the webhooks that follow change nothing", async () => {
    const approved = paypal.approve(topUp.order);
    const page = await h.app.inject({ method: 'GET', url: `/top-ups/${topUp.id}/paypal-return?token=${topUp.order}&PayerID=BUYER1` });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Your payment arrived');
    expect(await balance(acme)).toMatchObject({ balance: '2550', pending_top_ups: '0' });
    expect((await deliver(approved)).body).toMatchObject({ duplicate: false, outcome: 'already credited' });
    expect((await deliver(paypal.captureCompleted(topUp.order))).body.outcome).toBe('already credited');
    expect((await deliver(approved)).body).toMatchObject({ duplicate: true });
    expect(paypal.callsTo('POST', /\/capture$/)).toHaveLength(2); // the refused one, then the return's; the webhook found it captured
    expect(await balance(acme)).toMatchObject({ balance: '2550' });
    const credit = (await s.ledgerOf(acme)).find((t) => t.kind === 'top_up')!;
    expect(credit.postings).toEqual(expect.arrayContaining([expect.objectContaining({ ledger_account: 'clearing_paypal', amount: '-2550' })]));
  });

  it('captures from the approval webhook when the buyer never comes back', async () => {
    const other = await startPayPal(acme, '1000');
    expect((await deliver(paypal.approve(other.order))).body.outcome).toBe('credited 1000');
    expect(await balance(acme)).toMatchObject({ balance: '3550' }); // 2550 + 1000
  });

  it('refuses a delivery PayPal does not vouch for, and writes nothing', async () => {
    const other = await startPayPal(acme, '700');
    const approved = paypal.approve(other.order);
    const forged = await deliver(paypal.forged(approved));
    expect(forged).toMatchObject({ status: 400, body: { code: 'invalid_signature' } });
    const unsigned = await h.app.inject({ method: 'POST', url: '/v1/webhooks/paypal', payload: approved.payload, headers: { 'content-type': 'application/json' } });
    expect(unsigned.statusCode).toBe(400);
    expect(await balance(acme)).toMatchObject({ balance: '3550', pending_top_ups: '700' });
    expect((await deliver(approved)).body.outcome).toBe('credited 700');
  });

  it('debits a refund made on PayPal once, and a reversal', async () => {
    const refunded = paypal.refund(topUp.order, '5.50');
    expect((await deliver(refunded)).body.outcome).toBe('refunded 550');
    expect((await deliver({ ...refunded, ...paypal.forged(refunded), headers: refunded.headers })).body).toMatchObject({ duplicate: true });
    expect((await deliver(paypal.refund(topUp.order, '20.00', 'REVERSED'))).body.outcome).toBe('disputed 2000');
    expect(await balance(acme)).toMatchObject({ balance: '1700' }); // 4250 - 550 - 2000
    expect((await verifyLedger(h.kassa.db)).ok).toBe(true);
  });

  it("refunds through PayPal for an operator, and PayPal's webhook for that refund changes nothing", async () => {
    const other = await startPayPal(acme, '1200');
    await deliver(paypal.approve(other.order));
    const refunded = await h.call('POST', `/v1/top-ups/${other.id}/refund`, { amount: '200', reason: 'goodwill' }, key());
    expect(refunded.body).toMatchObject({ refunded: '200' });
    const [call] = paypal.callsTo('POST', /\/v2\/payments\/captures\/.*\/refund$/);
    expect(call!.body).toMatchObject({ amount: { currency_code: 'EUR', value: '2.00' }, note_to_payer: 'goodwill' });
    expect(await balance(acme)).toMatchObject({ balance: '2700' }); // 1700 + 1200 - 200
  });
});

describe('without PayPal configured', () => {
  it('answers payment_method_unavailable', async () => {
    const bare = await startHarness({ payments: { stripe: undefined } });
    try {
      const account = (await bare.call('POST', '/v1/accounts', { name: 'Bare', currency: 'EUR' })).body.id;
      const refused = await bare.call('POST', `/v1/accounts/${account}/top-ups`, { method: 'paypal', amount: '100' }, key());
      expect(refused).toMatchObject({ status: 422, body: { code: 'payment_method_unavailable', field: '/method' } });
      expect((await bare.app.inject({ method: 'POST', url: '/v1/webhooks/paypal', payload: '{}', headers: { 'content-type': 'application/json' } })).statusCode).toBe(422);
    } finally {
      await bare.close();
    }
  });
});
