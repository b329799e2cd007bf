// What a plan version holds: a base price per period, priced items (services with optional
// volume tiers, included units and a refund policy for decreases), quotas on object counts
// and feature flags. One shape for preset bundles and custom configurations alike.
import { Type, type Static } from 'typebox';
import { Exact } from '../money/money.js';

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

/**
 * Automatic volume discounts (seed 003: "higher volume usage is automatically cheaper"): each
 * level takes its percent off the price of the units above its `from`, up to the next level's.
 * `counted` says what the units are: a meter's month, or an item's billable units in a period.
 */
const discountsSchema = (counted: string) =>
  Type.Array(
    Type.Object(
      {
        from: Type.Integer({ minimum: 0, maximum: 1_000_000_000, description: `${counted} above which this level applies` }),
        percent: Type.String({ pattern: '^(100|[1-9]?[0-9])(\\.[0-9]{1,4})?$', description: 'off the price of the units above `from`, e.g. "5" or "12.5"' }),
      },
      { additionalProperties: false },
    ),
    { maxItems: 20, description: 'automatic volume discounts (seed 003): each level takes its percent off the price of the units above it, up to the next level, and every charge shows the price before it, the discount and the price paid' },
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
    discounts: Type.Optional(discountsSchema("the period's billable units (above the included ones)")),
    follows_count: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          'seats (SPEC 6): the quantity is the object count the product reports under the service code (users, phone numbers), at least min; each report sets it, a unit above the paid mark is charged at once, even into debt; the limit is max. Needs decrease "none"',
      }),
    ),
  },
  { additionalProperties: false },
);

// A metered service's price (SPEC 7): tiers over the calendar month's cumulative usage, after
// the free units: `included` every calendar month, then `free_once` granted once per account
// (a new account's 2,500 free e-mails, usable before any top-up). Kept apart from items, which
// are priced by configured quantity per period; a meter is priced by what was used.
export const MeterPriceSchema = Type.Object(
  {
    meter: Type.String({ pattern: '^[a-z][a-z0-9_]{0,62}$', description: "a metered service's code" }),
    unit_price: Type.Optional(DecimalString),
    tier_mode: Type.Union([Type.Literal('flat'), Type.Literal('graduated'), Type.Literal('volume')], { default: 'flat' }),
    tiers: Type.Optional(Type.Array(TierSchema, { minItems: 1, maxItems: 50 })),
    included: Type.Integer({ minimum: 0, maximum: 1_000_000_000, default: 0, description: 'units free every calendar month, used first' }),
    free_once: Type.Integer({ minimum: 0, maximum: 1_000_000_000, default: 0, description: 'units free once per account, used after the month\'s included units' }),
    quota: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 1_000_000_000_000, description: "most units a calendar month may use: at it the meter's entitlement answers quota_reached, and passing it is told once a month (usage.over_limit)" }),
    ),
    discounts: Type.Optional(discountsSchema("the month's chargeable units (after the free ones)")),
  },
  { additionalProperties: false },
);

export const PlanDefinitionSchema = Type.Object(
  {
    base_price: Type.Optional(DecimalString),
    items: Type.Array(PlanItemSchema, { maxItems: 100, default: [] }),
    meters: Type.Optional(Type.Array(MeterPriceSchema, { maxItems: 50, default: [], description: 'usage prices of metered services' })),
    quotas: Type.Record(Type.String({ pattern: '^[a-z][a-z0-9_]{0,62}$' }), Quantity, { default: {} }),
    features: Type.Array(Type.String({ pattern: '^[a-z][a-z0-9_.]{0,62}$' }), { maxItems: 100, default: [] }),
  },
  { additionalProperties: false },
);

export type Tier = Static<typeof TierSchema>;
export type PlanItem = Static<typeof PlanItemSchema>;
export type MeterPrice = Static<typeof MeterPriceSchema>;
export type DiscountLevel = NonNullable<MeterPrice['discounts']>[number];
/** What volume discounts apply to: a meter's price or a plan item's. */
export type Discounted = Pick<PlanItem, 'tier_mode' | 'tiers' | 'unit_price' | 'discounts'>;
/** Definitions stored before meters existed have none: read `meters` through metersOf(). */
export type PlanDefinition = Static<typeof PlanDefinitionSchema>;

export const metersOf = (definition: Pick<PlanDefinition, 'meters'>): MeterPrice[] => definition.meters ?? [];

/** Checks what a JSON schema cannot: tiers ascending, defaults inside bounds, no duplicates. */
export function definitionProblems(definition: PlanDefinition): { field: string; detail: string }[] {
  const problems: { field: string; detail: string }[] = [];
  const seen = new Set<string>();
  definition.items.forEach((item, i) => {
    const at = `/items/${i}`;
    if (seen.has(item.service)) problems.push({ field: `${at}/service`, detail: `service ${item.service} appears twice` });
    seen.add(item.service);
    problems.push(...priceShapeProblems(item, at));
    if (item.max !== null && item.min > item.max) problems.push({ field: `${at}/min`, detail: 'min exceeds max' });
    if (item.follows_count && item.decrease !== 'none') problems.push({ field: `${at}/decrease`, detail: 'an item that follows the object count is a seat: its decrease must be "none"' });
    if (item.default < item.min || (item.max !== null && item.default > item.max)) problems.push({ field: `${at}/default`, detail: 'default is outside min..max' });
  });
  metersOf(definition).forEach((price, i) => {
    const at = `/meters/${i}`;
    if (seen.has(price.meter)) problems.push({ field: `${at}/meter`, detail: `service ${price.meter} appears twice` });
    seen.add(price.meter);
    problems.push(...priceShapeProblems(price, at));
  });
  return problems;
}

/** A flat price needs a unit price; tiers ascend and only the last is open; discount levels ascend. */
function priceShapeProblems(price: Discounted, at: string): { field: string; detail: string }[] {
  const problems: { field: string; detail: string }[] = [];
  (price.discounts ?? []).forEach((level, d) => {
    const previous = price.discounts![d - 1];
    if (previous && level.from <= previous.from) problems.push({ field: `${at}/discounts/${d}/from`, detail: 'discount levels must ascend' });
    if (new Exact(level.percent).lte(0)) problems.push({ field: `${at}/discounts/${d}/percent`, detail: 'a discount takes more than 0 percent off' });
  });
  if (price.tier_mode === 'flat' && price.unit_price === undefined) problems.push({ field: `${at}/unit_price`, detail: 'a flat price needs unit_price' });
  if (price.tier_mode !== 'flat') {
    const tiers = price.tiers ?? [];
    if (tiers.length === 0) problems.push({ field: `${at}/tiers`, detail: `a ${price.tier_mode} price needs tiers` });
    tiers.forEach((tier, t) => {
      const previous = t === 0 ? 0 : tiers[t - 1]!.up_to;
      const last = t === tiers.length - 1;
      if (tier.up_to === null && !last) problems.push({ field: `${at}/tiers/${t}/up_to`, detail: 'only the last tier may be open' });
      if (tier.up_to !== null && last) problems.push({ field: `${at}/tiers/${t}/up_to`, detail: 'the last tier must be open (up_to: null)' });
      if (tier.up_to !== null && previous !== null && tier.up_to <= previous) problems.push({ field: `${at}/tiers/${t}/up_to`, detail: 'tiers must ascend' });
    });
  }
  return problems;
}
