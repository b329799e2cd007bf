// What a plan version holds: a base price per period, priced items (services with optional
// volume tiers, included units and a refund policy for decreases), quotas on object counts
// and feature flags. One shape for preset bundles and custom configurations alike.
import { Type, type Static } from 'typebox';

const DecimalString = Type.String({ pattern: '^(0|[1-9][0-9]{0,11})(\\.[0-9]{1,12})?$', description: 'exact non-negative decimal, e.g. "0.0012"' });
const Quantity = Type.Integer({ minimum: 0, maximum: 1_000_000_000 });
// One schema typed ['integer', 'null'], not a union: the API's Ajv coerces types, and inside
// an anyOf it turns null into 0 on the integer branch (an open tier would close at 0 units,
// an unlimited item would allow none). A type list matches null as it is.
const QuantityOrNull = (options: { description: string; default?: null }) =>
  Type.Unsafe<number | null>({ type: ['integer', 'null'], minimum: 0, maximum: 1_000_000_000, ...options } as never);

export const TierSchema = Type.Object(
  {
    up_to: QuantityOrNull({ description: 'last unit of this tier; null for the open last tier' }),
    unit_price: DecimalString,
    flat_price: Type.Optional(DecimalString),
  },
  { additionalProperties: false },
);

export const PlanItemSchema = Type.Object(
  {
    service: Type.String({ pattern: '^[a-z][a-z0-9_]{0,62}$', description: 'service code' }),
    unit_price: Type.Optional(DecimalString),
    tier_mode: Type.Union([Type.Literal('flat'), Type.Literal('graduated'), Type.Literal('volume')], { default: 'flat' }),
    tiers: Type.Optional(Type.Array(TierSchema, { minItems: 1, maxItems: 50 })),
    included: Type.Integer({ minimum: 0, maximum: 1_000_000_000, default: 0, description: 'units covered by the base price' }),
    min: Type.Integer({ minimum: 0, maximum: 1_000_000_000, default: 0 }),
    max: QuantityOrNull({ description: 'most units a configuration may have; null for no limit', default: null }),
    default: Type.Integer({ minimum: 0, maximum: 1_000_000_000, default: 0 }),
    decrease: Type.Union([Type.Literal('refund'), Type.Literal('none')], { default: 'refund', description: 'proration policy when the quantity goes down mid-period' }),
  },
  { additionalProperties: false },
);

export const PlanDefinitionSchema = Type.Object(
  {
    base_price: Type.Optional(DecimalString),
    items: Type.Array(PlanItemSchema, { maxItems: 100, default: [] }),
    quotas: Type.Record(Type.String({ pattern: '^[a-z][a-z0-9_]{0,62}$' }), Quantity, { default: {} }),
    features: Type.Array(Type.String({ pattern: '^[a-z][a-z0-9_.]{0,62}$' }), { maxItems: 100, default: [] }),
  },
  { additionalProperties: false },
);

export type Tier = Static<typeof TierSchema>;
export type PlanItem = Static<typeof PlanItemSchema>;
export type PlanDefinition = Static<typeof PlanDefinitionSchema>;

/** Checks what a JSON schema cannot: tiers ascending, defaults inside bounds, no duplicates. */
export function definitionProblems(definition: PlanDefinition): { field: string; detail: string }[] {
  const problems: { field: string; detail: string }[] = [];
  const seen = new Set<string>();
  definition.items.forEach((item, i) => {
    const at = `/items/${i}`;
    if (seen.has(item.service)) problems.push({ field: `${at}/service`, detail: `service ${item.service} appears twice` });
    seen.add(item.service);
    if (item.tier_mode === 'flat' && item.unit_price === undefined) problems.push({ field: `${at}/unit_price`, detail: 'a flat item needs unit_price' });
    if (item.tier_mode !== 'flat') {
      const tiers = item.tiers ?? [];
      if (tiers.length === 0) problems.push({ field: `${at}/tiers`, detail: `a ${item.tier_mode} item needs tiers` });
      tiers.forEach((tier, t) => {
        const previous = t === 0 ? 0 : tiers[t - 1]!.up_to;
        const last = t === tiers.length - 1;
        if (tier.up_to === null && !last) problems.push({ field: `${at}/tiers/${t}/up_to`, detail: 'only the last tier may be open' });
        if (tier.up_to !== null && last) problems.push({ field: `${at}/tiers/${t}/up_to`, detail: 'the last tier must be open (up_to: null)' });
        if (tier.up_to !== null && previous !== null && tier.up_to <= previous) problems.push({ field: `${at}/tiers/${t}/up_to`, detail: 'tiers must ascend' });
      });
    }
    if (item.max !== null && item.min > item.max) problems.push({ field: `${at}/min`, detail: 'min exceeds max' });
    if (item.default < item.min || (item.max !== null && item.default > item.max)) problems.push({ field: `${at}/default`, detail: 'default is outside min..max' });
  });
  return problems;
}
