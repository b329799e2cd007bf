// What a budget's spend means (SPEC 4), from plain data: which of its shares it crossed, and
// whether a stop budget is reached. No database, no clock. A share is told once per crossing:
// the spend going back under it (a refund) arms it again; a new period starts every budget
// afresh.
import type { BudgetAction, BudgetPeriod } from '../db/schema.js';
import type { Minor } from '../money/money.js';

export interface BudgetState {
  period: BudgetPeriod;
  amount: Minor;
  action: BudgetAction;
  notifyAt: readonly number[];
  periodKey: string | null;
  notified: readonly number[];
  reached: boolean;
}

export interface Crossing {
  /** The budget's state for `periodKey`. */
  periodKey: string;
  notified: number[];
  reached: boolean;
  /** Shares newly crossed, lowest first: each is told once. */
  crossed: number[];
  /** A stop budget reached by this spend (it was not before). */
  nowReached: boolean;
  /** A stop budget no longer reached (a refund, a higher limit, or a new period). */
  nowReleased: boolean;
}

/** The UTC day (YYYY-MM-DD) or month (YYYY-MM) a budget's period at `at` is. */
export const periodKeyOf = (period: BudgetPeriod, at: Date): string => at.toISOString().slice(0, period === 'day' ? 10 : 7);

/** The first UTC day of that period. */
export const periodStartOf = (period: BudgetPeriod, at: Date): string => (period === 'day' ? at.toISOString().slice(0, 10) : `${at.toISOString().slice(0, 7)}-01`);

/** Whether `spent` is at or past `share` percent of `amount`, exactly. */
export const atShare = (spent: Minor, amount: Minor, share: number): boolean => spent * 100n >= amount * BigInt(share);

export function crossings(budget: BudgetState, spent: Minor, periodKey: string): Crossing {
  const fresh = budget.periodKey !== periodKey;
  const before = new Set(fresh ? [] : budget.notified);
  const wasReached = !fresh && budget.reached;
  const notified = [...new Set(budget.notifyAt)].filter((share) => atShare(spent, budget.amount, share)).sort((a, b) => a - b);
  const reached = budget.action === 'stop' && spent >= budget.amount;
  return {
    periodKey,
    notified,
    reached,
    crossed: notified.filter((share) => !before.has(share)),
    nowReached: reached && !wasReached,
    // Reached in an earlier period and now in a new one counts as released too.
    nowReleased: budget.reached && !reached,
  };
}
