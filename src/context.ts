// What every operation is handed: the database, the clock and the provider's settings.
import type { ApiKeyAuthenticator } from './auth/principal.js';
import type { Clock } from './time/clock.js';
import type { BillingSettings, IdentitySettings, PaymentSettings, WebhookSettings } from './config.js';
import type { Backend, Db } from './db/client.js';
import type { EntitlementCache } from './entitlements/cache.js';
import type { BackgroundWork } from './shared/background.js';
import type { SecretBox } from './shared/secret-box.js';

export interface Kassa {
  db: Db;
  backend: Backend;
  clock: Clock;
  /** Seals and opens the secrets stored in the database (TOTP, webhook signing secrets). */
  secrets: SecretBox;
  billing: BillingSettings;
  auth: ApiKeyAuthenticator;
  entitlements: EntitlementCache;
  /**
   * What a credit sets off in the domains above accounts, wired by openKassa: the
   * subscriptions' auto-resume (src/subscriptions/resume.ts). Runs in the crediting
   * transaction with the account locked; answers the subscriptions it resumed.
   */
  afterCredit: (tx: Db, kassa: Kassa, accountId: number, at: Date) => Promise<number[]>;
  /**
   * A document's file for the mail that carries it, wired by openKassa: its PDF
   * (src/documents/files.ts), rendered once and kept; undefined when there is no such document.
   */
  documentFile: (db: Db, documentId: number, at: Date) => Promise<{ filename: string; content: Buffer } | undefined>;
  /** Work requests start and do not wait for (a password reset's link and mail). */
  background: BackgroundWork;
  /** Sign-up, sessions and passwords; absent: read from the environment (src/identity/sessions/settings.ts). */
  identity?: IdentitySettings;
  /** Stripe (and later PayPal); absent: read from the environment (src/payments/settings.ts). */
  payments?: PaymentSettings;
  /** Where webhooks may go; absent: read from the environment (src/webhooks/settings.ts). */
  webhooks?: WebhookSettings;
}
