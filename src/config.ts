// Configuration from the environment, read once at start and checked against one schema
// (ENV_SCHEMA): a bad value stops the start in one line naming the variable, the value and
// what is expected (ConfigError; `npm start` and the CLI exit 2 on it).
import { Type } from 'typebox';
import Value from 'typebox/value';
import { Exact, parseDecimal } from './money/money.js';

const setting_ = (pattern: string, expected: string) => Type.Optional(Type.String({ pattern, description: expected }));
const WHOLE = '^[0-9]+$';
const DECIMAL = '^[0-9]+(\\.[0-9]+)?$';
const BOOLEAN = '^(true|false)$';

/** Every variable Kassa reads, with what it must look like; the README's table mirrors it. */
export const ENV_SCHEMA = Type.Object({
  PORT: setting_(WHOLE, 'a port number, 0 to 65535'),
  HOST: setting_('^\\S+$', 'a host name or address to listen on'),
  DATABASE_URL: setting_('^postgres(ql)?://\\S+$', 'a postgres:// URL'),
  KASSA_DATA_DIR: setting_('^.+$', 'a folder for the embedded database'),
  KASSA_CLOCK: setting_('^(real|simulated)$', 'real or simulated'),
  KASSA_CLOCK_START: setting_('^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}:\\d{2})?)?$', 'an ISO 8601 time such as 2026-11-02T00:00:00Z'),
  KASSA_DEMO_DATA: setting_(BOOLEAN, 'true or false'),
  LOG_LEVEL: setting_('^(fatal|error|warn|info|debug|trace|silent)$', 'fatal, error, warn, info, debug, trace or silent'),
  KASSA_CREDIT_SHARE: setting_(DECIMAL, 'a non-negative decimal such as 0.10'),
  KASSA_CREDIT_CAP: setting_(DECIMAL, 'a non-negative decimal (major units)'),
  KASSA_AUTO_RESUME: setting_(BOOLEAN, 'true or false'),
  KASSA_BILLING_BATCH: setting_('^[1-9][0-9]*$', 'a whole number of accounts, 1 or more'),
  KASSA_BILLING_CONCURRENCY: setting_('^[1-9][0-9]*$', 'a whole number of batches, 1 or more'),
  KASSA_PUBLIC_URL: setting_('^https?://\\S+$', 'an http:// or https:// URL'),
  KASSA_WEBHOOK_ALLOW_HTTP: setting_(BOOLEAN, 'true or false'),
  KASSA_WEBHOOK_ALLOW_PRIVATE: setting_(BOOLEAN, 'true or false'),
  KASSA_COOKIE_SECURE: setting_(BOOLEAN, 'true or false'),
  KASSA_PASSWORD_MAX_AGE_DAYS: setting_(WHOLE, 'a whole number of days (0: never)'),
  KASSA_PASSWORD_SCRYPT: setting_('^ln=(1[0-9]|20),r=([1-9]|[12][0-9]|3[0-2]),p=([1-9]|1[0-6])$', 'scrypt parameters ln=10..20,r=1..32,p=1..16 such as ln=15,r=8,p=3'),
  KASSA_TRUST_PROXY: setting_('^(true|false|[1-9]|[0-9a-fA-F.:]+(/[0-9]{1,3})?(,[0-9a-fA-F.:]+(/[0-9]{1,3})?)*)$', "false, true, the number of proxies in front, or the proxies' addresses such as 10.0.0.0/8,192.168.1.10"),
  KASSA_ROLES: setting_('^(api|worker)(,(api|worker))?$', 'api, worker or api,worker: what this process does'),
  KASSA_SECRET_KEY: setting_('^[A-Za-z0-9+/]{43}=$', '32 bytes in base64 (44 characters), such as the output of `openssl rand -base64 32`'),
  KASSA_SECRET_KEY_PREVIOUS: setting_('^[A-Za-z0-9+/]{43}=(,[A-Za-z0-9+/]{43}=)*$', 'the keys KASSA_SECRET_KEY replaced, comma-separated, each 32 bytes in base64'),
  NODE_ENV: setting_('^\\S+$', 'production, or another word'),
  KASSA_METRICS_TOKEN: setting_('^\\S{16,}$', 'a token of 16 or more characters, without spaces, that GET /metrics requires'),
  SMTP_URL: setting_('^smtps?://\\S+$', 'an smtp:// or smtps:// URL'),
  KASSA_MAIL_FROM: setting_('^.+$', 'a From address such as Kassa <billing@example.com>'),
  KASSA_URL: setting_('^https?://\\S+$', "a running server's http:// or https:// URL (CLI)"),
  KASSA_API_KEY: setting_('^kassa_sk_\\S+$', 'a provider key, kassa_sk_... (CLI)'),
  STRIPE_SECRET_KEY: setting_('^(sk|rk)_(test|live)_\\S+$', 'a Stripe secret or restricted key, sk_test_... or sk_live_...'),
  STRIPE_WEBHOOK_SECRET: setting_('^whsec_\\S+$', "a Stripe webhook endpoint's signing secret, whsec_..."),
  STRIPE_API_BASE: setting_('^https?://[^/\\s]+/?$', 'an http:// or https:// host (and port) speaking the Stripe API, such as stripe-mock'),
  PAYPAL_CLIENT_ID: setting_('^\\S+$', "a PayPal REST app's client id"),
  PAYPAL_CLIENT_SECRET: setting_('^\\S+$', "a PayPal REST app's secret"),
  PAYPAL_WEBHOOK_ID: setting_('^\\S+$', "the id PayPal gave the app's webhook"),
  PAYPAL_ENVIRONMENT: setting_('^(sandbox|live)$', 'sandbox or live'),
  PAYPAL_API_BASE: setting_('^https?://[^/\\s]+/?$', 'an http:// or https:// host (and port) speaking the PayPal REST API, such as a mock'),
});

/** A setting that is not what it must be: `KASSA_CLOCK=sometimes: expected real or simulated`. */
export class ConfigError extends Error {
  constructor(readonly variable: string, readonly value: string, readonly expected: string) {
    super(`${variable}=${value}: expected ${expected}`);
    this.name = 'ConfigError';
  }
}

/** Checks every set variable against ENV_SCHEMA; throws the first that does not fit. */
export function checkEnv(env: NodeJS.ProcessEnv): void {
  const set: Record<string, string> = {};
  for (const name of Object.keys(ENV_SCHEMA.properties)) {
    const value = env[name]?.trim();
    if (value) set[name] = value;
  }
  for (const error of Value.Errors(ENV_SCHEMA, set)) {
    const name = error.instancePath.replace(/^\//, '');
    const schema = (ENV_SCHEMA.properties as Record<string, { description?: string }>)[name];
    throw new ConfigError(name, set[name] ?? '', schema?.description ?? 'a valid value');
  }
}

export interface Config {
  port: number;
  host: string;
  databaseUrl: string | undefined;
  dataDir: string;
  clock: 'real' | 'simulated';
  /** Where a fresh simulated clock starts. */
  clockStart: Date;
  demoData: boolean;
  logLevel: string;
  billing: BillingSettings;
  identity: IdentitySettings;
  mail: MailSettings;
  payments: PaymentSettings;
  /** The keys sealing secrets at rest (KASSA_SECRET_KEY, KASSA_SECRET_KEY_PREVIOUS). */
  secretKeys: SecretKeys;
  /** What this process does (KASSA_ROLES): serve the API, run the workers, or both. */
  roles: Roles;
  /** The bearer token GET /metrics requires (KASSA_METRICS_TOKEN); unset: no metrics. */
  metricsToken: string | undefined;
  /** Whose X-Forwarded-For to believe (KASSA_TRUST_PROXY): nobody's, everyone's, so many hops', or these addresses'. */
  trustProxy: TrustProxy;
}

/**
 * A process's roles. `api` serves /v1, the link pages and the docs; `worker` runs what happens
 * on time or in the background: the billing runs and scheduled jobs (real clock), mail and
 * webhook delivery. Any number of each share one PostgreSQL (SPEC 14).
 */
export interface Roles {
  api: boolean;
  worker: boolean;
}

export function rolesFromEnv(env: NodeJS.ProcessEnv = process.env): Roles {
  checkEnv(env);
  const named = (setting(env, 'KASSA_ROLES') ?? 'api,worker').split(',');
  return { api: named.includes('api'), worker: named.includes('worker') };
}

/**
 * The keys that seal secrets at rest (src/shared/secret-box.ts): the current one seals, the
 * previous ones still open what they sealed until `kassa secrets rotate` re-seals it.
 * Without a current key, openKassa generates one into an embedded data folder, and refuses
 * PostgreSQL and NODE_ENV=production (src/kassa.ts).
 */
export interface SecretKeys {
  current: string | undefined;
  previous: string[];
  /** NODE_ENV=production: a key is required whatever the database. */
  production: boolean;
}

export function secretKeysFromEnv(env: NodeJS.ProcessEnv = process.env): SecretKeys {
  checkEnv(env);
  const previous = setting(env, 'KASSA_SECRET_KEY_PREVIOUS');
  return { current: setting(env, 'KASSA_SECRET_KEY'), previous: previous ? previous.split(',') : [], production: setting(env, 'NODE_ENV') === 'production' };
}

/** Fastify's trustProxy: the client address is X-Forwarded-For's as the trusted proxies give it. */
export type TrustProxy = boolean | number | string[];

export function trustProxyFromEnv(env: NodeJS.ProcessEnv = process.env): TrustProxy {
  checkEnv(env);
  const raw = setting(env, 'KASSA_TRUST_PROXY');
  if (raw === undefined || raw === 'false') return false;
  if (raw === 'true') return true;
  return /^[1-9]$/.test(raw) ? Number(raw) : raw.split(',');
}

export interface MailSettings {
  /** smtp://user:pass@host:587 or smtps://...; absent: mails stay queued (`kassa mail list`). */
  smtpUrl: string | undefined;
  /** The From header of every mail (KASSA_MAIL_FROM). */
  from: string;
}

export const defaultMailFrom = 'Kassa <no-reply@localhost>';

/** Sign-up, login sessions and passwords (src/identity). */
export interface IdentitySettings {
  /** Where mailed links point (KASSA_PUBLIC_URL), without a trailing slash. */
  publicUrl: string;
  /** Session cookies only over HTTPS (KASSA_COOKIE_SECURE; default: when the public URL is https). */
  cookieSecure: boolean;
  /** Passwords expire this many days after they were set (KASSA_PASSWORD_MAX_AGE_DAYS); 0: never. */
  passwordMaxAgeDays: number;
}

/** Card payments through Stripe, PayPal through PayPal (src/payments); absent: unavailable. */
export interface PaymentSettings {
  stripe: StripeSettings | undefined;
  paypal?: PayPalSettings | undefined;
}

export interface PayPalSettings {
  clientId: string;
  clientSecret: string;
  /** The webhook's id at PayPal: deliveries are verified against it. */
  webhookId: string;
  environment: 'sandbox' | 'live';
  /** Another host speaking PayPal's REST API (a mock, the tests' fake); unset: PayPal's own. */
  apiBase: string | undefined;
}

export interface StripeSettings {
  secretKey: string;
  webhookSecret: string;
  /** Another host speaking the Stripe API (stripe-mock, the tests' fake); unset: api.stripe.com. */
  apiBase: string | undefined;
}

/** Stripe needs both its key and its webhook secret, PayPal its id, secret and webhook id: a payment whose confirmation cannot be verified is never credited. */
export function paymentSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): PaymentSettings {
  checkEnv(env);
  const secretKey = setting(env, 'STRIPE_SECRET_KEY');
  const webhookSecret = setting(env, 'STRIPE_WEBHOOK_SECRET');
  if (secretKey && !webhookSecret) throw new ConfigError('STRIPE_WEBHOOK_SECRET', '', 'the signing secret of the Stripe webhook endpoint (whsec_...) whenever STRIPE_SECRET_KEY is set');
  if (webhookSecret && !secretKey) throw new ConfigError('STRIPE_SECRET_KEY', '', 'a Stripe secret key (sk_...) whenever STRIPE_WEBHOOK_SECRET is set');
  const stripe = secretKey && webhookSecret ? { secretKey, webhookSecret, apiBase: setting(env, 'STRIPE_API_BASE') } : undefined;
  const paypal = { clientId: setting(env, 'PAYPAL_CLIENT_ID'), clientSecret: setting(env, 'PAYPAL_CLIENT_SECRET'), webhookId: setting(env, 'PAYPAL_WEBHOOK_ID') };
  const missing = (['PAYPAL_CLIENT_ID', 'PAYPAL_CLIENT_SECRET', 'PAYPAL_WEBHOOK_ID'] as const).filter((name) => !setting(env, name));
  if (missing.length > 0 && missing.length < 3) throw new ConfigError(missing[0]!, '', 'a value whenever another PAYPAL_ setting is: PayPal needs its client id, secret and webhook id');
  return {
    stripe,
    paypal: missing.length === 0
      ? { clientId: paypal.clientId!, clientSecret: paypal.clientSecret!, webhookId: paypal.webhookId!, environment: setting(env, 'PAYPAL_ENVIRONMENT') === 'live' ? 'live' : 'sandbox', apiBase: setting(env, 'PAYPAL_API_BASE') }
      : undefined,
  };
}

/** Where webhooks may be sent (src/webhooks/url-guard.ts). */
export interface WebhookSettings {
  /** http:// endpoints too (KASSA_WEBHOOK_ALLOW_HTTP): for tests and local development; else https only. */
  allowHttp: boolean;
  /** Private, loopback and link-local addresses too (KASSA_WEBHOOK_ALLOW_PRIVATE); else refused at registration and at connect time. */
  allowPrivate: boolean;
}

export function webhookSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): WebhookSettings {
  checkEnv(env);
  return { allowHttp: setting(env, 'KASSA_WEBHOOK_ALLOW_HTTP') === 'true', allowPrivate: setting(env, 'KASSA_WEBHOOK_ALLOW_PRIVATE') === 'true' };
}

/** How new password hashes are made: scrypt with N = 2^ln, block size r, parallelism p. */
export interface PasswordHashing {
  ln: number;
  r: number;
  p: number;
}

/**
 * N = 2^15, r = 8, p = 3: one of OWASP's equivalent scrypt settings (32 MiB of memory per hash,
 * ~250 ms of CPU), chosen over N = 2^17 so concurrent logins do not need 128 MiB each.
 */
export const DEFAULT_PASSWORD_HASHING: PasswordHashing = { ln: 15, r: 8, p: 3 };

/**
 * KASSA_PASSWORD_SCRYPT, as a stored hash writes its parameters ("ln=15,r=8,p=3"). Raise it on
 * a strong server; hashes made with less are re-made at their next login. Lower than the
 * default only where the passwords protect nothing (the test suite: ln=10,r=8,p=1).
 */
export function passwordHashingFromEnv(env: NodeJS.ProcessEnv = process.env): PasswordHashing {
  checkEnv(env);
  const raw = setting(env, 'KASSA_PASSWORD_SCRYPT');
  if (raw === undefined) return DEFAULT_PASSWORD_HASHING;
  const [ln, r, p] = raw.split(',').map((part) => Number(part.split('=')[1]));
  return { ln: ln!, r: r!, p: p! };
}

export const DEFAULT_PUBLIC_URL = 'http://localhost:3000';
export const DEFAULT_PASSWORD_MAX_AGE_DAYS = 180;

/** A setting's value; an empty one (`KASSA_CLOCK_START=` in .env) is as good as unset. */
function setting(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === '' ? undefined : value;
}

export function identitySettingsFromEnv(env: NodeJS.ProcessEnv = process.env): IdentitySettings {
  const publicUrl = (setting(env, 'KASSA_PUBLIC_URL') ?? DEFAULT_PUBLIC_URL).replace(/\/+$/, '');
  const maxAge = Number(setting(env, 'KASSA_PASSWORD_MAX_AGE_DAYS') ?? DEFAULT_PASSWORD_MAX_AGE_DAYS);
  if (!Number.isInteger(maxAge) || maxAge < 0) throw new ConfigError('KASSA_PASSWORD_MAX_AGE_DAYS', String(env.KASSA_PASSWORD_MAX_AGE_DAYS), 'a whole number of days (0: never)');
  const secure = setting(env, 'KASSA_COOKIE_SECURE');
  const cookieSecure = secure === undefined ? !publicUrl.startsWith('http://') : secure !== 'false';
  return { publicUrl, cookieSecure, passwordMaxAgeDays: maxAge };
}

export interface BillingSettings {
  /** Share of the trailing 12 months' purchases granted as system credit (0.10 = 10%). */
  creditShare: Exact;
  /** Cap on the credit limit, in major units of the account's currency. */
  creditCap: Exact;
  /** Resume suspended subscriptions when a credit covers them. */
  autoResume: boolean;
  /** Accounts per billing-run transaction. */
  batchAccounts: number;
  /** Batches one process bills side by side on PostgreSQL, each on its own connection (PGlite: one). */
  concurrentBatches: number;
}

export const defaultBillingSettings: BillingSettings = {
  creditShare: new Exact('0.10'),
  creditCap: new Exact('1000'),
  autoResume: true,
  batchAccounts: 10_000,
  concurrentBatches: 2,
};

function decimalEnv(env: NodeJS.ProcessEnv, name: string, fallback: Exact): Exact {
  const raw = setting(env, name);
  if (raw === undefined) return fallback;
  const value = parseDecimal(raw);
  if (!value || value.isNegative()) throw new ConfigError(name, raw, 'a non-negative decimal');
  return value;
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): Config {
  checkEnv(env);
  const clockStart = setting(env, 'KASSA_CLOCK_START');
  const clock = setting(env, 'KASSA_CLOCK') ?? 'real';
  if (clock !== 'real' && clock !== 'simulated') throw new ConfigError('KASSA_CLOCK', clock, 'real or simulated');
  const config: Config = {
    port: Number(setting(env, 'PORT') ?? 3000),
    host: setting(env, 'HOST') ?? '0.0.0.0',
    databaseUrl: setting(env, 'DATABASE_URL'),
    dataDir: setting(env, 'KASSA_DATA_DIR') ?? './data',
    clock,
    clockStart: clockStart === undefined ? new Date() : new Date(clockStart),
    demoData: setting(env, 'KASSA_DEMO_DATA') !== 'false',
    logLevel: setting(env, 'LOG_LEVEL') ?? 'info',
    billing: {
      creditShare: decimalEnv(env, 'KASSA_CREDIT_SHARE', defaultBillingSettings.creditShare),
      creditCap: decimalEnv(env, 'KASSA_CREDIT_CAP', defaultBillingSettings.creditCap),
      autoResume: setting(env, 'KASSA_AUTO_RESUME') !== 'false',
      batchAccounts: Number(setting(env, 'KASSA_BILLING_BATCH') ?? defaultBillingSettings.batchAccounts),
      concurrentBatches: Number(setting(env, 'KASSA_BILLING_CONCURRENCY') ?? defaultBillingSettings.concurrentBatches),
    },
    identity: identitySettingsFromEnv(env),
    mail: { smtpUrl: setting(env, 'SMTP_URL'), from: setting(env, 'KASSA_MAIL_FROM') ?? defaultMailFrom },
    payments: paymentSettingsFromEnv(env),
    roles: rolesFromEnv(env),
    secretKeys: secretKeysFromEnv(env),
    metricsToken: setting(env, 'KASSA_METRICS_TOKEN'),
    trustProxy: trustProxyFromEnv(env),
  };
  if (Number.isNaN(config.clockStart.getTime())) throw new ConfigError('KASSA_CLOCK_START', String(clockStart), 'an ISO 8601 time such as 2026-11-02T00:00:00Z');
  if (!Number.isInteger(config.port) || config.port < 0 || config.port > 65_535) throw new ConfigError('PORT', String(env.PORT), 'a port number, 0 to 65535');
  if (!Number.isInteger(config.billing.batchAccounts) || config.billing.batchAccounts < 1) throw new ConfigError('KASSA_BILLING_BATCH', String(env.KASSA_BILLING_BATCH), 'a whole number of accounts, 1 or more');
  return config;
}
