// Configuration from the environment, read once at start.
import { Exact, parseDecimal } from './money/money.js';

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
  if (!Number.isInteger(maxAge) || maxAge < 0) throw new Error(`KASSA_PASSWORD_MAX_AGE_DAYS must be a whole number of days, got ${env.KASSA_PASSWORD_MAX_AGE_DAYS}`);
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
}

export const defaultBillingSettings: BillingSettings = {
  creditShare: new Exact('0.10'),
  creditCap: new Exact('1000'),
  autoResume: true,
  batchAccounts: 10_000,
};

function decimalEnv(env: NodeJS.ProcessEnv, name: string, fallback: Exact): Exact {
  const raw = setting(env, name);
  if (raw === undefined) return fallback;
  const value = parseDecimal(raw);
  if (!value || value.isNegative()) throw new Error(`${name} must be a non-negative decimal, got ${raw}`);
  return value;
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): Config {
  const clockStart = setting(env, 'KASSA_CLOCK_START');
  const clock = setting(env, 'KASSA_CLOCK') ?? 'real';
  if (clock !== 'real' && clock !== 'simulated') throw new Error(`KASSA_CLOCK must be real or simulated, got ${clock}`);
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
    },
    identity: identitySettingsFromEnv(env),
    mail: { smtpUrl: setting(env, 'SMTP_URL'), from: setting(env, 'KASSA_MAIL_FROM') ?? defaultMailFrom },
  };
  if (Number.isNaN(config.clockStart.getTime())) throw new Error(`KASSA_CLOCK_START must be an ISO 8601 time, got ${clockStart}`);
  if (!Number.isInteger(config.port) || config.port < 0 || config.port > 65_535) throw new Error(`PORT must be a port number, got ${env.PORT}`);
  if (!Number.isInteger(config.billing.batchAccounts) || config.billing.batchAccounts < 1) throw new Error(`KASSA_BILLING_BATCH must be a whole number of accounts, 1 or more, got ${env.KASSA_BILLING_BATCH}`);
  return config;
}
