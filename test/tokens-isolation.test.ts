// The tenant isolation matrix (SPEC 15: no account sees or touches another's data, whatever
// role or token scope it holds). Accounts A and B each have a member of every role, each with
// a session and an all-scope personal access token (and A's owner one token per single scope).
// For every route of an account (/v1/accounts/:id...) and of its resources
// (/v1/subscriptions/:id...), filled with B's ids and a valid body: every caller from A gets
// 404, never anything else, and B's rows are exactly as before. B's own members get 403 on the
// routes their role may not use, and that changes nothing either.
import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query } from '../src/db/client.js';
import { memberships, sessions, users, type Role } from '../src/db/schema.js';
import { seedDemo } from '../src/demo.js';
import { PERMISSIONS, type Permission, ROLE_PERMISSIONS } from '../src/auth/permissions.js';
import { createPersonalToken } from '../src/identity/tokens/create.js';
import { type Harness, startHarness } from './support/harness.js';
import { replyBody } from './support/reply-body.js';

const ROLES: Role[] = ['owner', 'admin', 'billing', 'member', 'viewer'];

let h: Harness;
let A: number;
let B: number;
let subscriptionOfB: number;
let featureOfB: string;
let ownerOfB: number;

interface Caller { label: string; role: Role; headers: Record<string, string>; cookies?: Record<string, string> }
const callersOf: Record<'A' | 'B', Caller[]> = { A: [], B: [] };

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

async function members(accountId: number, side: 'A' | 'B') {
  const now = h.kassa.clock.now();
  for (const role of ROLES) {
    const [user] = await h.kassa.db.insert(users).values({ email: `${side}-${role}@example.test`, emailVerifiedAt: now, createdAt: now }).returning();
    await h.kassa.db.insert(memberships).values({ accountId, userId: user!.id, role, createdAt: now });
    if (side === 'B' && role === 'owner') ownerOfB = user!.id;
    const { secret } = await createPersonalToken(h.kassa.db, user!.id, { name: 'all', scopes: [...PERMISSIONS] }, now);
    callersOf[side].push({ label: `${side} ${role} token (all scopes)`, role, headers: { authorization: `Bearer ${secret}` } });
    const cookie = randomBytes(24).toString('base64url');
    const csrf = randomBytes(24).toString('base64url');
    await h.kassa.db.insert(sessions).values({ userId: user!.id, tokenHash: sha256(cookie), csrfTokenHash: sha256(csrf), createdAt: now, expiresAt: new Date(now.getTime() + 86_400_000), lastSeenAt: now });
    callersOf[side].push({ label: `${side} ${role} session`, role, headers: { 'x-csrf-token': csrf }, cookies: { kassa_session: cookie } });
    if (side === 'A' && role === 'owner') {
      for (const scope of PERMISSIONS) {
        const single = await createPersonalToken(h.kassa.db, user!.id, { name: scope, scopes: [scope] }, now);
        callersOf.A.push({ label: `A owner token (${scope})`, role, headers: { authorization: `Bearer ${single.secret}` } });
      }
    }
  }
}

beforeAll(async () => {
  h = await startHarness({ clockStart: '2026-11-02T13:00:00Z' });
  await seedDemo(h.kassa);
  A = (await h.call('POST', '/v1/accounts', { name: 'A', currency: 'EUR' })).body.id;
  B = (await h.call('POST', '/v1/accounts', { name: 'B', currency: 'EUR' })).body.id;
  for (const id of [A, B]) {
    const credited = await h.call('POST', `/v1/accounts/${id}/adjustments`, { direction: 'credit', amount: '500000', reason: 'test funds' }, { 'idempotency-key': `fund-${id}` });
    expect(credited.status).toBe(201);
  }
  const plans = (await h.call('GET', '/v1/plans?limit=200')).body.data as { id: number; code: string }[];
  const plan = plans.find((p) => p.code === 'auth_basic') ?? plans[0]!;
  const created = await h.call('POST', `/v1/accounts/${B}/subscriptions`, { plan_id: plan.id }, { 'idempotency-key': 'sub-b' });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  subscriptionOfB = created.body.subscription.id;
  const entitlements = await h.call('GET', `/v1/accounts/${B}/entitlements`);
  featureOfB = (entitlements.body?.features?.[0]?.feature as string | undefined) ?? (entitlements.body?.features?.[0]?.code as string | undefined) ?? 'api';
  await members(A, 'A');
  await members(B, 'B');
}, 120_000);
afterAll(() => h.close());

// ---------- the routes, filled in with B's resources ----------

interface Target { method: string; path: string; url: string; body: unknown; permission: Permission | 'staff' | null }

/** Bodies for routes whose schema carries no example (a route with an example needs none here). */
const SAMPLE_BODIES: Record<string, unknown> = {
  'POST /v1/accounts/:id/adjustments': { direction: 'debit', amount: '100', reason: 'isolation' },
  'PATCH /v1/accounts/:id': { name: 'Taken over' },
  'PUT /v1/accounts/:id/security': { require_two_factor: true },
};

function openapiBody(doc: OpenApi, method: string, path: string): unknown {
  const openapiPath = path.replace(/:(\w+)/g, '{$1}');
  const operation = doc.paths?.[openapiPath]?.[method.toLowerCase()];
  const media = operation?.requestBody?.content?.['application/json'];
  if (!media) return undefined;
  return media.example ?? Object.values(media.examples ?? {})[0]?.value ?? media.schema?.examples?.[0] ?? {};
}

interface OpenApi {
  paths?: Record<string, Record<string, { requestBody?: { content?: Record<string, { example?: unknown; examples?: Record<string, { value?: unknown }>; schema?: { examples?: unknown[] } }> } }>>;
}

function targets(): Target[] {
  const doc = h.app.swagger() as unknown as OpenApi;
  const out: Target[] = [];
  for (const { route, access, fieldAccess } of h.app.routeList) {
    const [method, path] = route.split(' ') as [string, string];
    const onAccount = /^\/v1\/accounts\/:id(\/|$)/.test(path);
    const onSubscription = /^\/v1\/subscriptions\/:id(\/|$)/.test(path);
    if (!onAccount && !onSubscription) continue;
    const url = path.replace(/:(\w+)/g, (_, name: string) => {
      if (name === 'id') return String(onAccount ? B : subscriptionOfB);
      if (name === 'feature') return featureOfB;
      if (/user/i.test(name) || /member/i.test(name)) return String(ownerOfB);
      return '1';
    });
    const key = `${method} ${path}`;
    const body = method === 'GET' || method === 'DELETE' ? undefined : (SAMPLE_BODIES[key] ?? openapiBody(doc, method, path) ?? {});
    // Subscription routes find their account through the subscription: read or write by method.
    const permission = onSubscription ? (method === 'GET' ? 'subscriptions:read' : 'subscriptions:write') : access === 'authenticated' || access === 'public' ? null : access;
    out.push({ method, path, url, body, permission });
    // A field with a permission of its own is a target of its own, sent alone.
    for (const [field, fieldPermission] of Object.entries(fieldAccess)) {
      out.push({ method, path, url, body: { [field]: FIELD_SAMPLES[field] }, permission: fieldPermission });
    }
  }
  return out;
}

/** A value for each body field that needs a permission of its own (routes' `fieldAccess`). */
const FIELD_SAMPLES: Record<string, unknown> = { credit_enabled: true };

async function send(caller: Caller, target: Target) {
  const response = await h.app.inject({
    method: target.method as 'GET',
    url: target.url,
    headers: { ...caller.headers, 'idempotency-key': randomBytes(8).toString('hex'), ...(target.body === undefined ? {} : { 'content-type': 'application/json' }) },
    cookies: caller.cookies,
    payload: target.body === undefined ? undefined : JSON.stringify(target.body),
  });
  return { status: response.statusCode, body: replyBody(response) };
}

/** Every row of B in every table that has an account_id, and B's account row: what must not move. */
async function snapshotOfB(): Promise<Record<string, unknown>> {
  const tables = await query<{ table_name: string }>(h.kassa.db, sql`select table_name from information_schema.columns where column_name = 'account_id' and table_schema = current_schema() order by table_name`);
  const out: Record<string, unknown> = {};
  for (const { table_name } of tables) {
    const rows = await query<Record<string, unknown>>(h.kassa.db, sql`select * from ${sql.identifier(table_name)} where account_id = ${B}`);
    out[table_name] = rows.map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))).sort();
  }
  out.account = JSON.stringify((await query<Record<string, unknown>>(h.kassa.db, sql`select * from accounts where id = ${B}`))[0], (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  return out;
}

describe('tenant isolation', () => {
  it('walks the account routes (the matrix is not empty)', () => {
    const paths = targets().map((t) => `${t.method} ${t.path}`);
    expect(paths).toContain('GET /v1/accounts/:id/balance');
    expect(paths).toContain('POST /v1/accounts/:id/subscriptions');
    expect(paths).toContain('POST /v1/subscriptions/:id/disable');
    expect(paths).toContain('PUT /v1/accounts/:id/security');
    expect(callersOf.A.length).toBe(ROLES.length * 2 + PERMISSIONS.length);
  });

  it('checks every permission of the table on some route (a permission no route checks is a hole)', () => {
    const checked = new Set(targets().map((t) => t.permission));
    expect(PERMISSIONS.filter((p) => !checked.has(p))).toEqual([]);
    expect(targets()).toContainEqual(expect.objectContaining({ method: 'POST', path: '/v1/accounts/:id/top-ups', permission: 'billing:write' }));
    expect(targets()).toContainEqual(expect.objectContaining({ method: 'PATCH', path: '/v1/accounts/:id', body: { credit_enabled: true }, permission: 'credit:write' }));
  });

  it('answers 404 to every caller from A on every route of B, and B does not change', async () => {
    const before = await snapshotOfB();
    const { balance } = (await h.call('GET', `/v1/accounts/${B}/balance`)).body;
    const wrong: string[] = [];
    for (const target of targets()) {
      for (const caller of callersOf.A) {
        const reply = await send(caller, target);
        if (reply.status !== 404 || reply.body?.code !== 'not_found') wrong.push(`${caller.label}: ${target.method} ${target.path} -> ${reply.status} ${reply.body?.code ?? ''} ${reply.body?.detail ?? ''}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(await snapshotOfB()).toEqual(before);
    expect((await h.call('GET', `/v1/accounts/${B}/balance`)).body.balance).toBe(balance);
  });

  it('answers 403 to B\'s own members on the routes their role may not use, and B does not change', async () => {
    const before = await snapshotOfB();
    const wrong: string[] = [];
    let checked = 0;
    for (const target of targets()) {
      if (target.permission === null) continue;
      for (const caller of callersOf.B) {
        const allowed = target.permission !== 'staff' && ROLE_PERMISSIONS[caller.role].includes(target.permission);
        if (allowed) continue;
        checked++;
        const reply = await send(caller, target);
        if (reply.status !== 403 || reply.body?.code !== 'forbidden') wrong.push(`${caller.label}: ${target.method} ${target.path} (${target.permission}) -> ${reply.status} ${reply.body?.code ?? ''} ${reply.body?.detail ?? ''}`);
      }
    }
    expect(checked).toBeGreaterThan(20);
    expect(wrong).toEqual([]);
    expect(await snapshotOfB()).toEqual(before);
  });

  it('lets only B\'s owner switch system credit on: not an admin, not a billing member (docs/permissions.md)', async () => {
    const patch = { method: 'PATCH', path: '/v1/accounts/:id', url: `/v1/accounts/${B}`, permission: 'credit:write' as const };
    for (const role of ['admin', 'billing'] as const) {
      for (const caller of callersOf.B.filter((c) => c.role === role)) {
        const refused = await send(caller, { ...patch, body: { name: 'Still B', credit_enabled: true } });
        expect(refused.status, caller.label).toBe(403);
        expect(refused.body).toMatchObject({ code: 'forbidden', field: '/credit_enabled' });
        expect((await send(caller, { ...patch, body: { name: 'Renamed by ' + role } })).status, caller.label).toBe(200); // the rest of the route is theirs
      }
    }
    expect((await h.call('GET', `/v1/accounts/${B}`)).body.credit_enabled).toBe(false);
    const owner = callersOf.B.find((c) => c.role === 'owner')!;
    expect((await send(owner, { ...patch, body: { credit_enabled: true } })).body).toMatchObject({ credit_enabled: true });
    expect((await send(owner, { ...patch, body: { credit_enabled: false } })).body).toMatchObject({ credit_enabled: false });
  });

  it('lets B\'s own owner read B (the 404s above are isolation, not a broken setup)', async () => {
    const owner = callersOf.B.find((c) => c.role === 'owner')!;
    for (const target of targets().filter((t) => t.method === 'GET')) {
      const reply = await send(owner, target);
      const why = `${target.method} ${target.path}: ${reply.status} ${JSON.stringify(reply.body)}`;
      // Routes with more than the account's id may name something B does not have; never refused.
      if (/:(?!id\b)\w+/.test(target.path)) expect([200, 400, 404], why).toContain(reply.status);
      else expect(reply.status, why).toBe(200);
    }
  });
});
