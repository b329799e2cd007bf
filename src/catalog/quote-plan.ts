// A price preview for the configurator: what one full period of a plan costs for given
// quantities, line by line, at the version effective at a given time. Writes nothing.
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { plans } from '../db/schema.js';
import { isCurrency } from '../money/money.js';
import { type Result, fail, ok } from '../shared/result.js';
import { type Quantities, periodCharge, periodPrice, quantityProblems, withDefaults } from './pricing.js';
import type { QuoteView } from './schemas.js';
import { effectiveVersion } from './versions.js';

const PAIR = /^([a-z][a-z0-9_]{0,62}):(0|[1-9][0-9]{0,9})$/;

/** "cpe_devices:250,public_ip:1" to quantities; the empty string is no quantities. */
export function parseQuantities(text: string): Result<Quantities> {
  const quantities: Quantities = {};
  for (const pair of text.split(',').filter((p) => p.trim() !== '')) {
    const match = PAIR.exec(pair.trim());
    if (!match) return fail('validation_failed', `"${pair}" is not service:count`, { field: '/querystring/quantities' });
    const [, service, count] = match as unknown as [string, string, string];
    if (service in quantities) return fail('validation_failed', `${service} is given twice`, { field: '/querystring/quantities' });
    quantities[service] = Number(count);
  }
  return ok(quantities);
}

export interface QuoteRequest {
  planId: number;
  currency: string;
  quantities: Quantities;
  at: Date;
}

export async function quotePlan(db: Db, request: QuoteRequest): Promise<Result<QuoteView>> {
  const { planId, currency, at } = request;
  if (!isCurrency(currency)) return fail('unknown_currency', `${currency} is not an ISO 4217 currency`, { field: '/querystring/currency' });
  const version = await effectiveVersion(db, planId, currency, at);
  if (!version) {
    const [plan] = await db.select({ id: plans.id }).from(plans).where(eq(plans.id, planId));
    return plan ? fail('not_found', `plan ${planId} has no ${currency} price effective at ${at.toISOString()}`) : fail('not_found', `no plan ${planId}`);
  }
  const [problem] = quantityProblems(version.definition, request.quantities);
  if (problem) return fail('validation_failed', problem.detail, { field: `/querystring${problem.field}` });
  const price = periodPrice(version.definition, request.quantities);
  const charge = periodCharge(price, currency);
  return ok({
    plan_id: planId,
    version_id: version.versionId,
    version: version.version,
    currency,
    effective_from: version.effectiveFrom.toISOString(),
    quantities: withDefaults(version.definition, request.quantities),
    lines: price.lines.map((l) => ({ line: l.line, quantity: l.quantity, billable: l.billable, before_discount: l.gross.toFixed(), discount: l.gross.minus(l.amount).toFixed(), amount: l.amount.toFixed() })),
    total: price.total.toFixed(),
    period_amount: charge.amount.toString(),
    period_discount: charge.discount.toString(),
  });
}
