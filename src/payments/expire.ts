// Pending top-ups whose pay-by date has passed become expired (a scheduled job, on both
// clocks): they no longer count in pending_top_ups and can no longer receive money. A bank
// transfer that arrives later is an operator's to credit (an adjustment, or a new top-up).
// Each expiry writes top_up.expired in the same transaction; running again changes nothing.
import { and, asc, eq, inArray, lte } from 'drizzle-orm';
import type { Kassa } from '../context.js';
import type { Db } from '../db/client.js';
import { topUps } from '../db/schema.js';
import { writeOutboxEvents } from '../outbox/write.js';

const BATCH = 500;

/** Expires what is due at `at`, a batch a statement; answers how many. */
export async function expireTopUps(kassa: Kassa, at: Date): Promise<number> {
  let expired = 0;
  for (;;) {
    const done = await kassa.db.transaction(async (t) => {
      const tx = t as unknown as Db;
      const pendingAndDue = and(eq(topUps.status, 'pending'), lte(topUps.expiresAt, at));
      // Rows a confirmation holds are skipped: it commits first, and the next run sees the outcome.
      const due = tx.select({ id: topUps.id }).from(topUps).where(pendingAndDue).orderBy(asc(topUps.id)).limit(BATCH).for('update', { skipLocked: true });
      const rows = await tx.update(topUps).set({ status: 'expired', updatedAt: at }).where(and(pendingAndDue, inArray(topUps.id, due))).returning();
      await writeOutboxEvents(
        tx,
        rows.map((row) => ({ accountId: row.accountId, topic: 'top_up.expired' as const, payload: { account_id: row.accountId, top_up_id: row.id, method: row.method, amount: row.amountRequested, received: row.amountReceived, currency: row.currency } })),
        at,
      );
      return rows.length;
    });
    expired += done;
    if (done < BATCH) return expired;
  }
}
