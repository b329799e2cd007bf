// Billing periods, computed in one place. Daily periods run 00:00-24:00 UTC; monthly periods
// run from the anchor day to the same day next month at 00:00 UTC, clamped to month end
// (anchor 31: Jan 31, Feb 28, Mar 31...). Pure functions of their arguments.
import type { Cadence } from '../db/schema.js';
import { Exact } from '../money/money.js';

export interface Period {
  start: Date;
  end: Date;
}

const DAY_MS = 86_400_000;

export function startOfUtcDay(t: Date): Date {
  return new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate()));
}

export function addDays(t: Date, days: number): Date {
  return new Date(t.getTime() + days * DAY_MS);
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
}

/** 00:00 UTC of the anchor day in the given month, clamped to the month's last day. */
export function monthlyBoundary(year: number, month: number, anchorDay: number): Date {
  const normalised = new Date(Date.UTC(year, month, 1));
  const y = normalised.getUTCFullYear();
  const m = normalised.getUTCMonth();
  return new Date(Date.UTC(y, m, Math.min(anchorDay, daysInMonth(y, m))));
}

export function periodContaining(cadence: Cadence, anchorDay: number, t: Date): Period {
  if (cadence === 'daily') {
    const start = startOfUtcDay(t);
    return { start, end: addDays(start, 1) };
  }
  const y = t.getUTCFullYear();
  const m = t.getUTCMonth();
  const thisMonth = monthlyBoundary(y, m, anchorDay);
  return thisMonth.getTime() <= t.getTime()
    ? { start: thisMonth, end: monthlyBoundary(y, m + 1, anchorDay) }
    : { start: monthlyBoundary(y, m - 1, anchorDay), end: thisMonth };
}

/** Whole seconds from t to the period's end, and in the whole period. */
export function secondsRemaining(period: Period, t: Date): { remaining: number; total: number } {
  const total = Math.floor((period.end.getTime() - period.start.getTime()) / 1000);
  const remaining = Math.min(Math.max(Math.floor((period.end.getTime() - t.getTime()) / 1000), 0), total);
  return { remaining, total };
}

/**
 * The part of an exact full-period amount that falls from t to the period's end:
 * amount x remaining seconds / period seconds, multiplied before dividing so that a result
 * that is exactly a tie stays one (90 s of 24.00 a day is 2.5, not 2.50000...0008).
 */
export function prorate(fullPeriod: Exact, period: Period, t: Date): Exact {
  const { remaining, total } = secondsRemaining(period, t);
  return fullPeriod.times(remaining).div(total);
}

/** The UTC midnights after `from` up to and including `to`, oldest first: the run boundaries passed. */
export function boundariesBetween(from: Date, to: Date): Date[] {
  const out: Date[] = [];
  for (let b = addDays(startOfUtcDay(from), 1); b.getTime() <= to.getTime(); b = addDays(b, 1)) out.push(b);
  return out;
}

/** Anchor days (1..31) whose monthly period starts on this UTC midnight. */
export function monthlyAnchorsStartingOn(boundary: Date): number[] {
  const day = boundary.getUTCDate();
  const last = daysInMonth(boundary.getUTCFullYear(), boundary.getUTCMonth());
  if (day < last) return [day];
  const anchors: number[] = [];
  for (let a = day; a <= 31; a++) anchors.push(a);
  return anchors;
}
