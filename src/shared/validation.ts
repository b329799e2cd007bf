// Request validation. Bodies are JSON and validated strictly: a number where a string is
// expected is refused, not turned into one. Query strings, path parameters and headers are
// text by nature, so there types are coerced ("?limit=10" is the integer 10).
import type { FastifySchemaCompiler } from 'fastify';
import { Ajv, type Options, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

function ajv(options: Options) {
  const instance = new Ajv({ removeAdditional: false, useDefaults: true, allErrors: false, strict: false, ...options });
  addFormats.default(instance);
  return instance;
}

let shared: { strict: Ajv; coercing: Ajv } | undefined;
export function validatorCompiler(): FastifySchemaCompiler<unknown> {
  shared ??= { strict: ajv({ coerceTypes: false }), coercing: ajv({ coerceTypes: 'array' }) };
  const { strict, coercing } = shared;
  return ({ schema, httpPart }) => storableTextOnly((httpPart === 'body' ? strict : coercing).compile(schema as object));
}

/**
 * Text PostgreSQL cannot store, or that is not text at all: a NUL character, or one half of a
 * UTF-16 surrogate pair without the other ("\ud800" is valid JSON). Without this check such a
 * string reached the database and answered 500.
 */
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Whether any string (or object key) holds unstorable text: the fast check, building no paths. */
function holdsUnstorable(value: unknown): boolean {
  if (typeof value === 'string') return UNSTORABLE.test(value);
  if (Array.isArray(value)) return value.some(holdsUnstorable);
  if (value !== null && typeof value === 'object') {
    for (const key in value) if (UNSTORABLE.test(key) || holdsUnstorable((value as Record<string, unknown>)[key])) return true;
  }
  return false;
}

/** The JSON pointer of the first string (or object key) holding unstorable text; undefined when none. */
export function unstorableTextAt(value: unknown, path = ''): string | undefined {
  if (path === '' && !holdsUnstorable(value)) return undefined;
  if (typeof value === 'string') return UNSTORABLE.test(value) ? path || '/' : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const at = unstorableTextAt(value[i], `${path}/${i}`);
      if (at !== undefined) return at;
    }
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (UNSTORABLE.test(key)) return `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      const at = unstorableTextAt(item, `${path}/${key}`);
      if (at !== undefined) return at;
    }
  }
  return undefined;
}

/** Every part of every request (body, query string, parameters, headers) is refused with the field at fault. */
function storableTextOnly(validate: ValidateFunction): ValidateFunction {
  const checked = ((data: unknown, context?: Parameters<ValidateFunction>[1]) => {
    const at = unstorableTextAt(data);
    if (at !== undefined) {
      checked.errors = [{ instancePath: at === '/' ? '' : at, schemaPath: '#/type', keyword: 'storable', params: {}, message: 'must not contain a NUL character or an unpaired surrogate' }];
      return false;
    }
    const valid = validate(data, context);
    checked.errors = validate.errors;
    return valid;
  }) as ValidateFunction;
  checked.schema = validate.schema;
  checked.schemaEnv = validate.schemaEnv;
  return checked;
}
