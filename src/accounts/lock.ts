import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { accounts } from '../db/schema.js';

export type AccountRow = typeof accounts.$inferSelect;

/** Reads an account and locks its row until the transaction ends: money decisions on it serialise. */
export async function lockAccount(tx: Db, accountId: number): Promise<AccountRow | undefined> {
  const [row] = await tx.select().from(accounts).where(eq(accounts.id, accountId)).for('update');
  return row;
}

/** Balance plus credit limit (when credit is enabled), less what usage reservations hold: what a charge may consume. */
export function availableFunds(account: Pick<AccountRow, 'balance' | 'creditEnabled' | 'creditLimit' | 'reserved'>): bigint {
  return account.balance + (account.creditEnabled ? account.creditLimit : 0n) - account.reserved;
}
