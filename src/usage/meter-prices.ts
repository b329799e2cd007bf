// Which price rates an account's usage of a meter: the meter's price in the account's oldest
// running subscription (active or suspended: usage that happened anyway is still charged) whose
// plan version prices it. A meter none prices is counted and charged nothing.
import { sql } from 'drizzle-orm';
import { type MeterPrice, type PlanDefinition, metersOf } from '../catalog/plan-definition.js';
import { type Db, query } from '../db/client.js';

export async function meterPricesOf(db: Db, accountIds: readonly number[]): Promise<Map<number, Map<string, MeterPrice>>> {
  const plans = await query<{ account_id: number | string; definition: PlanDefinition }>(
    db,
    sql`select s.account_id, v.definition from subscriptions s join plan_versions v on v.id = s.plan_version_id
        where s.account_id = any(${`{${accountIds.join(',')}}`}::bigint[]) and s.status in ('active', 'suspended')
          and jsonb_array_length(coalesce(v.definition->'meters', '[]'::jsonb)) > 0
        order by s.account_id, s.id`,
  );
  const prices = new Map<number, Map<string, MeterPrice>>();
  for (const plan of plans) {
    const of = prices.get(Number(plan.account_id)) ?? new Map<string, MeterPrice>();
    for (const price of metersOf(plan.definition)) if (!of.has(price.meter)) of.set(price.meter, price);
    prices.set(Number(plan.account_id), of);
  }
  return prices;
}
