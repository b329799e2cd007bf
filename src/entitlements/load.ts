// Reads what computeEntitlements needs for one account in one round trip: the account's
// status and type, its active subscriptions with their plan versions' definitions, its
// object counts and the provider's trial limits. Every subselect is keyed by account_id
// (plus the catalog and settings, which are reference data), so it stays one shard's work.
import { sql } from 'drizzle-orm';
import { readProviderSetting } from '../audit/provider-setting.js';
import { type Db, query } from '../db/client.js';
import type { AccountStatus, AccountType } from '../db/schema.js';
import type { ActiveSubscription, EntitlementInputs, Funds, MeterUsage, TrialLimits } from './compute.js';

/** provider_settings key holding the trial limits: { quotas: {metric: cap}, denied_features: [...] }. */
export const TRIAL_LIMITS_SETTING = 'entitlements.trial_limits';

interface Row {
  id: bigint;
  status: AccountStatus;
  type: AccountType;
  subscriptions: ActiveSubscription[];
  counts: Record<string, number | string>;
  trial: Partial<TrialLimits> | null;
  currency: string;
  available: string;
  grants_by_scope: Record<string, string>;
  months: MeterUsage['months'];
  free_once: Record<string, string>;
  budget_stops: string[];
}

export async function loadEntitlementInputs(db: Db, accountId: number): Promise<EntitlementInputs | undefined> {
  return (await loadManyEntitlementInputs(db, [accountId])).get(accountId);
}

/** The same for many accounts in one round trip (after a billing batch); missing accounts are left out. */
export async function loadManyEntitlementInputs(db: Db, accountIds: readonly number[]): Promise<Map<number, EntitlementInputs>> {
  const rows = await query<Row>(
    db,
    sql`select a.id, a.status, a.type, a.currency,
          (a.balance + case when a.credit_enabled then a.credit_limit else 0 end - a.reserved)::text as available,
          -- What the credit grants hold, per code they are scoped to ('' for those that pay any
          -- charge): a scoped grant counts only for its plans and meters.
          case when a.granted = 0 then '{}'::json
               else coalesce((select json_object_agg(s.code, s.held)
                                from (select c.code, sum(p.amount)::text as held
                                        from credit_grants g join ledger_postings p on p.account_id = g.account_id and p.grant_id = g.id cross join unnest(coalesce(g.scope, array[''])) as c(code)
                                       where g.account_id = a.id and g.status = 'active' group by c.code) s), '{}'::json) end as grants_by_scope,
          coalesce((select json_agg(m) from (select distinct on (t.meter) t.meter, t.month, t.quantity::text, t.included_used::text, t.free_once_used::text
                                               from usage_month_totals t where t.account_id = a.id order by t.meter, t.month desc) m), '[]'::json) as months,
          coalesce((select json_object_agg(f.meter, f.used::text) from usage_free_once f where f.account_id = a.id), '{}'::json) as free_once,
          coalesce((select json_agg(json_build_object('plan', pl.code, 'definition', v.definition, 'quantities', s.quantities) order by s.id)
                      from subscriptions s join plan_versions v on v.id = s.plan_version_id join plans pl on pl.id = s.plan_id
                     where s.account_id = a.id and s.status = 'active'), '[]'::json) as subscriptions,
          coalesce((select json_object_agg(c.metric, c.count) from object_counts c where c.account_id = a.id), '{}'::json) as counts,
          (select p.value from provider_settings p where p.key = ${TRIAL_LIMITS_SETTING}) as trial,
          coalesce((select json_agg(coalesce(b.service, '')) from budgets b where b.account_id = a.id and b.action = 'stop' and b.reached_at is not null), '[]'::json) as budget_stops
        from accounts a where a.id = any(${`{${accountIds.join(',')}}`}::bigint[])`,
  );
  const inputs = new Map<number, EntitlementInputs>();
  for (const row of rows) {
    const counts: Record<string, number> = {};
    for (const [metric, count] of Object.entries(row.counts)) counts[metric] = Number(count);
    inputs.set(Number(row.id), {
      account: { status: row.status, type: row.type },
      subscriptions: row.subscriptions,
      counts,
      trial: row.trial ? { quotas: row.trial.quotas ?? {}, denied_features: row.trial.denied_features ?? [] } : undefined,
      funds: fundsOf(row),
      usage: { months: row.months, freeOnce: row.free_once },
      budgetStops: row.budget_stops,
    });
  }
  return inputs;
}

/** The trial limits alone (undefined when the provider set none), for the quota check of subscription changes. */
export async function loadTrialLimits(db: Db): Promise<TrialLimits | undefined> {
  const value = await readProviderSetting<Partial<TrialLimits>>(db, TRIAL_LIMITS_SETTING);
  if (!value) return undefined;
  return { quotas: value.quotas ?? {}, denied_features: value.denied_features ?? [] };
}

/** Available funds with the grants that pay any charge; what scoped grants hold, per code, beside. */
function fundsOf(row: Row): Funds {
  const { '': unscoped = '0', ...scoped } = row.grants_by_scope;
  return {
    available: BigInt(row.available) + BigInt(unscoped),
    currency: row.currency,
    scoped: Object.fromEntries(Object.entries(scoped).map(([code, held]) => [code, BigInt(held)])),
  };
}
