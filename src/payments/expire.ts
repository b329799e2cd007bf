// Pending top-ups whose pay-by date has passed become expired (a scheduled job, on both
// clocks): they no longer count in pending_top_ups and can no longer receive money. A bank
// transfer that arrives later is an operator's to credit (an adjustment, or a new top-up).
// Each expiry writes top_up.expired in the same transaction; running again changes nothing.
import { and, eq, lte } from 'drizzle-orm';
import type { Kassa } from '../context.js';
import type { Db } from '../db/client.js';
import { topUps } from '../db/schema.js';
import { writeOutbox } from '../outbox/write.js';

const BATCH = 500;

/** Expires what is due at `at`; answers how many. */
export async function expireTopUps(kassa: Kassa, at: Date): Promise<number> {
  let expired = 0;
  for (;;) {
    const done = await kassa.db.transaction(async (t) => {
      const tx = t as unknown as Db;
      const due = await tx
        .select({ id: topUps.id })
        .from(topUps)
        .where(and(eq(topUps.status, 'pending'), lte(topUps.expiresAt, at)))
        .orderBy(topUps.id)
        .limit(BATCH)
        .for('update', { skipLocked: true });
      for (const { id } of due) {
        // Conditional: a confirmation that committed first keeps its top-up.
        const [row] = await tx.update(topUps).set({ status: 'expired', updatedAt: at }).where(and(eq(topUps.id, id), eq(topUps.status, 'pending'))).returning();
        if (!row) continue;
        await writeOutbox(tx, row.accountId, 'top_up.expired', { account_id: row.accountId, top_up_id: row.id, method: row.method, amount: row.amountRequested, received: row.amountReceived, currency: row.currency }, at);
      }
      return due.length;
    });
    expired += done;
    if (done < BATCH) return expired;
  }
}
