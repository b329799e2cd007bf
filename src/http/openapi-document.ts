// The finishing of /openapi.json for client generators, applied once to what @fastify/swagger
// builds from the routes' TypeBox schemas:
// - every operation gets its operationId from OPERATION_IDS (one list, so an SDK's method names
//   are reviewed in one place; a route missing from it fails test/openapi.test.ts);
// - every request body and success response schema becomes a named component (its TypeBox
//   `title` when it has one, else named after the operation), so generated types have names;
// - every success response is described, every error status answers application/problem+json
//   with an example of its own, and Idempotency-Key is marked required where it is;
// - tags are described, and the document names its server and licence.
import { OPERATION_IDS, TAG_DESCRIPTIONS } from './operation-ids.js';

type Json = Record<string, unknown>;
interface Operation extends Json {
  operationId?: string;
  summary?: string;
  tags?: string[];
  parameters?: Json[];
  requestBody?: { content?: Record<string, { schema?: Json }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: Json; example?: unknown }> }>;
}
export interface OpenApiDocument extends Json {
  paths?: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Json> } & Json;
  tags?: { name: string; description?: string }[];
  servers?: { url: string; description?: string }[];
}

const SUCCESS_TEXT: Record<string, string> = { '200': 'OK', '201': 'Created', '202': 'Accepted, going on in the background', '204': 'Done, nothing to answer' };

/** An example problem for each error status: what that status means in Kassa. */
export const PROBLEM_EXAMPLES: Record<string, { code: string; detail: string; description: string; field?: string }> = {
  '400': { code: 'validation_failed', detail: 'body/amount must match pattern "^-?[0-9]+$"', field: '/amount', description: 'The request is malformed or fails validation; `field` points at the culprit' },
  '401': { code: 'unauthorized', detail: 'send a provider API key, a personal access token or a session cookie', description: 'No credentials, or credentials that are not (or no longer) valid' },
  '403': { code: 'forbidden', detail: "your role on account 2 lacks the 'billing:write' permission", description: 'Known caller, but not allowed to do this' },
  '404': { code: 'not_found', detail: 'account 2 not found', description: 'No such resource, or not one the caller may see' },
  '409': { code: 'idempotency_conflict', detail: 'this Idempotency-Key was used with a different request', field: '/headers/idempotency-key', description: 'Conflicts with the current state or an earlier request' },
  '410': { code: 'invitation_invalid', detail: 'this invitation has expired: ask for a new one', description: 'The link or token is spent or expired' },
  '413': { code: 'body_too_large', detail: 'the request body exceeds 1048576 bytes', description: 'The request body is too large' },
  '415': { code: 'unsupported_media_type', detail: 'send application/json', description: 'The body is not JSON' },
  '422': { code: 'insufficient_funds', detail: 'the available funds (1200) do not cover the first charge (1550)', description: 'Understood, but refused by a business rule (funds, quotas, codes)' },
  '429': { code: 'rate_limited', detail: 'too many attempts from this address; try again in 1 minute', description: 'Too many requests; retry after `retry_after_seconds` (also in Retry-After)' },
  '500': { code: 'internal_error', detail: 'an unexpected error occurred; it has been logged', description: 'A fault in Kassa; nothing was changed' },
};

const pascal = (id: string) => id.charAt(0).toUpperCase() + id.slice(1);

export function finishDocument(doc: OpenApiDocument, publicUrl: string): OpenApiDocument {
  const schemas = (doc.components ??= {}).schemas ?? (doc.components.schemas = {});
  const named = new Map<string, string>(); // schema JSON -> its component name

  /** The schema as a reference to a component of its own, reusing one with the same JSON. */
  const hoist = (schema: Json | undefined, fallbackName: string): Json | undefined => {
    if (!schema || '$ref' in schema) return schema;
    const json = JSON.stringify(schema);
    const existing = named.get(json);
    if (existing) return { $ref: `#/components/schemas/${existing}` };
    const base = typeof schema.title === 'string' ? pascal(schema.title.replace(/[^A-Za-z0-9]+/g, '')) : fallbackName;
    let name = base;
    for (let n = 2; schemas[name] !== undefined; n++) name = `${base}${n}`;
    schemas[name] = schema;
    named.set(json, name);
    return { $ref: `#/components/schemas/${name}` };
  };

  const usedTags = new Set<string>();
  for (const [path, methods] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(methods)) {
      const route = `${method.toUpperCase()} ${path}`;
      op.operationId ??= OPERATION_IDS[route];
      const id = pascal(op.operationId ?? route.replace(/[^A-Za-z0-9]+/g, ''));
      for (const tag of op.tags ?? []) usedTags.add(tag);
      for (const parameter of op.parameters ?? []) {
        // Optional in the schema only so a missing key answers its own code (IdempotencyKeyHeaders).
        if (parameter.in === 'header' && parameter.name === 'idempotency-key') parameter.required = true;
      }
      for (const media of Object.values(op.requestBody?.content ?? {})) media.schema = hoist(media.schema, `${id}Request`);
      const successes = Object.keys(op.responses ?? {}).filter((s) => s.startsWith('2'));
      for (const [status, response] of Object.entries(op.responses ?? {})) {
        if (status.startsWith('2')) {
          if (!response.description || response.description === 'Default Response') response.description = `${SUCCESS_TEXT[status] ?? 'Success'}: ${op.summary ?? route}`;
          for (const media of Object.values(response.content ?? {})) media.schema = hoist(media.schema, `${id}Response${successes.length > 1 ? status : ''}`);
          continue;
        }
        const media = response.content?.['application/json'];
        if (media?.schema?.$ref !== '#/components/schemas/Problem') continue;
        const example = PROBLEM_EXAMPLES[status] ?? PROBLEM_EXAMPLES['400']!;
        response.description = example.description;
        response.content = {
          'application/problem+json': {
            schema: media.schema,
            example: { type: `https://kassa.dev/problems/${example.code}`, title: example.code.replace(/_/g, ' '), status: Number(status), code: example.code, detail: example.detail, ...(example.field ? { field: example.field } : {}) },
          },
        };
      }
    }
  }
  doc.tags = [...usedTags].sort().map((name) => ({ name, description: TAG_DESCRIPTIONS[name] ?? name }));
  doc.servers = [{ url: publicUrl, description: 'this Kassa (KASSA_PUBLIC_URL)' }];
  return doc;
}
