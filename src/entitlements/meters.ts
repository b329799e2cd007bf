// May the account send more of a metered service (SPEC 7, 11)? Pure, from what the cache holds:
// the meter's price in the account's active plan, the month's usage so far, the free units
// left and the available funds. Without a quantity: allowed while anything is free or funds
// are above zero (usage already charged into debt turns it off). With a quantity: allowed when
// the free units and the available funds cover that much more, priced as rating would. A
// meter's monthly quota comes first: used up, or passed by the quantity, is `quota_reached`.
import type { MeterPrice } from '../catalog/plan-definition.js';
import { meterCharge } from '../catalog/pricing.js';
import { Exact, type Minor } from '../money/money.js';

/** A meter an active plan prices, with the account's usage of it as last rated. */
export interface MeterStanding {
  price: MeterPrice;
  /** The month `quantity`, `includedUsed` and `freeOnceUsedInMonth` belong to; null: never used. */
  month: string | null;
  quantity: Exact;
  includedUsed: Exact;
  freeOnceUsedInMonth: Exact;
  /** The plan's `free_once` units used so far, in every month. */
  freeOnceUsed: Exact;
}

export interface MeterCheck {
  /** 'YYYY-MM', UTC: the month asked about (usage of an earlier month counts as none). */
  month: string;
  available: Minor;
  currency: string;
  /** How much more the product means to send; absent: any at all? */
  quantity?: Exact;
}

export interface MeterAnswer {
  allowed: boolean;
  /** Why not, when not: the month's quota is used up, or the funds do not cover it. */
  reason?: 'quota_reached' | 'insufficient_funds';
  /** Whole units used this month (the exact figure is `used`). */
  usedUnits: number;
  details: {
    month: string;
    /** This month's usage, exact. */
    used: string;
    /** Included units left this month plus once-free units left. */
    free_remaining: string;
    /** Available funds, integer minor units. */
    available: string;
    /** With a quantity asked about: that quantity and what it would cost, integer minor units. */
    quantity?: string;
    cost?: string;
  };
}

const ZERO = new Exact(0);

export function meterAnswer(standing: MeterStanding, check: MeterCheck): MeterAnswer {
  const { price } = standing;
  const thisMonth = standing.month === check.month;
  const quantity = thisMonth ? standing.quantity : ZERO;
  const includedUsed = thisMonth ? standing.includedUsed : ZERO;
  const onceInMonth = thisMonth ? standing.freeOnceUsedInMonth : ZERO;
  const freeLeft = Exact.max(ZERO, new Exact(price.included).minus(includedUsed)).plus(Exact.max(ZERO, new Exact(price.free_once).minus(standing.freeOnceUsed)));
  const details: MeterAnswer['details'] = { month: check.month, used: quantity.toString(), free_remaining: freeLeft.toString(), available: check.available.toString() };
  const usedUnits = quantity.floor().toNumber();
  const verdict = (overQuota: boolean, funded: boolean) =>
    overQuota ? { allowed: false, reason: 'quota_reached' as const } : funded ? { allowed: true } : { allowed: false, reason: 'insufficient_funds' as const };
  if (check.quantity === undefined) return { ...verdict(price.quota !== undefined && quantity.gte(price.quota), freeLeft.gt(0) || check.available > 0n), usedUnits, details };
  const free = Exact.min(check.quantity, freeLeft);
  const cost = meterCharge(price, quantity.minus(includedUsed).minus(onceInMonth), check.quantity.minus(free), check.currency).net;
  const overQuota = price.quota !== undefined && quantity.plus(check.quantity).gt(price.quota);
  return { ...verdict(overQuota, cost <= 0n || cost <= check.available), usedUnits, details: { ...details, quantity: check.quantity.toString(), cost: cost.toString() } };
}
