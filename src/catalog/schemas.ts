// The catalog's HTTP shapes. Decimals stay strings exactly as given; amounts in minor units
// are strings of integers; times are ISO 8601 in UTC.
import { Type, type Static } from 'typebox';
import { PlanDefinitionSchema } from './plan-definition.js';

const Code = Type.String({ pattern: '^[a-z][a-z0-9_]{0,62}$', description: 'stable machine name: lower case, digits, underscores' });
const Name = Type.String({ minLength: 1, maxLength: 200 });
const Timestamp = Type.String({ format: 'date-time' });
const Currency = Type.String({ minLength: 1, maxLength: 8, description: 'ISO 4217 code, e.g. EUR' });

// Examples for the OpenAPI document: the demo catalog's "Device management Starter" plan.
const created = '2026-11-02T13:00:00.000Z';
const deviceItem = { service: 'cpe_devices', unit_price: '0.02', tier_mode: 'flat', included: 100, min: 0, max: 500, default: 100, decrease: 'refund' };
const ipItem = { service: 'public_ip', unit_price: '0.10', tier_mode: 'flat', included: 0, min: 0, max: 1, default: 0, decrease: 'none' };
const starterEur = { base_price: '2.40', items: [deviceItem, ipItem], quotas: { sites: 5 }, features: ['api'] };
const starterEur2 = { ...starterEur, base_price: '2.50' };
const starterV1 = { id: 1, version: 1, currency: 'EUR', effective_from: created, created_at: created, definition: starterEur };
const starterV2 = { id: 11, version: 2, currency: 'EUR', effective_from: '2026-12-01T00:00:00.000Z', created_at: '2026-11-04T00:00:00.000Z', definition: starterEur2 };
const starterPlan = { code: 'dms_starter', name: 'Device management Starter', kind: 'preset', cadence: 'daily', timing: 'in_advance' };

export const IdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) });

// ---------- services ----------

export const MeterSchema = Type.Object(
  {
    aggregation: Type.Union([Type.Literal('sum'), Type.Literal('hourly_max')], {
      description: 'sum: the quantities of its usage events add up (messages); hourly_max: a gauge sampled over time, each hour counted at its highest sample (resources in use)',
    }),
    decimals: Type.Integer({ minimum: 0, maximum: 6, default: 0, description: 'decimal places a reported quantity may have (GB-hours: 6; messages: 0)' }),
  },
  { additionalProperties: false, description: 'makes the service metered: the product reports its usage as events (POST /v1/usage/events)' },
);

export const CreateServiceBody = Type.Object(
  {
    code: Code,
    name: Name,
    unit: Type.String({ minLength: 1, maxLength: 50, description: 'what one unit is: device, e-mail, seat...' }),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    meter: Type.Optional(MeterSchema),
  },
  {
    additionalProperties: false,
    examples: [
      { code: 'cpe_devices', name: 'CPE devices', unit: 'device', description: 'Customer-premises devices managed by one instance' },
      { code: 'emails', name: 'E-mails', unit: 'e-mail', meter: { aggregation: 'sum', decimals: 0 } },
    ],
  },
);

export const ServiceViewSchema = Type.Object({
  id: Type.Integer(),
  code: Type.String(),
  name: Type.String(),
  unit: Type.String(),
  description: Type.String(),
  meter: Type.Union([MeterSchema, Type.Null()], { description: 'how usage of a metered service is reported and added up; null when not metered' }),
  created_at: Timestamp,
}, { title: 'Service', examples: [{ id: 1, code: 'cpe_devices', name: 'CPE devices', unit: 'device', description: 'Customer-premises devices managed by one instance', meter: null, created_at: created }] });

// ---------- plans ----------

const Kind = Type.Union([Type.Literal('preset'), Type.Literal('custom')], { description: 'preset bundle, or a configuration priced item by item' });
const Cadence = Type.Union([Type.Literal('daily'), Type.Literal('monthly')]);
const Timing = Type.Union([Type.Literal('in_advance'), Type.Literal('in_arrears')]);
const EffectiveFrom = Type.String({ format: 'date-time', description: 'when this price starts to apply; default now' });

export const PriceInputSchema = Type.Object({ currency: Currency, definition: PlanDefinitionSchema }, { additionalProperties: false });

export const CreatePlanBody = Type.Object(
  {
    code: Code,
    name: Name,
    kind: Kind,
    cadence: Cadence,
    timing: Timing,
    prices: Type.Array(PriceInputSchema, { minItems: 1, maxItems: 50, description: 'one definition per currency' }),
    effective_from: Type.Optional(EffectiveFrom),
  },
  { additionalProperties: false, examples: [{ ...starterPlan, prices: [{ currency: 'EUR', definition: starterEur }] }] },
);

export const CreateVersionBody = Type.Object(
  { currency: Currency, definition: PlanDefinitionSchema, effective_from: Type.Optional(EffectiveFrom) },
  { additionalProperties: false, examples: [{ currency: 'EUR', definition: starterEur2, effective_from: '2026-12-01T00:00:00Z' }] },
);

export const PlanVersionViewSchema = Type.Object({
  id: Type.Integer(),
  version: Type.Integer({ description: 'counts up per plan and currency, from 1' }),
  currency: Type.String(),
  effective_from: Timestamp,
  created_at: Timestamp,
  definition: PlanDefinitionSchema,
}, { examples: [starterV2] });

export const PlanViewSchema = Type.Object({
  id: Type.Integer(),
  code: Type.String(),
  name: Type.String(),
  kind: Kind,
  cadence: Cadence,
  timing: Timing,
  created_at: Timestamp,
  versions: Type.Array(PlanVersionViewSchema, { description: 'every version, oldest first; append-only' }),
}, { title: 'Plan', examples: [{ id: 1, ...starterPlan, created_at: created, versions: [starterV1] }] });

// ---------- price quote ----------

export const QuoteQuery = Type.Object({
  currency: Currency,
  quantities: Type.Optional(
    Type.String({ maxLength: 4000, description: 'configured quantities as service:count pairs, e.g. cpe_devices:250,public_ip:1; omitted items use their default' }),
  ),
  at: Type.Optional(Type.String({ format: 'date-time', description: 'price the version effective at this time; default now' })),
});

export const QuoteViewSchema = Type.Object({
  plan_id: Type.Integer(),
  version_id: Type.Integer(),
  version: Type.Integer(),
  currency: Type.String(),
  effective_from: Timestamp,
  quantities: Type.Record(Type.String(), Type.Integer()),
  lines: Type.Array(
    Type.Object({
      line: Type.String({ description: "'base' or the service code" }),
      quantity: Type.Integer(),
      billable: Type.Integer({ description: 'units beyond those included' }),
      before_discount: Type.String({ description: "exact decimal, one full period before the item's volume discounts" }),
      discount: Type.String({ description: 'exact decimal: what the volume discounts take off (before_discount - amount)' }),
      amount: Type.String({ description: 'exact decimal, one full period, not rounded' }),
    }),
  ),
  total: Type.String({ description: 'exact decimal, one full period, not rounded' }),
  period_amount: Type.String({ description: 'one full period in minor units, rounded once half to even' }),
  period_discount: Type.String({ description: 'what the volume discounts take off one full period, minor units: the period before them, rounded once, less period_amount' }),
}, { title: 'PriceQuote',
  examples: [
    {
      plan_id: 1,
      version_id: 1,
      version: 1,
      currency: 'EUR',
      effective_from: created,
      quantities: { cpe_devices: 150, public_ip: 0 },
      lines: [
        { line: 'base', quantity: 1, billable: 1, before_discount: '2.4', discount: '0', amount: '2.4' },
        { line: 'cpe_devices', quantity: 150, billable: 50, before_discount: '1', discount: '0', amount: '1' },
        { line: 'public_ip', quantity: 0, billable: 0, before_discount: '0', discount: '0', amount: '0' },
      ],
      total: '3.4',
      period_amount: '340',
      period_discount: '0',
    },
  ],
});

export type CreateServiceInput = Static<typeof CreateServiceBody>;
export type ServiceView = Static<typeof ServiceViewSchema>;
export type PriceInput = Static<typeof PriceInputSchema>;
export type CreatePlanInput = Static<typeof CreatePlanBody>;
export type CreateVersionInput = Static<typeof CreateVersionBody>;
export type PlanVersionView = Static<typeof PlanVersionViewSchema>;
export type PlanView = Static<typeof PlanViewSchema>;
export type QuoteView = Static<typeof QuoteViewSchema>;
