// What a lifecycle change costs, as plain data: no database, no clock. Each function answers
// one question with the money movements it implies and what available funds must cover.
//
// A period counts as paid when a posting with billed_period_start = period.start exists for
// the subscription (the caller looks it up and passes `paid`). In advance, that posting is made
// when the period starts; in arrears (a used UTC date, SPEC 3), after the date ends or when the
// subscription leaves it early. Mid-period corrections are adjustments without a period.
import type { Period } from '../time/periods.js';
import type { Cadence, SubscriptionStatus, Timing } from '../db/schema.js';
import { Exact, type Minor } from '../money/money.js';
import { type ChangeQuote, type PeriodPrice, beforeDiscounts, proratedAmount, quoteChange } from '../catalog/pricing.js';

export interface Movement {
  /** Positive: charged to the customer; negative: refunded. */
  amount: Minor;
  /** A charge's part the plan items' volume discounts took off: its price before them is amount + discount. */
  discount?: Minor;
  /** Set when this movement is the one posting that pays the period starting here. */
  periodStart?: Date;
  description: string;
  /** A plan change's movement of the plan it leaves: its revenue, and the grants it draws, are that plan's. */
  oldPlan?: true;
}

export interface Decision {
  movements: Movement[];
  /** What available funds must cover for the change to go ahead; 0 when nothing is checked. */
  fundsRequired: Minor;
  /** Per line, the full-period difference a mid-period change prorated. */
  quote?: ChangeQuote;
}

/** A period is paid when one of the subscription's paying postings starts exactly at its start. */
export function periodIsPaid(paidPeriodStarts: Iterable<Date>, period: Period): boolean {
  for (const start of paidPeriodStarts) if (start.getTime() === period.start.getTime()) return true;
  return false;
}

export const NOTHING: Decision = { movements: [], fundsRequired: 0n };

export const netAmount = (decision: Decision): Minor => decision.movements.reduce((sum, m) => sum + m.amount, 0n);

/** The customer may go ahead when nothing needs covering or available funds cover it. */
export const fundsCover = (decision: Decision, available: Minor): boolean => decision.fundsRequired <= 0n || decision.fundsRequired <= available;

export interface Priced {
  timing: Timing;
  period: Period;
  price: PeriodPrice;
  /** One full period, rounded once (the subscription's period_amount), and what its volume discounts take off it. */
  periodAmount: Minor;
  periodDiscount: Minor;
  currency: string;
}

/** What the volume discounts took off a charge for the rest of a period from `at`: its price before them, prorated and rounded once, less the charge. */
function proratedDiscount(price: PeriodPrice, amount: Minor, period: Period, at: Date, currency: string): Minor {
  const discount = proratedAmount(price.gross, period, at, currency) - amount;
  return discount > 0n ? discount : 0n;
}

/** A movement with its discount, when there is one. */
const discounted = (movement: Movement, discount: Minor): Movement => (discount > 0n && movement.amount > 0n ? { ...movement, discount } : movement);

/**
 * Starting (create) or restarting (enable, resume) at `from`. A paid period costs nothing more
 * (seed 001: disable and enable inside the paid period; seed 000: re-activating on a date
 * already charged). In advance, the rest of the period is charged at once, and a start at the
 * period's beginning pays the whole period. In arrears nothing is charged now, but available
 * funds must cover one full period: the date will be charged whatever happens, even into
 * debt, so a customer who cannot pay for it may not start running one up.
 */
export function activation(s: Priced & { paid: boolean; from: Date; description: string }): Decision {
  if (s.paid) return NOTHING;
  if (s.timing === 'in_arrears') return { movements: [], fundsRequired: s.periodAmount };
  const whole = s.from.getTime() <= s.period.start.getTime();
  const amount = whole ? s.periodAmount : proratedAmount(s.price.total, s.period, s.from, s.currency);
  const discount = whole ? s.periodDiscount : proratedDiscount(s.price, amount, s.period, s.from, s.currency);
  return { movements: [discounted({ amount, periodStart: s.period.start, description: s.description }, discount)], fundsRequired: amount };
}

/**
 * Stopping (disable, or leaving an in-arrears plan). In advance nothing comes back (seed 001:
 * the paid period stays paid). In arrears the date it was active on is charged at once, the
 * full daily price, unless already charged (seed 000). That charge is made even when funds do
 * not cover it: the date was used, refusing the disable would only let the customer run up
 * more of it, and a provider expects the debt on the ledger (repaid by the next top-up) rather
 * than a service it cannot switch off.
 */
export function deactivation(
  s: Pick<Priced, 'timing' | 'period' | 'periodAmount' | 'periodDiscount'> & {
    status: SubscriptionStatus;
    paid: boolean;
    description: string;
    /** The previous date, when it was used and the night's run has not charged it yet. */
    previousDayOwed?: { start: Date; description: string };
  },
): Decision {
  if (s.timing !== 'in_arrears' || s.status !== 'active') return NOTHING;
  const movements: Movement[] = [];
  if (s.previousDayOwed) movements.push(discounted({ amount: s.periodAmount, periodStart: s.previousDayOwed.start, description: s.previousDayOwed.description }, s.periodDiscount));
  if (!s.paid) movements.push(discounted({ amount: s.periodAmount, periodStart: s.period.start, description: s.description }, s.periodDiscount));
  return movements.length === 0 ? NOTHING : { movements, fundsRequired: 0n };
}

/**
 * A mid-period change of configuration (or of plan with the same cadence and timing): when
 * the current period is paid, the difference is charged or refunded for the rest of it, each
 * decreasing line per the old configuration's refund policy (seed 001). An unpaid period
 * moves no money: it will be paid at the new price when it is billed.
 */
export function reconfiguration(s: {
  paid: boolean;
  before: PeriodPrice;
  after: PeriodPrice;
  refundable: (line: string) => boolean;
  period: Period;
  at: Date;
  currency: string;
  description: string;
}): Decision {
  if (!s.paid) return NOTHING;
  const quote = quoteChange(s.before, s.after, s.refundable, s.period, s.at, s.currency);
  // An increase's discount: the same change priced before the volume discounts, less the charge.
  const discount = quoteChange(beforeDiscounts(s.before), beforeDiscounts(s.after), s.refundable, s.period, s.at, s.currency).amount - quote.amount;
  const movements = quote.amount === 0n ? [] : [discounted({ amount: quote.amount, description: s.description }, discount)];
  return { movements, fundsRequired: quote.amount > 0n ? quote.amount : 0n, quote };
}

export interface BillingShape {
  cadence: Cadence;
  timing: Timing;
}

export const sameShape = (a: BillingShape, b: BillingShape) => a.cadence === b.cadence && a.timing === b.timing;

const EMPTY_PRICE: PeriodPrice = { lines: [], gross: new Exact(0), total: new Exact(0) };

/**
 * A plan change that changes cadence or timing: the old period is closed (in advance: the
 * rest refunded per the old policy; in arrears: the date charged as on disable) and, when the
 * subscription runs, the new plan's period opened from now. When the new period's start is
 * already marked paid (both periods start at today's 00:00), the new charge is an adjustment
 * and, in arrears, the full new price is charged at once, since no run will bill that period.
 */
export function planSwitch(s: {
  status: SubscriptionStatus;
  old: Priced & { paid: boolean; refundable: (line: string) => boolean };
  next: Priced & { startTaken: boolean };
  at: Date;
}): Decision {
  const movements: Movement[] = [];
  const { old, next } = s;
  if (old.timing === 'in_advance' && old.paid) {
    const refund = quoteChange(old.price, EMPTY_PRICE, old.refundable, old.period, s.at, old.currency).amount;
    if (refund !== 0n) movements.push({ amount: refund, description: 'Refund of the rest of the old plan period', oldPlan: true });
  }
  movements.push(...deactivation({ ...old, status: s.status, description: 'Old plan: the date it was used' }).movements.map((m): Movement => ({ ...m, oldPlan: true })));
  if (s.status !== 'active') return { movements, fundsRequired: 0n };
  const taken = next.startTaken || movements.some((m) => m.periodStart?.getTime() === next.period.start.getTime());
  let reserve = 0n;
  if (next.timing === 'in_advance') {
    const amount = proratedAmount(next.price.total, next.period, s.at, next.currency);
    const discount = proratedDiscount(next.price, amount, next.period, s.at, next.currency);
    movements.push(discounted({ amount, ...(taken ? {} : { periodStart: next.period.start }), description: 'New plan from now to the period end' }, discount));
  } else if (taken) {
    movements.push(discounted({ amount: next.periodAmount, description: 'New plan: the date it is used' }, next.periodDiscount));
  } else {
    reserve = next.periodAmount;
  }
  const net = movements.reduce((sum, m) => sum + m.amount, 0n);
  return { movements, fundsRequired: (net > 0n ? net : 0n) + reserve };
}
