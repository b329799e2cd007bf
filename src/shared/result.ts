// Expected failures are values with stable codes; a thrown exception means a bug.
// The HTTP status of each code is decided here and nowhere else.
export const failureStatus = {
  validation_failed: 400,
  malformed_json: 400,
  idempotency_key_required: 400,
  unknown_currency: 400,
  amount_out_of_range: 400,
  invalid_token: 400,
  weak_password: 400,
  unauthorized: 401,
  invalid_credentials: 401,
  second_factor_required: 401,
  forbidden: 403,
  password_expired: 403,
  email_not_verified: 403,
  csrf_failed: 403,
  two_factor_required: 403,
  not_found: 404,
  body_too_large: 413,
  unsupported_media_type: 415,
  idempotency_conflict: 409,
  already_exists: 409,
  invalid_state: 409,
  insufficient_funds: 422,
  budget_reached: 422,
  quota_exceeded: 422,
  invalid_code: 422,
  credit_in_use: 422,
  currency_mismatch: 422,
  clock_not_simulated: 409,
  // Payments (src/payments)
  payment_method_unavailable: 422,
  invalid_statement: 400,
  invalid_signature: 400,
  payment_provider_error: 502,
  // Operations (src/operations): the database cannot be reached, or is not migrated to this version
  not_ready: 503,
  // Usage (src/usage): why one event of a batch was refused
  unknown_meter: 422,
  event_too_old: 422,
  event_in_the_future: 422,
  // Members and account status (src/members, src/identity/operators)
  last_owner: 409,
  account_blocked: 403,
  invitation_invalid: 410,
  rate_limited: 429,
  internal_error: 500,
} as const;

export type FailureCode = keyof typeof failureStatus;

export interface Failure {
  code: FailureCode;
  detail: string;
  /** JSON pointer-ish path of the request field at fault, e.g. "/amount". */
  field?: string;
  /** Extra members of the problem document (quotas that block, balances...). */
  extra?: Record<string, unknown>;
}

export type Result<T> = { ok: true; value: T } | { ok: false; failure: Failure };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });

export function fail(code: FailureCode, detail: string, more: Omit<Failure, 'code' | 'detail'> = {}): { ok: false; failure: Failure } {
  return { ok: false, failure: { code, detail, ...more } };
}

/** Thrown inside a transaction to roll it back with an expected failure; caught at the edge. */
export class FailureSignal extends Error {
  constructor(readonly failure: Failure) {
    super(failure.detail);
  }
}

export function abort(code: FailureCode, detail: string, more: Omit<Failure, 'code' | 'detail'> = {}): never {
  throw new FailureSignal({ code, detail, ...more });
}
