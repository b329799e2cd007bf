// Amounts arrive as strings of integer minor units ("1250"), never as JSON numbers, so they
// never pass through a float. The schema only checks the shape; the range is decided here so
// that 0, negatives and overflow get the stable `amount_out_of_range` code with their field.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { sendProblem } from '../shared/problem.js';
import type { Minor } from '../money/money.js';
import { type Result, fail, ok } from '../shared/result.js';

export const MAX_AMOUNT_DIGITS = 18;

export const AmountString = Type.String({
  pattern: '^-?[0-9]+$',
  maxLength: 40,
  description: `integer minor units of the account currency as a string, at most ${MAX_AMOUNT_DIGITS} digits ("1250" EUR is 12.50 EUR)`,
});

/** A positive amount to move: 1 to 18 digits. */
export function parsePositiveAmount(text: string, field: string): Result<Minor> {
  const amount = parseWithinDigits(text);
  if (amount === undefined || amount <= 0n) {
    return fail('amount_out_of_range', `amount must be a positive integer of minor units with at most ${MAX_AMOUNT_DIGITS} digits`, { field });
  }
  return ok(amount);
}

/** A threshold: zero or positive, 1 to 18 digits. */
export function parseNonNegativeAmount(text: string, field: string): Result<Minor> {
  const amount = parseWithinDigits(text);
  if (amount === undefined || amount < 0n) {
    return fail('amount_out_of_range', `amount must be zero or a positive integer of minor units with at most ${MAX_AMOUNT_DIGITS} digits`, { field });
  }
  return ok(amount);
}

function parseWithinDigits(text: string): Minor | undefined {
  const match = /^(-?)0*([0-9]+)$/.exec(text);
  if (!match || match[2]!.length > MAX_AMOUNT_DIGITS) return undefined;
  return BigInt(`${match[1]}${match[2]}`);
}

/** JSON numbers lose digits before any schema sees them: amounts must arrive as strings. */
export function amountsAreStrings(...fields: string[]) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const body = request.body as Record<string, unknown> | null | undefined;
    if (!body || typeof body !== 'object') return;
    const field = fields.find((f) => typeof body[f] === 'number');
    if (field) return sendProblem(reply, { code: 'validation_failed', detail: `${field} is an amount: send it as a string of integer minor units, e.g. "1250"`, field: `/${field}` });
  };
}
