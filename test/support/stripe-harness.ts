// A Kassa for one test file whose Stripe is a fresh fake (./fake-stripe.ts), both started
// before the file's tests and closed after them.
import { afterAll, beforeAll } from 'vitest';
import { FakeStripe } from './fake-stripe.js';
import { type Harness, startHarness } from './harness.js';

export interface StripeHarness {
  readonly h: Harness;
  readonly stripe: FakeStripe;
}

export function withFakeStripe(clockStart = '2026-11-02T13:00:00Z'): StripeHarness {
  const started: { h?: Harness; stripe?: FakeStripe } = {};
  beforeAll(async () => {
    started.stripe = await FakeStripe.start();
    started.h = await startHarness({ clockStart, payments: started.stripe.settings() });
  });
  afterAll(async () => {
    await started.h?.close();
    await started.stripe?.close();
  });
  return {
    get h() {
      return started.h!;
    },
    get stripe() {
      return started.stripe!;
    },
  };
}
