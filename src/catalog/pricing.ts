// Pricing: what one full period of a configuration costs, exactly (not rounded), item by
// item, and what a mid-period change costs or refunds. Pure functions over plain data.
import type { Period } from '../time/periods.js';
import { prorate } from '../time/periods.js';
import { Exact, type Minor, roundToMinor } from '../money/money.js';
import type { Discounted, PlanDefinition, PlanItem, Tier } from './plan-definition.js';

export type Quantities = Record<string, number>;

export interface PricedLine {
  /** 'base' for the plan's own price, otherwise the service code. */
  line: string;
  quantity: number;
  billable: number;
  /** The price before the item's volume discounts; `amount` is after them. */
  gross: Exact;
  amount: Exact;
}

export interface PeriodPrice {
  lines: PricedLine[];
  /** Before the volume discounts; `total` is after them (what is charged). */
  gross: Exact;
  total: Exact;
}

const ZERO = new Exact(0);

/** Units in each tier, graduated: the first up_to units at tier 1's price, and so on. */
function graduated(tiers: readonly Tier[], units: Exact): Exact {
  let total = ZERO;
  let from = ZERO;
  for (const tier of tiers) {
    if (units.lte(from)) break;
    const to = tier.up_to === null ? units : Exact.min(units, tier.up_to);
    total = total.plus(new Exact(tier.unit_price).times(to.minus(from))).plus(tier.flat_price ?? 0);
    from = to;
  }
  return total;
}

/** Every unit at the price of the tier the total falls in. */
function volume(tiers: readonly Tier[], units: Exact): Exact {
  if (units.isZero()) return ZERO;
  const tier = tiers.find((t) => t.up_to === null || units.lte(t.up_to)) ?? tiers[tiers.length - 1]!;
  return new Exact(tier.unit_price).times(units).plus(tier.flat_price ?? 0);
}

/**
 * The exact price of `quantity` units under an item, after the units it includes: a unit
 * price, or graduated or volume tiers. Quantities may be decimal (metered GB-hours).
 */
export function priceOfUnits(item: Pick<PlanItem, 'tier_mode' | 'tiers' | 'unit_price' | 'included'>, quantity: Exact): Exact {
  const billable = Exact.max(ZERO, quantity.minus(item.included));
  if (item.tier_mode === 'graduated') return graduated(item.tiers ?? [], billable);
  if (item.tier_mode === 'volume') return volume(item.tiers ?? [], billable);
  return new Exact(item.unit_price ?? 0).times(billable);
}

/**
 * What `added` units of a meter cost in a month that had used `before` (SPEC 7), in minor units:
 * the month's rounded price after them less its rounded price before, so a month's charges add
 * up to exactly its price rounded once, however its usage was split into rating steps. Volume
 * tiers can make it negative: crossing into a cheaper tier lowers the price of every unit.
 */
export function usageCharge(item: Pick<PlanItem, 'tier_mode' | 'tiers' | 'unit_price' | 'included'>, before: Exact, added: Exact, currency: string): Minor {
  return roundToMinor(priceOfUnits(item, before.plus(added)), currency) - roundToMinor(priceOfUnits(item, before), currency);
}

/**
 * The price of `quantity` chargeable units (a meter's month, an item's billable units in a
 * period) after the automatic volume discounts (seed 003), exact: each level takes its percent
 * off the price of the units above its `from`, up to the next level's, so more units are
 * cheaper at the margin and crossing a level never makes the whole cost less.
 */
export function discountedPrice(price: Discounted, quantity: Exact): Exact {
  const item = { ...price, included: 0 };
  const levels = price.discounts ?? [];
  let discount = ZERO;
  levels.forEach((level, i) => {
    if (quantity.lte(level.from)) return;
    const next = levels[i + 1];
    const upTo = next === undefined ? quantity : Exact.min(quantity, next.from);
    discount = discount.plus(priceOfUnits(item, upTo).minus(priceOfUnits(item, new Exact(level.from))).times(level.percent).div(100));
  });
  return priceOfUnits(item, quantity).minus(discount);
}

export interface MeterCharge {
  /** The price before the discount, the discount, and the price paid (gross - discount), minor units. */
  gross: Minor;
  discount: Minor;
  net: Minor;
}

/**
 * What `added` chargeable units of a meter cost after `before` in a month, with and without its
 * volume discounts; each figure is the month's rounded price after less its rounded price
 * before, so the charges of a month add up to its prices rounded once (see usageCharge).
 */
export function meterCharge(price: Discounted, before: Exact, added: Exact, currency: string): MeterCharge {
  const gross = usageCharge({ ...price, included: 0 }, before, added, currency);
  if (!price.discounts?.length) return { gross, discount: 0n, net: gross };
  const after = before.plus(added);
  const net = roundToMinor(discountedPrice(price, after), currency) - roundToMinor(discountedPrice(price, before), currency);
  return { gross, discount: gross - net, net };
}

/** An item's line for one period: its price before and after its volume discounts, which count the billable units. */
export function itemPrice(item: PlanItem, quantity: number): PricedLine {
  const billable = Math.max(0, quantity - item.included);
  const gross = priceOfUnits(item, new Exact(quantity));
  const amount = item.discounts?.length ? discountedPrice(item, new Exact(billable)) : gross;
  return { line: item.service, quantity, billable, gross, amount };
}

/** Quantities with the plan's defaults filled in for items the request left out. */
export function withDefaults(definition: PlanDefinition, quantities: Quantities): Quantities {
  const out: Quantities = {};
  for (const item of definition.items) out[item.service] = quantities[item.service] ?? item.default;
  return out;
}

/** Refusals for quantities the plan does not allow: unknown items, outside min..max. */
export function quantityProblems(definition: PlanDefinition, quantities: Quantities): { field: string; detail: string }[] {
  const problems: { field: string; detail: string }[] = [];
  const items = new Map(definition.items.map((i) => [i.service, i]));
  for (const [service, quantity] of Object.entries(quantities)) {
    const item = items.get(service);
    if (!item) problems.push({ field: `/quantities/${service}`, detail: `the plan has no item ${service}` });
    else if (!Number.isSafeInteger(quantity) || quantity < item.min || (item.max !== null && quantity > item.max)) {
      problems.push({ field: `/quantities/${service}`, detail: `${service} must be a whole number from ${item.min} to ${item.max ?? 'any'}` });
    }
  }
  return problems;
}

export function periodPrice(definition: PlanDefinition, quantities: Quantities): PeriodPrice {
  const full = withDefaults(definition, quantities);
  const base = new Exact(definition.base_price ?? 0);
  const lines: PricedLine[] = [{ line: 'base', quantity: 1, billable: 1, gross: base, amount: base }];
  for (const item of definition.items) lines.push(itemPrice(item, full[item.service] ?? 0));
  return { lines, gross: lines.reduce((sum, l) => sum.plus(l.gross), ZERO), total: lines.reduce((sum, l) => sum.plus(l.amount), ZERO) };
}

/** The same period priced without its volume discounts: what a charge's discount is measured from. */
export const beforeDiscounts = (price: PeriodPrice): PeriodPrice => ({ lines: price.lines.map((l) => ({ ...l, amount: l.gross })), gross: price.gross, total: price.gross });

/** One full period rounded once: what the billing run charges (`amount`), and what the volume discounts took off it. */
export function periodCharge(price: PeriodPrice, currency: string): { amount: Minor; discount: Minor } {
  const amount = roundToMinor(price.total, currency);
  return { amount, discount: roundToMinor(price.gross, currency) - amount };
}

/** The part of a full period's price from `at` to the period end, rounded once. */
export function proratedAmount(fullPeriod: Exact, period: Period, at: Date, currency: string): Minor {
  return roundToMinor(prorate(fullPeriod, period, at), currency);
}

export interface ChangeQuote {
  /** Positive: charge now; negative: refund now; zero: nothing moves. */
  amount: Minor;
  /** Per line, the full-period difference the quote prorates (refund-free decreases count as 0). */
  lines: { line: string; from: Exact; to: Exact; counted: Exact }[];
}

/**
 * A mid-period change from one priced configuration to another: increases are charged for the
 * rest of the period, decreases refunded the same way unless the item's policy says no
 * refund. The net difference is prorated and rounded once.
 */
export function quoteChange(
  before: PeriodPrice,
  after: PeriodPrice,
  refundable: (line: string) => boolean,
  period: Period,
  at: Date,
  currency: string,
): ChangeQuote {
  const names = new Set([...before.lines, ...after.lines].map((l) => l.line));
  const lines = [...names].map((line) => {
    const from = before.lines.find((l) => l.line === line)?.amount ?? new Exact(0);
    const to = after.lines.find((l) => l.line === line)?.amount ?? new Exact(0);
    const diff = to.minus(from);
    return { line, from, to, counted: diff.isNegative() && !refundable(line) ? new Exact(0) : diff };
  });
  const net = lines.reduce((sum, l) => sum.plus(l.counted), new Exact(0));
  return { amount: roundToMinor(prorate(net, period, at), currency), lines };
}

export interface MarkedChange {
  /** The quantities to price the change between: a kept-paid item counts from its mark. */
  before: Quantities;
  after: Quantities;
  /** The period's paid mark once the change is made. */
  mark: Quantities;
}

/**
 * Seats (SPEC 6): a unit of an item whose decrease is not refunded stays paid until its period
 * ends, so such an item is paid up to the period's highest quantity (its mark), and only units
 * above the mark cost anything: a seat deleted and created again costs nothing. An item whose
 * decrease is refunded is paid for exactly what is configured. Pure.
 */
export function markedChange(definition: PlanDefinition, mark: Quantities, before: Quantities, after: Quantities): MarkedChange {
  const out: MarkedChange = { before: { ...before }, after: { ...after }, mark: { ...after } };
  for (const item of definition.items) {
    if (item.decrease !== 'none') continue;
    const was = before[item.service] ?? item.default;
    const paidUpTo = Math.max(mark[item.service] ?? was, was);
    out.before[item.service] = paidUpTo;
    out.after[item.service] = Math.max(after[item.service] ?? item.default, paidUpTo);
    out.mark[item.service] = out.after[item.service]!;
  }
  return out;
}

export function refundPolicy(definition: PlanDefinition): (line: string) => boolean {
  const policy = new Map(definition.items.map((i) => [i.service, i.decrease === 'refund']));
  return (line) => policy.get(line) ?? true;
}
