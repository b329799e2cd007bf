import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { accounts } from '../db/schema.js';

export type AccountRow = typeof accounts.$inferSelect;

/** Reads an account and locks its row until the transaction ends: money decisions on it serialise. */
export async function lockAccount(tx: Db, accountId: number): Promise<AccountRow | undefined> {
  const [row] = await tx.select().from(accounts).where(eq(accounts.id, accountId)).for('update');
  return row;
}

/**
 * Balance plus what the credit grants hold, plus the credit limit (when credit is enabled),
 * less what usage reservations hold: what charges may consume. A grant scoped to some
 * services pays only those (src/grants/drawdown.ts): a charge for another one may use
 * `availableFunds` less that grant.
 */
export function availableFunds(account: Pick<AccountRow, 'balance' | 'granted' | 'creditEnabled' | 'creditLimit' | 'reserved'>): bigint {
  return account.balance + account.granted + (account.creditEnabled ? account.creditLimit : 0n) - account.reserved;
}
