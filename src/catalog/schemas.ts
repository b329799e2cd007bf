// The catalog's HTTP shapes. Decimals stay strings exactly as given; amounts in minor units
// are strings of integers; times are ISO 8601 in UTC.
import { Type, type Static } from 'typebox';
import { PlanDefinitionSchema } from './plan-definition.js';

const Code = Type.String({ pattern: '^[a-z][a-z0-9_]{0,62}$', description: 'stable machine name: lower case, digits, underscores' });
const Name = Type.String({ minLength: 1, maxLength: 200 });
const Timestamp = Type.String({ format: 'date-time' });
const Currency = Type.String({ minLength: 1, maxLength: 8, description: 'ISO 4217 code, e.g. EUR' });

export const IdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) });

// ---------- services ----------

export const CreateServiceBody = Type.Object(
  {
    code: Code,
    name: Name,
    unit: Type.String({ minLength: 1, maxLength: 50, description: 'what one unit is: device, e-mail, seat...' }),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);

export const ServiceViewSchema = Type.Object({
  id: Type.Integer(),
  code: Type.String(),
  name: Type.String(),
  unit: Type.String(),
  description: Type.String(),
  created_at: Timestamp,
});

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
  { additionalProperties: false },
);

export const CreateVersionBody = Type.Object(
  { currency: Currency, definition: PlanDefinitionSchema, effective_from: Type.Optional(EffectiveFrom) },
  { additionalProperties: false },
);

export const PlanVersionViewSchema = Type.Object({
  id: Type.Integer(),
  version: Type.Integer({ description: 'counts up per plan and currency, from 1' }),
  currency: Type.String(),
  effective_from: Timestamp,
  created_at: Timestamp,
  definition: PlanDefinitionSchema,
});

export const PlanViewSchema = Type.Object({
  id: Type.Integer(),
  code: Type.String(),
  name: Type.String(),
  kind: Kind,
  cadence: Cadence,
  timing: Timing,
  created_at: Timestamp,
  versions: Type.Array(PlanVersionViewSchema, { description: 'every version, oldest first; append-only' }),
});

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
      amount: Type.String({ description: 'exact decimal, one full period, not rounded' }),
    }),
  ),
  total: Type.String({ description: 'exact decimal, one full period, not rounded' }),
  period_amount: Type.String({ description: 'one full period in minor units, rounded once half to even' }),
});

export type CreateServiceInput = Static<typeof CreateServiceBody>;
export type ServiceView = Static<typeof ServiceViewSchema>;
export type PriceInput = Static<typeof PriceInputSchema>;
export type CreatePlanInput = Static<typeof CreatePlanBody>;
export type CreateVersionInput = Static<typeof CreateVersionBody>;
export type PlanVersionView = Static<typeof PlanVersionViewSchema>;
export type PlanView = Static<typeof PlanViewSchema>;
export type QuoteView = Static<typeof QuoteViewSchema>;
