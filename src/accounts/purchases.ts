// What an account bought, per calendar month: the base of its system credit limit
// (a share of the trailing 12 months). Charges add, refunds subtract.
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { accountMonthlyPurchases } from '../db/schema.js';
import type { Minor } from '../money/money.js';

export function monthKey(at: Date): string {
  return at.toISOString().slice(0, 7);
}

export async function recordPurchase(tx: Db, accountId: number, amount: Minor, at: Date): Promise<void> {
  if (amount === 0n) return;
  await tx
    .insert(accountMonthlyPurchases)
    .values({ accountId, month: monthKey(at), amount })
    .onConflictDoUpdate({
      target: [accountMonthlyPurchases.accountId, accountMonthlyPurchases.month],
      set: { amount: sql`${accountMonthlyPurchases.amount} + ${amount}` },
    });
}
