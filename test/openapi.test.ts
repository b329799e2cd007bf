// "Every route, its errors and its examples are in it": the OpenAPI 3.1 document lists every
// /v1 route with a summary, its success response, its problem+json errors and the security
// scheme, and the server actually serves each documented path.
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATION_IDS } from '../src/http/operation-ids.js';
import { type Harness, startHarness } from './support/harness.js';

let h: Harness;
type Media = Record<string, unknown>;
let doc: {
  openapi: string;
  servers: { url: string }[];
  tags: { name: string; description: string }[];
  paths: Record<string, Record<string, { operationId?: string; tags?: string[]; parameters?: { in: string; name: string; required: boolean }[]; summary?: string; requestBody?: { content: Record<string, Media> }; responses: Record<string, { description?: string; content?: Record<string, Media> }>; security?: unknown[] }>>;
  components: { securitySchemes: Record<string, unknown>; schemas: Record<string, Record<string, unknown>> };
};
beforeAll(async () => {
  h = await startHarness();
  doc = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json();
});
afterAll(() => h.close());

const operations = () =>
  Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })));

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 with the provider key as its security scheme', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.securitySchemes.providerKey).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('documents every /v1 route the server registered', () => {
    const documented = new Set(operations().map(({ path, method }) => `${method.toUpperCase()} ${path}`));
    const registered = h.app.routeList.map((r) => r.route).filter((r) => r.includes(' /v1/')).map((r) => r.replace(/:([a-z_]+)/g, '{$1}'));
    expect(registered.length).toBeGreaterThanOrEqual(35);
    for (const route of registered) expect(documented.has(route), route).toBe(true);
  });

  it.each([
    'get /v1/accounts', 'post /v1/accounts', 'post /v1/accounts/{id}/adjustments', 'get /v1/accounts/{id}/ledger',
    'post /v1/plans', 'post /v1/accounts/{id}/subscriptions', 'post /v1/subscriptions/{id}/enable',
    'get /v1/accounts/{id}/entitlements', 'post /v1/clock/advance', 'get /v1/billing-runs', 'get /v1/events',
  ])('has %s', (key) => {
    const [method, path] = key.split(' ') as [string, string];
    expect(doc.paths[path]?.[method]).toBeDefined();
  });

  it('gives every /v1 operation a summary, a 2xx answer and its problem+json errors', () => {
    for (const { path, method, op } of operations().filter(({ path }) => path.startsWith('/v1/'))) {
      const where = `${method.toUpperCase()} ${path}`;
      expect(op.summary, where).toBeTruthy();
      const statuses = Object.keys(op.responses);
      expect(statuses.some((s) => s.startsWith('2')), where).toBe(true);
      expect(statuses, where).toContain('401');
      expect(statuses, where).toContain('400');
      if (path.includes('{id}')) expect(statuses, where).toContain('404');
    }
  });

  it('authorises every account-scoped route in one place: reads need a read permission, writes a write one or staff', () => {
    const scoped = h.app.routeList.filter((r) => / \/v1\/accounts\/:id/.test(r.route));
    expect(scoped.length).toBeGreaterThanOrEqual(12);
    for (const { route, access } of scoped) {
      if (route.startsWith('GET ')) expect(access, route).toMatch(/:read$/);
      else expect(access, route).toMatch(/:write$|^staff$/);
    }
  });
});

describe('the OpenAPI document, for client generators', () => {
  it('names every operation, once, from the one list (which names nothing that is gone)', () => {
    const ids = operations().map(({ op }) => op.operationId);
    expect(ids.every((id) => typeof id === 'string' && /^[a-z][A-Za-z]+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    const documented = new Set(operations().map(({ path, method }) => `${method.toUpperCase()} ${path}`));
    expect(Object.keys(OPERATION_IDS).filter((route) => !documented.has(route))).toEqual([]);
  });

  it('names every request and success response schema as a component, and describes every response', () => {
    for (const { path, method, op } of operations()) {
      const where = `${method.toUpperCase()} ${path}`;
      for (const media of Object.values(op.requestBody?.content ?? {})) expect((media.schema as { $ref?: string }).$ref, where).toMatch(/^#\/components\/schemas\/[A-Z]/);
      for (const [status, response] of Object.entries(op.responses)) {
        expect(response.description, `${where} ${status}`).not.toMatch(/^(Default Response)?$/);
        if (!status.startsWith('2')) continue;
        for (const media of Object.values(response.content ?? {})) expect((media.schema as { $ref?: string }).$ref, `${where} ${status}`).toMatch(/^#\/components\/schemas\/[A-Z]/);
      }
    }
    expect(doc.components.schemas).toHaveProperty('Account');
    expect(doc.components.schemas).toHaveProperty('SubscriptionPreview');
  });

  it('answers every error status as application/problem+json with an example of that status', () => {
    for (const { path, method, op } of operations()) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (status.startsWith('2')) continue;
        const media = response.content?.['application/problem+json'];
        expect(media, `${method.toUpperCase()} ${path} ${status}`).toBeDefined();
        expect(media!.example, `${method.toUpperCase()} ${path} ${status}`).toMatchObject({ status: Number(status), code: expect.any(String) });
      }
    }
  });

  it('marks Idempotency-Key required on every call that moves money, describes every tag and names its server', () => {
    const moving = operations().filter(({ op }) => op.parameters?.some((p) => p.in === 'header' && p.name === 'idempotency-key'));
    expect(moving.map(({ op }) => op.operationId).sort()).toEqual(
      ['adjustAccountBalance', 'assignStatementLine', 'changeSubscriptionPlan', 'configureSubscription', 'confirmTopUp', 'createGrant', 'createReservation', 'createSubscription', 'disableSubscription', 'enableSubscription', 'markGrantPaid', 'recordPayout', 'refundTopUp', 'requestTopUp', 'voidGrant'],
    );
    for (const { op } of moving) expect(op.parameters!.find((p) => p.name === 'idempotency-key')!.required).toBe(true);
    const webhooks = Object.values((doc as unknown as { webhooks: Record<string, { post: { tags: string[] } }> }).webhooks).flatMap((hook) => hook.post.tags);
    const used = new Set([...operations().flatMap(({ op }) => op.tags ?? []), ...webhooks]);
    expect(doc.tags.map((t) => t.name).sort()).toEqual([...used].sort());
    for (const tag of doc.tags) expect(tag.description, tag.name).not.toBe(tag.name);
    expect(doc.servers).toEqual([{ url: 'http://localhost:3000', description: expect.any(String) }]);
  });
});

// A media object (`schema` with `example` or `examples: { name: { value } }`, where
// @fastify/swagger moves a body's or response's top-level examples) or a schema carrying the
// JSON Schema `examples` array (nested and component schemas keep theirs in OpenAPI 3.1).
type Node = Media;
interface FoundExample { where: string; schema: Node; value: unknown }

function mediaExamples(media: Node | undefined): unknown[] {
  if (!media) return [];
  const named = (media.examples ?? {}) as Record<string, { value: unknown }>;
  const schemaExamples = ((media.schema as Node | undefined)?.examples ?? []) as unknown[];
  return [...('example' in media ? [media.example] : []), ...Object.values(named).map((e) => e.value), ...schemaExamples];
}

function collectExamples(node: unknown, where: string, found: FoundExample[]) {
  if (!node || typeof node !== 'object') return;
  if (Array.isArray(node)) return node.forEach((child, i) => collectExamples(child, `${where}/${i}`, found));
  const object = node as Node;
  const isMedia = typeof object.schema === 'object' && ('example' in object || (typeof object.examples === 'object' && !Array.isArray(object.examples)));
  if (isMedia) for (const value of mediaExamples({ ...object, schema: {} })) found.push({ where, schema: object.schema as Node, value });
  if (Array.isArray(object.examples)) object.examples.forEach((value, i) => found.push({ where: `${where}/examples/${i}`, schema: object, value }));
  for (const [key, child] of Object.entries(object)) {
    if (key === 'example' || (key === 'examples' && (isMedia || Array.isArray(child)))) continue;
    collectExamples(child, `${where}/${key}`, found);
  }
}

describe('the examples in the OpenAPI document', () => {
  it('give every /v1 request body at least one example', () => {
    const withBody = operations().filter(({ path, op }) => path.startsWith('/v1/') && 'requestBody' in op);
    expect(withBody.length).toBeGreaterThanOrEqual(15);
    for (const { path, method, op } of withBody) {
      const content = op.requestBody?.content ?? {};
      const media = content['application/json'] ?? Object.values(content)[0];
      expect(mediaExamples(media).length, `${method.toUpperCase()} ${path}`).toBeGreaterThan(0);
    }
  });

  // The billing domains all carry response examples; add a tag here once its routes do too.
  const exemplified = new Set(['accounts', 'ledger', 'catalog', 'subscriptions', 'usage', 'billing', 'entitlements', 'events', 'clock']);
  it('give every success response of the billing domains an example, and the problem schema one', () => {
    const covered = operations().filter(({ path, op }) => path.startsWith('/v1/') && (op as { tags?: string[] }).tags?.some((t) => exemplified.has(t)));
    expect(covered.length).toBeGreaterThanOrEqual(35);
    for (const { path, method, op } of covered) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (!status.startsWith('2') || !response.content) continue;
        expect(mediaExamples(response.content['application/json'] ?? Object.values(response.content)[0]).length, `${method.toUpperCase()} ${path} ${status}`).toBeGreaterThan(0);
      }
    }
    expect(doc.components.schemas.Problem!.examples).toHaveLength(1);
  });

  it('are each valid against their own schema', () => {
    const found: FoundExample[] = [];
    collectExamples(doc.paths, '#/paths', found);
    collectExamples(doc.components, '#/components', found);
    expect(found.length).toBeGreaterThanOrEqual(60);
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats.default(ajv);
    // Component references (#/components/schemas/Problem) resolve inside the compiled root.
    const invalid = found.flatMap(({ where, schema, value }) => {
      const validate = ajv.compile({ ...schema, components: doc.components });
      return validate(value) ? [] : [{ where, errors: validate.errors }];
    });
    expect(invalid).toEqual([]);
  });
});
