// Rows to their API representation: snake_case, ISO times, definitions as stored.
import type { planVersions, plans, services } from '../db/schema.js';
import { type PlanDefinition, metersOf } from './plan-definition.js';
import type { PlanVersionView, PlanView, ServiceView } from './schemas.js';

export type ServiceRow = typeof services.$inferSelect;
export type PlanRow = typeof plans.$inferSelect;
export type PlanVersionRow = typeof planVersions.$inferSelect;

export function serviceView(row: ServiceRow): ServiceView {
  const meter = row.meterAggregation === null ? null : { aggregation: row.meterAggregation, decimals: row.meterDecimals };
  return { id: row.id, code: row.code, name: row.name, unit: row.unit, description: row.description, meter, created_at: row.createdAt.toISOString() };
}

export function planVersionView(row: PlanVersionRow): PlanVersionView {
  return {
    id: row.id,
    version: row.version,
    currency: row.currency,
    effective_from: row.effectiveFrom.toISOString(),
    created_at: row.createdAt.toISOString(),
    definition: withMeters(row.definition as PlanDefinition),
  };
}

/** A definition stored before meters existed shows an empty list, as a new one would. */
function withMeters(definition: PlanDefinition) {
  return { ...definition, meters: metersOf(definition) };
}

/** `versions` are this plan's rows, in any order: shown oldest first, by currency then version. */
export function planView(row: PlanRow, versions: readonly PlanVersionRow[]): PlanView {
  const ordered = [...versions].sort((a, b) => (a.currency === b.currency ? a.version - b.version : a.currency < b.currency ? -1 : 1));
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    kind: row.kind,
    cadence: row.cadence,
    timing: row.timing,
    created_at: row.createdAt.toISOString(),
    versions: ordered.map(planVersionView),
  };
}
