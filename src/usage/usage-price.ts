// What usage costs (SPEC 7), pure. A plan item prices a meter over the calendar month's
// cumulative usage: a unit price, or graduated or volume tiers, after the units it includes.
// Quantities are exact decimals (GB-hours), so tiers are priced exactly. Usage is rated as it
// comes, many times a month: each charge is the month's rounded price after it less the
// month's rounded price before it, so the charges of a month always add up to exactly its
// price rounded once, however the usage was split into steps.
import type { PlanItem } from '../catalog/plan-definition.js';
import { priceOfUnits } from '../catalog/pricing.js';
import { type Exact, type Minor, roundToMinor } from '../money/money.js';

/** The exact price of `quantity` used in a month under `item`, after its included units. */
export const usagePrice = priceOfUnits;

/**
 * What `added` units cost in a month that had used `before`, in minor units. Volume tiers can
 * make it negative: crossing into a cheaper tier lowers the price of the month's every unit.
 */
export function usageCharge(item: Pick<PlanItem, 'tier_mode' | 'tiers' | 'unit_price' | 'included'>, before: Exact, added: Exact, currency: string): Minor {
  return roundToMinor(usagePrice(item, before.plus(added)), currency) - roundToMinor(usagePrice(item, before), currency);
}
