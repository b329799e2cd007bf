// The webhook settings in force: the ones Kassa was opened with, else the environment's (read once).
import { type WebhookSettings, webhookSettingsFromEnv } from '../config.js';
import type { Kassa } from '../context.js';

let fromEnv: WebhookSettings | undefined;

export function webhookSettings(kassa: Pick<Kassa, 'webhooks'>): WebhookSettings {
  if (kassa.webhooks) return kassa.webhooks;
  fromEnv ??= webhookSettingsFromEnv();
  return fromEnv;
}
