// Rating (SPEC 7), pure: what an account's new usage costs, given what it used so far. Usage is
// counted per UTC month and meter: the month's `included` units are free first, then what is
// left of the plan's `free_once` units (granted once per account), and the rest is priced by
// the meter's tiers over the month's cumulative chargeable quantity, less its automatic volume
// discounts (src/catalog/pricing.ts, discountedPrice). Each step is charged the
// month's rounded price after it less the rounded price before it (meterCharge), so a
// month's charges add up to its price rounded once however its usage was split into steps.
// Usage of a meter no plan of the account prices is counted, and charged nothing.
import type { MeterPrice } from '../catalog/plan-definition.js';
import { Exact, type Minor } from '../money/money.js';
import { meterCharge } from '../catalog/pricing.js';

/** New usage of one meter on one UTC day (for a gauge: the unit-hours its new peaks add). */
export interface UsageDay {
  meter: string;
  /** 'YYYY-MM-DD', UTC. */
  day: string;
  quantity: Exact;
}

/** What a meter's usage came to in a month so far. */
export interface MonthState {
  quantity: Exact;
  includedUsed: Exact;
  freeOnceUsed: Exact;
  charged: Minor;
}

export interface UsageSoFar {
  currency: string;
  /** The meters the account's plan prices, by meter code. */
  prices: ReadonlyMap<string, MeterPrice>;
  /** By `${meter}/${month}`; a month not in it has used nothing yet. */
  months: ReadonlyMap<string, MonthState>;
  /** The account's `free_once` units used so far, by meter. */
  freeOnceUsed: ReadonlyMap<string, Exact>;
}

export interface RatedLine {
  meter: string;
  day: string;
  quantity: Exact;
  /** Of `quantity`, what the month's included units and the once-free units covered. */
  free: Exact;
  /** The price before the volume discount, the discount, and the price paid (`amount`). */
  gross: Minor;
  discount: Minor;
  amount: Minor;
  /** False when no plan of the account prices the meter: counted, not charged. */
  priced: boolean;
  /** Set when this usage took the month past the meter's quota: the month's usage after it. */
  overQuota?: { quota: number; used: Exact };
}

export interface Rated {
  lines: RatedLine[];
  /** Every month state the usage changed, by `${meter}/${month}`. */
  months: Map<string, MonthState>;
  freeOnceUsed: Map<string, Exact>;
  total: Minor;
}

const ZERO = new Exact(0);
export const monthKey = (meter: string, day: string) => `${meter}/${day.slice(0, 7)}`;
const emptyMonth = (): MonthState => ({ quantity: ZERO, includedUsed: ZERO, freeOnceUsed: ZERO, charged: 0n });

/** Rates new usage day by day, in day order, against the month so far. */
export function rateUsage(soFar: UsageSoFar, usage: readonly UsageDay[]): Rated {
  const months = new Map<string, MonthState>();
  const freeOnceUsed = new Map<string, Exact>();
  const lines: RatedLine[] = [];
  let total = 0n;
  const ordered = [...usage].sort((a, b) => (a.day === b.day ? (a.meter < b.meter ? -1 : a.meter > b.meter ? 1 : 0) : a.day < b.day ? -1 : 1));
  for (const { meter, day, quantity } of ordered) {
    const key = monthKey(meter, day);
    const month = months.get(key) ?? soFar.months.get(key) ?? emptyMonth();
    const price = soFar.prices.get(meter);
    if (!price) {
      months.set(key, { ...month, quantity: month.quantity.plus(quantity) });
      lines.push({ meter, day, quantity, free: ZERO, gross: 0n, discount: 0n, amount: 0n, priced: false });
      continue;
    }
    const includedFree = Exact.min(quantity, Exact.max(ZERO, new Exact(price.included).minus(month.includedUsed)));
    const onceUsed = freeOnceUsed.get(meter) ?? soFar.freeOnceUsed.get(meter) ?? ZERO;
    const onceFree = Exact.min(quantity.minus(includedFree), Exact.max(ZERO, new Exact(price.free_once).minus(onceUsed)));
    const free = includedFree.plus(onceFree);
    const chargeableBefore = month.quantity.minus(month.includedUsed).minus(month.freeOnceUsed);
    const { gross, discount, net: amount } = meterCharge(price, chargeableBefore, quantity.minus(free), soFar.currency);
    months.set(key, {
      quantity: month.quantity.plus(quantity),
      includedUsed: month.includedUsed.plus(includedFree),
      freeOnceUsed: month.freeOnceUsed.plus(onceFree),
      charged: month.charged + amount,
    });
    if (!onceFree.isZero()) freeOnceUsed.set(meter, onceUsed.plus(onceFree));
    const used = month.quantity.plus(quantity);
    const passed = price.quota !== undefined && month.quantity.lte(price.quota) && used.gt(price.quota);
    lines.push({ meter, day, quantity, free, gross, discount, amount, priced: true, ...(passed ? { overQuota: { quota: price.quota!, used } } : {}) });
    total += amount;
  }
  return { lines, months, freeOnceUsed, total };
}
