// A requested configuration of a plan version: validated against the plan's items, defaults
// filled in, priced for one full period and rounded once.
import { type PeriodPrice, type Quantities, periodCharge, periodPrice, quantityProblems, withDefaults } from '../catalog/pricing.js';
import type { PlanDefinition } from '../catalog/plan-definition.js';
import { MAX_MINOR, type Minor } from '../money/money.js';
import { type Result, fail, ok } from '../shared/result.js';

export interface Configuration {
  quantities: Quantities;
  price: PeriodPrice;
  periodAmount: Minor;
  /** What the items' volume discounts take off one full period. */
  periodDiscount: Minor;
}

export function priceConfiguration(definition: PlanDefinition, requested: Quantities, currency: string): Result<Configuration> {
  const [problem] = quantityProblems(definition, requested);
  if (problem) return fail('validation_failed', problem.detail, { field: problem.field });
  const quantities = withDefaults(definition, requested);
  const price = periodPrice(definition, quantities);
  const { amount: periodAmount, discount: periodDiscount } = periodCharge(price, currency);
  if (periodAmount + periodDiscount > MAX_MINOR) return fail('amount_out_of_range', 'this configuration costs more per period than Kassa can hold', { field: '/quantities' });
  return ok({ quantities, price, periodAmount, periodDiscount });
}
