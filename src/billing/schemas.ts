import { Type } from 'typebox';
import type { BillingRun } from './run.js';

/** The README's first midnight: one Starter subscription charged its full day. */
export const billingRunExample = {
  id: 1,
  boundary: '2026-11-03T00:00:00.000Z',
  status: 'completed',
  started_at: '2026-11-03T00:00:00.000Z',
  finished_at: '2026-11-03T00:00:00.000Z',
  billed: 1,
  suspended: 0,
  skipped: 0,
  total_charged: '340',
  errors: [],
};

export const BillingRunSchema = Type.Object(
  {
    id: Type.Integer(),
    boundary: Type.String({ format: 'date-time', description: 'the UTC midnight whose periods the run bills' }),
    status: Type.Union([Type.Literal('running'), Type.Literal('completed'), Type.Literal('failed')]),
    started_at: Type.String({ format: 'date-time' }),
    finished_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    billed: Type.Integer({ description: 'subscription periods charged' }),
    suspended: Type.Integer({ description: 'subscriptions suspended for insufficient funds' }),
    skipped: Type.Integer(),
    total_charged: Type.String({ description: 'sum of the charges, integer minor units (currencies mixed: for monitoring only)' }),
    errors: Type.Array(Type.String()),
  },
  {
    $id: 'BillingRun',
    examples: [billingRunExample],
  },
);

export function billingRunView(run: BillingRun) {
  return {
    id: run.id,
    boundary: run.boundary.toISOString(),
    status: run.status,
    started_at: run.startedAt.toISOString(),
    finished_at: run.finishedAt ? run.finishedAt.toISOString() : null,
    billed: run.billed,
    suspended: run.suspended,
    skipped: run.skipped,
    total_charged: run.totalCharged.toString(),
    errors: run.errors,
  };
}
