// Which price rates an account's usage of a meter: the meter's price in the account's oldest
// running subscription (active or suspended: usage that happened anyway is still charged) whose
// plan version prices it. A meter none prices is counted and charged nothing.
import { sql } from 'drizzle-orm';
import { type MeterPrice, metersOf } from '../catalog/plan-definition.js';
import { type Db, query } from '../db/client.js';

export async function meterPricesOf(db: Db, accountIds: readonly number[]): Promise<Map<number, Map<string, MeterPrice>>> {
  // Many accounts share a few plan versions: each version's definition is read once.
  const running = await query<{ account_id: number | string; version_id: number | string }>(
    db,
    sql`select s.account_id, s.plan_version_id as version_id from subscriptions s
        where s.account_id = any(${`{${accountIds.join(',')}}`}::bigint[]) and s.status in ('active', 'suspended')
        order by s.account_id, s.id`,
  );
  const versionIds = [...new Set(running.map((r) => Number(r.version_id)))];
  const versions = versionIds.length === 0 ? [] : await query<{ id: number | string; meters: MeterPrice[] | null }>(db, sql`select id, definition->'meters' as meters from plan_versions where id = any(${`{${versionIds.join(',')}}`}::bigint[])`);
  const metersOfVersion = new Map(versions.map((v) => [Number(v.id), metersOf({ meters: v.meters ?? undefined })]));
  const prices = new Map<number, Map<string, MeterPrice>>();
  for (const { account_id, version_id } of running) {
    const meters = metersOfVersion.get(Number(version_id)) ?? [];
    if (meters.length === 0) continue;
    const of = prices.get(Number(account_id)) ?? new Map<string, MeterPrice>();
    for (const price of meters) if (!of.has(price.meter)) of.set(price.meter, price);
    prices.set(Number(account_id), of);
  }
  return prices;
}
