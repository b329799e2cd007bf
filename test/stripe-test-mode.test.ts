// Against Stripe's real test mode, only when STRIPE_TEST_SECRET_KEY (sk_test_...) is set: the
// fake in test/support speaks what Kassa uses of Stripe's API; this checks Stripe agrees.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './support/harness.js';

const key = process.env.STRIPE_TEST_SECRET_KEY;

describe.skipIf(!key)("Stripe's test mode", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ payments: { stripe: { secretKey: key!, webhookSecret: 'whsec_test_mode_unused', apiBase: undefined } } });
  });
  afterAll(() => h?.close());

  it('opens a real Checkout Session for a card top-up, with a customer of its own', async () => {
    const account = (await h.call('POST', '/v1/accounts', { name: 'Kassa test-mode check', currency: 'EUR' })).body.id;
    const started = await h.call('POST', `/v1/accounts/${account}/top-ups`, { method: 'card', amount: '500', save_card: true }, { 'idempotency-key': `test-mode-${Date.now()}` });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    expect(started.body.card.checkout_url).toMatch(/^https:\/\/checkout\.stripe\.com\//);
  });
});
