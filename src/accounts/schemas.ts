// Request bodies of the accounts API. Shapes only; ranges that need a stable code of their
// own (currency, amounts) are decided by the operations.
import { Type, type Static } from 'typebox';
import { AmountString } from './amount.js';

const Name = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S', description: 'display name, not blank' });
const ThresholdDays = Type.Integer({ minimum: 1, maximum: 365, description: 'warn when available funds cover fewer days of current spend' });
const BillingEmails = Type.Array(Type.String({ format: 'email', maxLength: 254 }), {
  maxItems: 20,
  uniqueItems: true,
  description: 'extra addresses that receive billing notices',
});

export const CreateAccountBody = Type.Object(
  {
    name: Name,
    currency: Type.String({ maxLength: 16, description: 'ISO 4217 code, upper case (EUR, USD, JPY)' }),
    external_ref: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: "the provider's own id for this customer, unique" })),
    type: Type.Optional(Type.Union([Type.Literal('trial'), Type.Literal('billing')], { description: 'trial by default' })),
    credit_enabled: Type.Optional(Type.Boolean({ description: 'allow the balance below zero down to the system credit limit' })),
    low_balance_threshold: Type.Optional(AmountString),
    low_balance_threshold_days: Type.Optional(ThresholdDays),
    billing_emails: Type.Optional(BillingEmails),
  },
  { additionalProperties: false, examples: [{ name: 'Acme GmbH', currency: 'EUR', external_ref: 'acme-1' }] },
);
export type CreateAccountBody = Static<typeof CreateAccountBody>;

export const UpdateSettingsBody = Type.Object(
  {
    name: Type.Optional(Name),
    credit_enabled: Type.Optional(Type.Boolean({ description: 'turning credit off while the balance is negative is refused (credit_in_use)' })),
    low_balance_threshold: Type.Optional(Type.Union([AmountString, Type.Null()], { description: 'null removes it' })),
    low_balance_threshold_days: Type.Optional(Type.Union([ThresholdDays, Type.Null()], { description: 'null removes it' })),
    billing_emails: Type.Optional(BillingEmails),
  },
  { additionalProperties: false, minProperties: 1, examples: [{ low_balance_threshold: '1000', billing_emails: ['billing@acme.example'] }] },
);
export type UpdateSettingsBody = Static<typeof UpdateSettingsBody>;

export const AdjustmentBody = Type.Object(
  {
    direction: Type.Union([Type.Literal('credit'), Type.Literal('debit')], { description: 'credit adds to the balance, debit takes from it' }),
    amount: AmountString,
    reason: Type.String({ minLength: 1, maxLength: 500, pattern: '\\S', description: 'why the operator adjusts; shown in the ledger' }),
  },
  { additionalProperties: false, examples: [{ direction: 'credit', amount: '5000', reason: 'bank transfer' }] },
);
export type AdjustmentBody = Static<typeof AdjustmentBody>;

export const AccountParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) });
