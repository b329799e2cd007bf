// The official Stripe client, one per configuration. STRIPE_API_BASE points it at another host
// speaking Stripe's API (stripe-mock, the tests' fake); unset, it talks to api.stripe.com.
import Stripe from 'stripe';
import type { StripeSettings } from '../../config.js';
import type { Kassa } from '../../context.js';
import { type Failure, type Result, fail, ok } from '../../shared/result.js';
import { paymentSettings } from '../settings.js';

const clients = new WeakMap<StripeSettings, Stripe>();

export interface StripeAccess {
  stripe: Stripe;
  settings: StripeSettings;
}

/** Stripe as configured, or why card payments are unavailable (a problem the caller answers). */
export function stripeFor(kassa: Kassa): Result<StripeAccess> {
  const settings = paymentSettings(kassa).stripe;
  if (!settings) {
    return fail('payment_method_unavailable', 'card payments are not set up on this Kassa: the operator sets STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET', { field: '/method' });
  }
  let stripe = clients.get(settings);
  if (!stripe) {
    const base = settings.apiBase ? new URL(settings.apiBase) : undefined;
    stripe = new Stripe(settings.secretKey, {
      maxNetworkRetries: 2,
      timeout: 20_000,
      appInfo: { name: 'Kassa', url: 'https://kassa.dev' },
      ...(base ? { host: base.hostname, port: Number(base.port || (base.protocol === 'https:' ? 443 : 80)), protocol: base.protocol.replace(':', '') as 'http' | 'https' } : {}),
    });
    clients.set(settings, stripe);
  }
  return ok({ stripe, settings });
}

/** A Stripe refusal as the problem the caller answers; anything else (a bug) is rethrown. */
export function stripeProblem(error: unknown, doing: string): Failure {
  if (!(error instanceof Stripe.errors.StripeError)) throw error;
  const why = error.type === 'StripeCardError' ? error.message : `${error.type}${error.code ? ` ${error.code}` : ''}: ${error.message}`;
  return { code: 'payment_provider_error', detail: `Stripe refused to ${doing}: ${why}` };
}

export function stripeFailure(error: unknown, doing: string): Result<never> {
  return { ok: false, failure: stripeProblem(error, doing) };
}
