// The identity settings in force: the ones Kassa was opened with, else the environment's
// (read once).
import { type IdentitySettings, identitySettingsFromEnv } from '../../config.js';
import type { Kassa } from '../../context.js';

let fromEnv: IdentitySettings | undefined;

export function identitySettings(kassa: Kassa): IdentitySettings {
  if (kassa.identity) return kassa.identity;
  fromEnv ??= identitySettingsFromEnv();
  return fromEnv;
}
