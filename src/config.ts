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
  };
}
