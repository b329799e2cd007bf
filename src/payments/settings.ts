// The payment settings in force: the ones Kassa was opened with, else the environment's (read once).
import { type PaymentSettings, identitySettingsFromEnv, paymentSettingsFromEnv } from '../config.js';
import type { Kassa } from '../context.js';

let fromEnv: PaymentSettings | undefined;

export function paymentSettings(kassa: Kassa): PaymentSettings {
  if (kassa.payments) return kassa.payments;
  fromEnv ??= paymentSettingsFromEnv();
  return fromEnv;
}

let publicUrlFromEnv: string | undefined;

/** Where Kassa's own pages are (KASSA_PUBLIC_URL): the default return pages of a checkout. */
export function publicUrl(kassa: Kassa): string {
  if (kassa.identity) return kassa.identity.publicUrl;
  publicUrlFromEnv ??= identitySettingsFromEnv().publicUrl;
  return publicUrlFromEnv;
}
