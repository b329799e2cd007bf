import { and, asc, eq, gt, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { accounts } from '../db/schema.js';
import { page } from '../shared/pagination.js';

export async function listAccounts(db: Db, filter: { limit: number; cursor?: string; external_ref?: string }) {
  const conditions: SQL[] = [];
  if (filter.cursor !== undefined) conditions.push(gt(accounts.id, Number(filter.cursor)));
  if (filter.external_ref !== undefined) conditions.push(eq(accounts.externalRef, filter.external_ref));
  const rows = await db
    .select()
    .from(accounts)
    .where(and(...conditions))
    .orderBy(asc(accounts.id))
    .limit(filter.limit + 1);
  return page(rows, filter.limit);
}
