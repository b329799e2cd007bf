// What the server logs, and what it never does. A failed statement is logged with its SQL,
// never with its parameters: they carry password hashes, token hashes, e-mail addresses. A
// database error is logged by its SQLSTATE, routine and object, without its message and
// detail, which quote the values at fault ("invalid input syntax for type integer: ...").
// Known secret fields are redacted wherever they appear in a logged object.
import type { LoggerOptions } from 'pino';

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  '*.password',
  '*.new_password',
  '*.current_password',
  '*.password_hash',
  '*.passwordHash',
  '*.secret',
  '*.token',
  '*.totp_secret',
  '*.totpSecret',
  '*.recovery_codes',
];

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    serializers: { err: serializeError },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
}

const DATABASE_ERROR_FIELDS = ['code', 'severity', 'routine', 'schema', 'table', 'column', 'constraint'] as const;

/** An error as it may be logged: type, message and stack without statement parameters, causes likewise. */
export function serializeError(error: unknown, depth = 0): Record<string, unknown> {
  if (!(error instanceof Error)) return { type: typeof error, message: '[a thrown non-error, not logged]' };
  const fields = error as unknown as Record<string, unknown>;
  const fromDatabase = typeof fields.code === 'string' && /^[0-9A-Z]{5}$/.test(fields.code) && 'routine' in fields;
  const out: Record<string, unknown> = { type: error.name };
  if (fromDatabase) {
    for (const key of DATABASE_ERROR_FIELDS) if (fields[key] !== undefined) out[key] = fields[key];
  } else {
    out.message = withoutParameters(error.message);
    if (error.stack) out.stack = withoutParameters(error.stack);
    if (typeof fields.query === 'string') out.query = fields.query;
    if (typeof fields.code === 'string') out.code = fields.code;
  }
  if (error.cause !== undefined && depth < 3) out.cause = serializeError(error.cause, depth + 1);
  return out;
}

/** Drizzle's "Failed query: <sql>\nparams: <values>" keeps its SQL and loses its values. */
function withoutParameters(text: string): string {
  return text.replace(/\nparams: [\s\S]*?(?=\n {4}at |$)/, '\nparams: [not logged]');
}
