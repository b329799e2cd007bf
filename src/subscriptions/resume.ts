// Auto-resume: when a credit covers them, suspended subscriptions resume, oldest first,
// each charged from now to its next period boundary.
import type { Kassa } from '../context.js';
import type { Db } from '../db/client.js';

/** Called inside the crediting transaction, with the account row locked. Returns resumed ids. */
export async function resumeSuspended(_tx: Db, _kassa: Kassa, _accountId: number, _at: Date): Promise<number[]> {
  return []; // Implemented with the subscriptions domain.
}
