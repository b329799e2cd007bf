import type { Db } from '../db/client.js';
import { FailureSignal, type Result, ok } from '../shared/result.js';

/** Runs `work` in one transaction; an abort() inside rolls it back and comes out as a failure value. */
export async function inTransaction<T>(db: Db, work: (tx: Db) => Promise<T>): Promise<Result<T>> {
  try {
    return ok(await db.transaction((tx) => work(tx as unknown as Db)));
  } catch (error) {
    if (error instanceof FailureSignal) return { ok: false, failure: error.failure };
    throw error;
  }
}
