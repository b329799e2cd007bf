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

export function identitySettingsFromEnv(env: NodeJS.ProcessEnv = process.env): IdentitySettings {
  const publicUrl = (env.KASSA_PUBLIC_URL || DEFAULT_PUBLIC_URL).replace(/\/+$/, '');
  const maxAge = Number(env.KASSA_PASSWORD_MAX_AGE_DAYS ?? DEFAULT_PASSWORD_MAX_AGE_DAYS);
  if (!Number.isInteger(maxAge) || maxAge < 0) throw new Error(`KASSA_PASSWORD_MAX_AGE_DAYS must be a whole number of days, got ${env.KASSA_PASSWORD_MAX_AGE_DAYS}`);
  const cookieSecure = env.KASSA_COOKIE_SECURE === undefined ? !publicUrl.startsWith('http://') : env.KASSA_COOKIE_SECURE !== 'false';
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

function decimalEnv(name: string, fallback: Exact): Exact {
  const raw = process.env[name];
  if (raw === undefined) return fallback;
  const value = parseDecimal(raw);
  if (!value || value.isNegative()) throw new Error(`${name} must be a non-negative decimal, got ${raw}`);
  return value;
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): Config {
  const clock = env.KASSA_CLOCK === 'simulated' ? 'simulated' : 'real';
  return {
    port: Number(env.PORT ?? 3000),
    host: env.HOST ?? '0.0.0.0',
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: env.KASSA_DATA_DIR ?? './data',
    clock,
    clockStart: new Date(env.KASSA_CLOCK_START ?? new Date().toISOString()),
    demoData: env.KASSA_DEMO_DATA !== 'false',
    logLevel: env.LOG_LEVEL ?? 'info',
    billing: {
      creditShare: decimalEnv('KASSA_CREDIT_SHARE', defaultBillingSettings.creditShare),
      creditCap: decimalEnv('KASSA_CREDIT_CAP', defaultBillingSettings.creditCap),
      autoResume: env.KASSA_AUTO_RESUME !== 'false',
      batchAccounts: Number(env.KASSA_BILLING_BATCH ?? defaultBillingSettings.batchAccounts),
    },
    identity: identitySettingsFromEnv(env),
    mail: { smtpUrl: env.SMTP_URL || undefined, from: env.KASSA_MAIL_FROM || defaultMailFrom },
  };
}
