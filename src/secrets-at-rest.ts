// The columns holding secrets Kassa must read back in clear, sealed under KASSA_SECRET_KEY
// (src/shared/secret-box.ts). At every start, values stored before sealing existed are sealed
// and a value sealed under a key this process was not given stops the start; `kassa secrets
// rotate` re-seals every value under the current key, after which the previous keys may go.
import { sql } from 'drizzle-orm';
import { ConfigError } from './config.js';
import { type Db, query } from './db/client.js';
import type { SecretBox } from './shared/secret-box.js';
import { TOTP_SECRET_COLUMN } from './identity/two-factor/totp.js';
import { WEBHOOK_SECRET_COLUMN } from './webhooks/endpoints.js';

/** Every sealed column, with the key of its rows. */
export const SEALED_COLUMNS = [
  { name: TOTP_SECRET_COLUMN, table: 'users', column: 'totp_secret', id: 'id' },
  { name: WEBHOOK_SECRET_COLUMN, table: 'webhook_endpoint_secrets', column: 'secret', id: 'id' },
] as const;

type Column = (typeof SEALED_COLUMNS)[number];

/** Values per key id in one column ('clear' for those stored before sealing). */
async function keysOf(db: Db, c: Column): Promise<Map<string, number>> {
  const rows = await query<{ key: string; n: bigint }>(
    db,
    sql`select case when ${sql.raw(c.column)} like 'kassa:v1:%' then split_part(${sql.raw(c.column)}, ':', 3) else 'clear' end as key, count(*) as n
        from ${sql.raw(c.table)} where ${sql.raw(c.column)} is not null group by 1`,
  );
  return new Map(rows.map((r) => [r.key, Number(r.n)]));
}

/** How many stored values each key id seals, over every sealed column. */
export async function storedKeys(db: Db): Promise<Map<string, number>> {
  const total = new Map<string, number>();
  for (const c of SEALED_COLUMNS) for (const [key, n] of await keysOf(db, c)) total.set(key, (total.get(key) ?? 0) + n);
  return total;
}

/** Re-seals, row by row, the values not sealed under `except` (none: those stored in clear); answers how many. Each column in one transaction. */
async function reseal(db: Db, box: SecretBox, except?: string): Promise<number> {
  let done = 0;
  for (const c of SEALED_COLUMNS) {
    done += await db.transaction(async (txn) => {
      const tx = txn as unknown as Db;
      const rows = await query<{ id: bigint | number; value: string }>(
        tx,
        sql`select ${sql.raw(c.id)} as id, ${sql.raw(c.column)} as value from ${sql.raw(c.table)}
            where ${sql.raw(c.column)} not like ${except ? `kassa:v1:${except}:%` : 'kassa:v1:%'} for update`,
      );
      for (const row of rows) {
        const sealed = box.seal(box.open(row.value, c.name), c.name);
        await tx.execute(sql`update ${sql.raw(c.table)} set ${sql.raw(c.column)} = ${sealed} where ${sql.raw(c.id)} = ${row.id}`);
      }
      return rows.length;
    });
  }
  return done;
}

/**
 * At start: refuses a database holding values under a key this process cannot open (a wrong
 * or missing KASSA_SECRET_KEY would otherwise fail every login with 2FA and every webhook),
 * then seals the values stored in clear. Answers how many it sealed.
 */
export async function sealStoredSecrets(db: Db, box: SecretBox): Promise<number> {
  const unknown = [...(await storedKeys(db)).entries()].filter(([key]) => key !== 'clear' && !box.knows(key));
  if (unknown.length > 0) {
    const listed = unknown.map(([key, n]) => `${n} under key ${key}`).join(', ');
    throw new ConfigError('KASSA_SECRET_KEY', `(key ${box.currentKeyId})`, `the key that sealed the secrets in this database (${listed}); give it as KASSA_SECRET_KEY, or as KASSA_SECRET_KEY_PREVIOUS beside the new one`);
  }
  return reseal(db, box);
}

/** `kassa secrets rotate`: every value under the current key; answers how many were re-sealed. */
export async function rotateStoredSecrets(db: Db, box: SecretBox): Promise<number> {
  await sealStoredSecrets(db, box);
  return reseal(db, box, box.currentKeyId);
}
