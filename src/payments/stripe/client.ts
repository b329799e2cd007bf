// The official Stripe client, one per configuration, loaded on first use (a Kassa that takes
// no cards never loads it). STRIPE_API_BASE points it at another host speaking Stripe's API
// (stripe-mock, the tests' fake); unset, it talks to api.stripe.com.
import type Stripe from 'stripe';
import type { StripeSettings } from '../../config.js';
import type { Kassa } from '../../context.js';
import type { Minor } from '../../money/money.js';
import { type Failure, type Result, fail, ok } from '../../shared/result.js';
import { paymentSettings } from '../settings.js';

const clients = new WeakMap<StripeSettings, Stripe>();

export interface StripeAccess {
  stripe: Stripe;
  settings: StripeSettings;
}

/** Stripe as configured, or why card payments are unavailable (a problem the caller answers). */
export async function stripeFor(kassa: Kassa): Promise<Result<StripeAccess>> {
  const settings = paymentSettings(kassa).stripe;
  if (!settings) {
    return fail('payment_method_unavailable', 'card payments are not set up on this Kassa: the operator sets STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET', { field: '/method' });
  }
  let stripe = clients.get(settings);
  if (!stripe) {
    const base = settings.apiBase ? new URL(settings.apiBase) : undefined;
    const { default: StripeClient } = await import('stripe');
    stripe = clients.get(settings) ?? new StripeClient(settings.secretKey, {
      maxNetworkRetries: 2,
      timeout: 20_000,
      appInfo: { name: 'Kassa', url: 'https://kassa.dev' },
      ...(base ? { host: base.hostname, port: Number(base.port || (base.protocol === 'https:' ? 443 : 80)), protocol: base.protocol.replace(':', '') as 'http' | 'https' } : {}),
    });
    clients.set(settings, stripe);
  }
  return ok({ stripe, settings });
}

/** Stripe takes amounts as integers of the currency's smallest unit, at most eight digits. */
export const STRIPE_MAX_AMOUNT = 99_999_999n;

/** An amount as Stripe's API takes it, a JavaScript number: exact, since it is at most eight digits (checked). */
export function stripeAmount(amount: Minor): number {
  if (amount <= 0n || amount > STRIPE_MAX_AMOUNT) throw new RangeError(`${amount} is not an amount Stripe takes (1 to ${STRIPE_MAX_AMOUNT} minor units)`);
  return Number(amount);
}

/** A Stripe refusal as the problem the caller answers; anything else (a bug) is rethrown. */
export function stripeProblem(error: unknown, doing: string): Failure {
  if (!isStripeError(error)) throw error;
  const why = error.type === 'StripeCardError' ? error.message : `${error.type}${error.code ? ` ${error.code}` : ''}: ${error.message}`;
  return { code: 'payment_provider_error', detail: `Stripe refused to ${doing}: ${why}` };
}

/** Stripe's errors (StripeCardError, StripeInvalidRequestError...), without loading the library. */
function isStripeError(error: unknown): error is Stripe.errors.StripeError {
  const type = error instanceof Error ? (error as { type?: unknown }).type : undefined;
  return typeof type === 'string' && type.startsWith('Stripe') && 'raw' in (error as object);
}

export function stripeFailure(error: unknown, doing: string): Result<never> {
  return { ok: false, failure: stripeProblem(error, doing) };
}
