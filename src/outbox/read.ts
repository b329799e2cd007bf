// Reading the outbox: what happened, in order, for one account or for all of them.
import { and, asc, eq, gt, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { outbox } from '../db/schema.js';
import { page } from '../shared/pagination.js';

export interface EventFilter {
  limit: number;
  cursor?: string;
  accountId?: number;
  topic?: string;
}

export async function listEvents(db: Db, filter: EventFilter) {
  const conditions: SQL[] = [];
  if (filter.accountId !== undefined) conditions.push(eq(outbox.accountId, filter.accountId));
  if (filter.topic !== undefined) conditions.push(eq(outbox.topic, filter.topic));
  if (filter.cursor !== undefined) conditions.push(gt(outbox.id, Number(filter.cursor)));
  const rows = await db
    .select()
    .from(outbox)
    .where(and(...conditions))
    .orderBy(asc(outbox.id))
    .limit(filter.limit + 1);
  const listed = page(rows, filter.limit);
  return {
    data: listed.data.map((e) => ({
      id: e.id,
      account_id: e.accountId,
      topic: e.topic,
      payload: e.payload as Record<string, unknown>,
      created_at: e.createdAt.toISOString(),
    })),
    next_cursor: listed.next_cursor,
  };
}
