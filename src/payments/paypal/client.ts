// PayPal's official server SDK (Orders v2, Payments v2), one client per configuration, and
// the webhook verification call, which the SDK does not wrap: POST
// /v1/notifications/verify-webhook-signature with the delivery's headers, its body and the
// webhook id, under the SDK's own OAuth token. PAYPAL_API_BASE points both at another host
// (a mock, the tests' fake); unset, they talk to PayPal's sandbox or live API.
import type { ApiError, OrdersController, PaymentsController } from '@paypal/paypal-server-sdk';
import type { PayPalSettings } from '../../config.js';
import type { Kassa } from '../../context.js';
import { type Failure, type Result, fail, ok } from '../../shared/result.js';
import { paymentSettings } from '../settings.js';

export interface PayPalAccess {
  settings: PayPalSettings;
  orders: OrdersController;
  payments: PaymentsController;
  /** Whether PayPal vouches for a webhook delivery (its headers and raw body). */
  verifyWebhook(headers: Record<string, string | string[] | undefined>, body: string): Promise<boolean>;
}

const clients = new WeakMap<PayPalSettings, PayPalAccess>();
const API_BASE = { sandbox: 'https://api-m.sandbox.paypal.com', live: 'https://api-m.paypal.com' } as const;

/** PayPal as configured (its SDK loaded on first use), or why PayPal is unavailable. */
export async function paypalFor(kassa: Kassa): Promise<Result<PayPalAccess>> {
  const settings = paymentSettings(kassa).paypal;
  if (!settings) {
    return fail('payment_method_unavailable', 'PayPal is not set up on this Kassa: the operator sets PAYPAL_CLIENT_ID, PAYPAL_CLIENT_SECRET and PAYPAL_WEBHOOK_ID', { field: '/method' });
  }
  let access = clients.get(settings);
  if (!access) {
    access = clients.get(settings) ?? (await connect(settings));
    clients.set(settings, access);
  }
  return ok(access);
}

async function connect(settings: PayPalSettings): Promise<PayPalAccess> {
  const { Client, Environment, OrdersController, PaymentsController } = await import('@paypal/paypal-server-sdk');
  const official = API_BASE[settings.environment];
  const base = settings.apiBase?.replace(/\/+$/, '') ?? official;
  const client = new Client({
    clientCredentialsAuthCredentials: { oAuthClientId: settings.clientId, oAuthClientSecret: settings.clientSecret },
    environment: settings.environment === 'live' ? Environment.Production : Environment.Sandbox,
    timeout: 20_000,
    // The SDK knows only PayPal's two hosts: another one is reached by rewriting the address.
    ...(settings.apiBase ? { unstable_httpClientOptions: { adapter: rebasedAdapter(official, base) } } : {}),
  });
  return {
    settings,
    orders: new OrdersController(client),
    payments: new PaymentsController(client),
    async verifyWebhook(headers, body) {
      const header = (name: string) => {
        const value = headers[name];
        return Array.isArray(value) ? value[0] : value;
      };
      const fields = { auth_algo: 'paypal-auth-algo', cert_url: 'paypal-cert-url', transmission_id: 'paypal-transmission-id', transmission_sig: 'paypal-transmission-sig', transmission_time: 'paypal-transmission-time' };
      const values = Object.fromEntries(Object.entries(fields).map(([field, name]) => [field, header(name)]));
      if (Object.values(values).some((v) => !v)) return false;
      let event: unknown;
      try {
        event = JSON.parse(body);
      } catch {
        return false;
      }
      const token = await client.clientCredentialsAuthManager.fetchToken();
      const response = await fetch(`${base}/v1/notifications/verify-webhook-signature`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token.accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ ...values, webhook_id: settings.webhookId, webhook_event: event }),
        signal: AbortSignal.timeout(20_000),
      });
      if (!response.ok) throw new Error(`PayPal's webhook verification answered ${response.status}`);
      return ((await response.json()) as { verification_status?: string }).verification_status === 'SUCCESS';
    },
  };
}

interface AdapterConfig {
  url?: string;
  method?: string;
  headers?: { toJSON?: () => Record<string, string> } & Record<string, unknown>;
  data?: unknown;
}

/** An axios adapter (the SDK's HTTP client) that sends PayPal's requests to `base` instead. */
function rebasedAdapter(official: string, base: string) {
  return async (config: AdapterConfig) => {
    const url = (config.url ?? '').replace(official, base);
    const headers = (config.headers?.toJSON?.() ?? config.headers ?? {}) as Record<string, string>;
    const response = await fetch(url, { method: (config.method ?? 'get').toUpperCase(), headers, body: config.data === undefined || config.data === null ? undefined : String(config.data) });
    return { data: await response.text(), status: response.status, statusText: response.statusText, headers: Object.fromEntries(response.headers), config, request: {} };
  };
}

interface PayPalErrorBody {
  name?: string;
  message?: string;
  details?: { issue?: string; description?: string }[];
}

/** The SDK's ApiError (status, body, request), without loading the SDK. */
function isApiError(error: unknown): error is ApiError {
  return error instanceof Error && typeof (error as { statusCode?: unknown }).statusCode === 'number' && 'request' in error && 'body' in error;
}

function errorBody(error: ApiError): PayPalErrorBody {
  if (error.result) return error.result as PayPalErrorBody;
  try {
    return typeof error.body === 'string' ? (JSON.parse(error.body) as PayPalErrorBody) : {};
  } catch {
    return {};
  }
}

/** A PayPal refusal as the problem the caller answers; anything else (a bug) is rethrown. */
export function paypalProblem(error: unknown, doing: string): Failure {
  if (!isApiError(error)) throw error;
  const body = errorBody(error);
  const issue = body.details?.[0];
  return { code: 'payment_provider_error', detail: `PayPal refused to ${doing}: ${issue?.issue ?? body.name ?? error.statusCode}${issue?.description ? ` (${issue.description})` : body.message ? ` (${body.message})` : ''}` };
}

/** The issue PayPal names in a refusal (ORDER_ALREADY_CAPTURED...), if it is one. */
export function paypalIssue(error: unknown): string | undefined {
  if (!isApiError(error)) return undefined;
  return errorBody(error).details?.[0]?.issue;
}
