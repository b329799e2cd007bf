// The audit log over HTTP: an account's entries for its owners (permission 'audit:read'),
// every entry for the provider's staff. Newest first; the cursor is the last id of a page.
import { eq } from 'drizzle-orm';
import { type Static, Type } from 'typebox';
import type { KassaApp } from '../http/kassa-app.js';
import { accounts } from '../db/schema.js';
import { problemResponses, sendProblem } from '../shared/problem.js';
import { type AuditFilter, readAudit } from './read.js';

const Id = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });

const entryExample = { id: 41, account_id: 2, actor_kind: 'user', actor_id: 3, action: 'member.role_changed', target: 'user:7', data: { from: 'member', to: 'admin' }, ip: '203.0.113.9', created_at: '2026-11-02T13:00:00.000Z' };

const AuditEntrySchema = Type.Object(
  {
    id: Type.Integer(),
    account_id: Type.Union([Type.Integer(), Type.Null()]),
    actor_kind: Type.String({ description: 'provider_key, user, operator or system' }),
    actor_id: Type.Union([Type.Integer(), Type.Null()], { description: 'the key or user id' }),
    action: Type.String({ description: "what happened, e.g. 'member.role_changed', 'account.blocked', 'login.succeeded'" }),
    target: Type.Union([Type.String(), Type.Null()], { description: "what it happened to, e.g. 'user:7'" }),
    data: Type.Record(Type.String(), Type.Unknown()),
    ip: Type.Union([Type.String(), Type.Null()]),
    created_at: Type.String({ format: 'date-time' }),
  },
  { examples: [entryExample] },
);

const AuditPageSchema = Type.Object(
  { data: Type.Array(AuditEntrySchema), next_cursor: Type.Union([Type.String(), Type.Null()], { description: 'pass as `cursor` for older entries' }) },
  { title: 'AuditPage', examples: [{ data: [entryExample], next_cursor: '41' }] },
);

const AuditQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
  cursor: Type.Optional(Type.String({ pattern: '^[0-9]{1,18}$', description: 'next_cursor from the previous page: entries older than it' })),
  action: Type.Optional(Type.String({ pattern: '^[a-z_]+(\\.[a-z_]*)*$', maxLength: 100, description: "an action, or a family ending in '.' ('member.')" })),
  actor_kind: Type.Optional(Type.Union([Type.Literal('provider_key'), Type.Literal('user'), Type.Literal('operator'), Type.Literal('system')])),
  actor_id: Type.Optional(Id),
  since: Type.Optional(Type.String({ format: 'date-time', description: 'entries at or after this time' })),
  until: Type.Optional(Type.String({ format: 'date-time', description: 'entries before this time' })),
});
const StaffAuditQuery = Type.Intersect([AuditQuery, Type.Object({ account_id: Type.Optional(Id) })]);

function filterOf(query: Static<typeof AuditQuery>): AuditFilter {
  return {
    action: query.action,
    actorKind: query.actor_kind,
    actorId: query.actor_id,
    since: query.since === undefined ? undefined : new Date(query.since),
    until: query.until === undefined ? undefined : new Date(query.until),
  };
}

const cursorOf = (cursor: string | undefined) => (cursor === undefined ? undefined : Number(cursor));

export async function auditRoutes(app: KassaApp) {
  const { kassa } = app;
  const tags = ['audit'];

  app.get(
    '/accounts/:id/audit',
    {
      config: { access: 'audit:read' },
      schema: { tags, summary: "The account's audit log, newest first (owners)", params: Type.Object({ id: Id }), querystring: AuditQuery, response: { 200: AuditPageSchema, ...problemResponses(403, 404) } },
    },
    async (request, reply) => {
      const { id } = request.params;
      const [account] = await kassa.db.select({ id: accounts.id }).from(accounts).where(eq(accounts.id, id));
      if (!account) return sendProblem(reply, { code: 'not_found', detail: `no account ${id}` });
      return readAudit(kassa.db, { ...filterOf(request.query), accountId: id }, request.query.limit, cursorOf(request.query.cursor));
    },
  );

  app.get(
    '/audit',
    { schema: { tags, summary: 'The whole audit log, newest first (staff)', querystring: StaffAuditQuery, response: { 200: AuditPageSchema, ...problemResponses(403) } } },
    async (request) => readAudit(kassa.db, { ...filterOf(request.query), accountId: request.query.account_id }, request.query.limit, cursorOf(request.query.cursor)),
  );
}
