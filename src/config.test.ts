import { describe, expect, it } from 'vitest';
import { ConfigError, configFromEnv, passwordHashingFromEnv } from './config.js';

describe('configuration from the environment', () => {
  it('has a default for every setting', () => {
    const config = configFromEnv({});
    expect(config).toMatchObject({ port: 3000, host: '0.0.0.0', databaseUrl: undefined, dataDir: './data', clock: 'real', demoData: true, logLevel: 'info' });
    expect(config.billing).toMatchObject({ autoResume: true, batchAccounts: 10_000, concurrentBatches: 2 });
    expect(config.billing.creditShare.toString()).toBe('0.1');
    expect(config.billing.creditCap.toString()).toBe('1000');
    expect(config.identity).toEqual({ publicUrl: 'http://localhost:3000', cookieSecure: false, passwordMaxAgeDays: 180 });
    expect(config.mail).toEqual({ smtpUrl: undefined, from: 'Kassa <no-reply@localhost>' });
    expect(passwordHashingFromEnv({})).toEqual({ ln: 15, r: 8, p: 3 });
  });

  it.each([
    ['ln=17,r=8,p=1', { ln: 17, r: 8, p: 1 }],
    ['ln=10,r=32,p=16', { ln: 10, r: 32, p: 16 }],
    ['', { ln: 15, r: 8, p: 3 }],
  ])('reads KASSA_PASSWORD_SCRYPT=%s', (value, params) => {
    expect(passwordHashingFromEnv({ KASSA_PASSWORD_SCRYPT: value })).toEqual(params);
  });

  it.each(['ln=9,r=8,p=1', 'ln=21,r=8,p=1', 'ln=15,r=0,p=1', 'ln=15,r=8', 'N=32768,r=8,p=1', 'ln=15,p=1,r=8'])('refuses KASSA_PASSWORD_SCRYPT=%s in one line', (value) => {
    expect(() => passwordHashingFromEnv({ KASSA_PASSWORD_SCRYPT: value })).toThrow(new ConfigError('KASSA_PASSWORD_SCRYPT', value, 'scrypt parameters ln=10..20,r=1..32,p=1..16 such as ln=15,r=8,p=3'));
  });

  it.each([
    ['', { api: true, worker: true }],
    ['api,worker', { api: true, worker: true }],
    ['worker,api', { api: true, worker: true }],
    ['api', { api: true, worker: false }],
    ['worker', { api: false, worker: true }],
  ])('reads KASSA_ROLES=%s', (value, roles) => {
    expect(configFromEnv({ KASSA_ROLES: value }).roles).toEqual(roles);
  });

  it.each(['web', 'api,', 'api,api,worker', 'API', 'api worker'])('refuses KASSA_ROLES=%s in one line', (value) => {
    expect(() => configFromEnv({ KASSA_ROLES: value })).toThrow(new ConfigError('KASSA_ROLES', value, 'api, worker or api,worker: what this process does'));
  });

  it('reads an empty value (as .env.example writes them) as unset, never as 0 or "now is invalid"', () => {
    const empty = Object.fromEntries(['PORT', 'DATABASE_URL', 'KASSA_CLOCK', 'KASSA_CLOCK_START', 'KASSA_PASSWORD_MAX_AGE_DAYS', 'KASSA_COOKIE_SECURE', 'KASSA_CREDIT_SHARE', 'KASSA_BILLING_BATCH', 'SMTP_URL'].map((name) => [name, '']));
    const config = configFromEnv(empty);
    expect(config).toMatchObject({ port: 3000, databaseUrl: undefined, clock: 'real' });
    expect(Number.isNaN(config.clockStart.getTime())).toBe(false);
    expect(config.identity).toMatchObject({ passwordMaxAgeDays: 180, cookieSecure: false });
    expect(config.billing.creditShare.toString()).toBe('0.1');
    expect(config.mail.smtpUrl).toBeUndefined();
  });

  it('reads every setting from the environment given, not the process one', () => {
    const config = configFromEnv({
      PORT: '8080', HOST: '127.0.0.1', DATABASE_URL: 'postgres://k@db/kassa', KASSA_DATA_DIR: '/var/lib/kassa', KASSA_CLOCK: 'simulated',
      KASSA_CLOCK_START: '2026-11-02T13:00:00Z', KASSA_DEMO_DATA: 'false', LOG_LEVEL: 'debug', KASSA_CREDIT_SHARE: '0.25', KASSA_CREDIT_CAP: '50',
      KASSA_AUTO_RESUME: 'false', KASSA_BILLING_BATCH: '500', KASSA_BILLING_CONCURRENCY: '4', KASSA_PUBLIC_URL: 'https://billing.example/', KASSA_PASSWORD_MAX_AGE_DAYS: '0',
      SMTP_URL: 'smtp://mail:587', KASSA_MAIL_FROM: 'Billing <billing@example.com>',
    });
    expect(config).toMatchObject({ port: 8080, host: '127.0.0.1', databaseUrl: 'postgres://k@db/kassa', dataDir: '/var/lib/kassa', clock: 'simulated', demoData: false, logLevel: 'debug' });
    expect(config.clockStart.toISOString()).toBe('2026-11-02T13:00:00.000Z');
    expect(config.billing).toMatchObject({ autoResume: false, batchAccounts: 500, concurrentBatches: 4 });
    expect([config.billing.creditShare.toString(), config.billing.creditCap.toString()]).toEqual(['0.25', '50']);
    // An https public URL turns the Secure cookie flag on; the trailing slash goes.
    expect(config.identity).toEqual({ publicUrl: 'https://billing.example', cookieSecure: true, passwordMaxAgeDays: 0 });
    expect(config.mail).toEqual({ smtpUrl: 'smtp://mail:587', from: 'Billing <billing@example.com>' });
  });

  it('reads Stripe when its key and webhook secret are both set, and no Stripe otherwise', () => {
    expect(configFromEnv({}).payments).toEqual({ stripe: undefined, paypal: undefined });
    expect(configFromEnv({ STRIPE_SECRET_KEY: 'sk_test_1', STRIPE_WEBHOOK_SECRET: 'whsec_2', STRIPE_API_BASE: 'http://localhost:12111' }).payments).toEqual({
      stripe: { secretKey: 'sk_test_1', webhookSecret: 'whsec_2', apiBase: 'http://localhost:12111' },
      paypal: undefined,
    });
    expect(configFromEnv({ PAYPAL_CLIENT_ID: 'id', PAYPAL_CLIENT_SECRET: 'secret', PAYPAL_WEBHOOK_ID: 'WH-1' }).payments.paypal).toEqual({ clientId: 'id', clientSecret: 'secret', webhookId: 'WH-1', environment: 'sandbox', apiBase: undefined });
  });

  it.each([
    [{ KASSA_CLOCK: 'simulted' }, 'KASSA_CLOCK=simulted: expected real or simulated'],
    [{ KASSA_CLOCK_START: 'tomorrow' }, 'KASSA_CLOCK_START=tomorrow: expected an ISO 8601 time such as 2026-11-02T00:00:00Z'],
    [{ KASSA_CLOCK_START: '2026-13-45T00:00:00Z' }, 'KASSA_CLOCK_START=2026-13-45T00:00:00Z: expected an ISO 8601 time such as 2026-11-02T00:00:00Z'],
    [{ PORT: 'eighty' }, 'PORT=eighty: expected a port number, 0 to 65535'],
    [{ PORT: '70000' }, 'PORT=70000: expected a port number, 0 to 65535'],
    [{ KASSA_BILLING_BATCH: '0' }, 'KASSA_BILLING_BATCH=0: expected a whole number of accounts, 1 or more'],
    [{ KASSA_CREDIT_SHARE: '-0.1' }, 'KASSA_CREDIT_SHARE=-0.1: expected a non-negative decimal such as 0.10'],
    [{ KASSA_PASSWORD_MAX_AGE_DAYS: '1.5' }, 'KASSA_PASSWORD_MAX_AGE_DAYS=1.5: expected a whole number of days (0: never)'],
    [{ DATABASE_URL: 'mysql://db/kassa' }, 'DATABASE_URL=mysql://db/kassa: expected a postgres:// URL'],
    [{ KASSA_AUTO_RESUME: 'yes' }, 'KASSA_AUTO_RESUME=yes: expected true or false'],
    [{ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL=verbose: expected fatal, error, warn, info, debug, trace or silent'],
    [{ SMTP_URL: 'mail.example.com' }, 'SMTP_URL=mail.example.com: expected an smtp:// or smtps:// URL'],
    [{ STRIPE_SECRET_KEY: 'pk_test_123' }, 'STRIPE_SECRET_KEY=pk_test_123: expected a Stripe secret or restricted key, sk_test_... or sk_live_...'],
    [{ STRIPE_SECRET_KEY: 'sk_test_123' }, 'STRIPE_WEBHOOK_SECRET=: expected the signing secret of the Stripe webhook endpoint (whsec_...) whenever STRIPE_SECRET_KEY is set'],
    [{ STRIPE_WEBHOOK_SECRET: 'whsec_1' }, 'STRIPE_SECRET_KEY=: expected a Stripe secret key (sk_...) whenever STRIPE_WEBHOOK_SECRET is set'],
    [{ PAYPAL_CLIENT_ID: 'id', PAYPAL_CLIENT_SECRET: 'secret' }, 'PAYPAL_WEBHOOK_ID=: expected a value whenever another PAYPAL_ setting is: PayPal needs its client id, secret and webhook id'],
    [{ PAYPAL_ENVIRONMENT: 'production' }, 'PAYPAL_ENVIRONMENT=production: expected sandbox or live'],
  ])('refuses %o at start, in one line naming the variable, the value and what is expected', (env, message) => {
    expect(() => configFromEnv(env)).toThrow(ConfigError);
    expect(() => configFromEnv(env)).toThrow(message);
  });
});
