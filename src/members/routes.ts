// Members and roles over HTTP (SPEC 1): list, invite by e-mail, accept, change a role, remove,
// transfer ownership, and the owner-only plan and seats view (seed 002). Who may call each
// route is declared in `config.access` and decided in one place (src/app.ts, authorize);
// granting or taking the owner role additionally needs 'owners:write', asked of the same rule.
import { eq } from 'drizzle-orm';
import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import type { KassaApp } from '../http/kassa-app.js';
import { mayActOn } from '../http/kassa-app.js';
import type { Db } from '../db/client.js';
import { accounts } from '../db/schema.js';
import type { Failure } from '../shared/result.js';
import { operatorRoutes } from '../identity/operators/routes.js';
import { problemResponses, sendProblem } from '../shared/problem.js';
import { acceptInvitation } from './accept.js';
import { changeMember } from './change-role.js';
import { inviteMember, revokeInvitation } from './invite.js';
import { planView } from './plan-view.js';
import { listMembers, pendingInvitations } from './read.js';
import {
  AcceptBody,
  AcceptedSchema,
  AccountParams,
  InvitationListSchema,
  InvitationParams,
  InvitationSchema,
  InviteBody,
  MemberListSchema,
  MemberParams,
  MemberSchema,
  PlanViewSchema,
  RoleBody,
  TransferBody,
} from './schemas.js';
import { transferOwnership } from './transfer.js';

const tags = ['members'];

export async function memberRoutes(app: KassaApp) {
  const { kassa } = app;
  await operatorRoutes(app);

  app.get(
    '/accounts/:id/members',
    { config: { access: 'members:read' }, schema: { tags, summary: "The account's members and their roles", params: AccountParams, response: { 200: MemberListSchema, ...problemResponses(403, 404) } } },
    async (request, reply) => {
      if (!(await accountExists(kassa.db, request.params.id))) return sendProblem(reply, noAccount(request.params.id));
      return { data: await listMembers(kassa.db, request.params.id) };
    },
  );

  app.get(
    '/accounts/:id/invitations',
    { config: { access: 'members:read' }, schema: { tags, summary: 'Pending invitations (not accepted, not expired)', params: AccountParams, response: { 200: InvitationListSchema, ...problemResponses(403, 404) } } },
    async (request, reply) => {
      if (!(await accountExists(kassa.db, request.params.id))) return sendProblem(reply, noAccount(request.params.id));
      return { data: await pendingInvitations(kassa.db, request.params.id, kassa.clock.now()) };
    },
  );

  app.post(
    '/accounts/:id/invitations',
    {
      config: { access: 'members:write' },
      schema: {
        tags,
        summary: 'Invite someone by e-mail with a role (mails a single-use link valid 7 days); only owners invite owners',
        params: AccountParams,
        body: InviteBody,
        response: { 201: InvitationSchema, ...problemResponses(403, 404, 409) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      if (request.body.role === 'owner') {
        const denied = await mayActOn(request, 'owners:write', id);
        if (denied) return sendProblem(reply, denied);
      }
      const invited = await inviteMember(kassa, request.principal, { accountId: id, email: request.body.email, role: request.body.role, ip: request.ip }, kassa.clock.now());
      if (!invited.ok) return sendProblem(reply, invited.failure);
      return reply.code(201).send(invited.value);
    },
  );

  app.delete(
    '/accounts/:id/invitations/:invitation_id',
    { config: { access: 'members:write' }, schema: { tags, summary: 'Revoke a pending invitation: its link stops working', params: InvitationParams, response: { 204: Type.Null({ description: 'revoked; no body' }), ...problemResponses(403, 404) } } },
    async (request, reply) => {
      const revoked = await revokeInvitation(kassa, request.principal, request.params.id, request.params.invitation_id, request.ip, kassa.clock.now());
      if (!revoked.ok) return sendProblem(reply, revoked.failure);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/invitations/accept',
    {
      config: { access: 'authenticated' },
      schema: {
        tags,
        summary: 'Accept an invitation: the signed-in person it was mailed to (verified address) joins with its role',
        body: AcceptBody,
        response: { 200: AcceptedSchema, ...problemResponses(403, 409, 410) },
      },
    },
    async (request, reply) => {
      const principal = request.principal;
      if (principal.kind !== 'user') return sendProblem(reply, { code: 'forbidden', detail: 'an invitation is accepted by the person it was sent to, signed in' });
      const accepted = await acceptInvitation(kassa, principal, request.body.token, request.ip, kassa.clock.now());
      if (!accepted.ok) return sendProblem(reply, accepted.failure);
      return accepted.value;
    },
  );

  app.patch(
    '/accounts/:id/members/:user_id',
    {
      config: { access: 'members:write' },
      schema: {
        tags,
        summary: "Change a member's role; granting or taking the owner role needs an owner, and the last owner stays one",
        params: MemberParams,
        body: RoleBody,
        response: { 200: MemberSchema, ...problemResponses(403, 404, 409) },
      },
    },
    async (request, reply) => {
      const { id, user_id } = request.params;
      const changed = await changeMember(kassa, request.principal, { accountId: id, userId: user_id, role: request.body.role, ownerDenied: await ownerDenied(request, id), ip: request.ip }, kassa.clock.now());
      if (!changed.ok) return sendProblem(reply, changed.failure);
      return changed.value!;
    },
  );

  app.delete(
    '/accounts/:id/members/:user_id',
    {
      config: { access: 'members:write' },
      schema: { tags, summary: 'Remove a member; removing an owner needs an owner, and the last owner cannot be removed', params: MemberParams, response: { 204: Type.Null({ description: 'removed; no body' }), ...problemResponses(403, 404, 409) } },
    },
    async (request, reply) => {
      const { id, user_id } = request.params;
      const removed = await changeMember(kassa, request.principal, { accountId: id, userId: user_id, role: null, ownerDenied: await ownerDenied(request, id), ip: request.ip }, kassa.clock.now());
      if (!removed.ok) return sendProblem(reply, removed.failure);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/accounts/:id/ownership',
    {
      config: { access: 'owners:write' },
      schema: {
        tags,
        summary: 'Transfer ownership to a member: they become owner, the owner handing over becomes admin',
        params: AccountParams,
        body: TransferBody,
        response: { 200: MemberListSchema, ...problemResponses(403, 404, 409) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const transferred = await transferOwnership(kassa, request.principal, id, request.body.user_id, request.ip, kassa.clock.now());
      if (!transferred.ok) return sendProblem(reply, transferred.failure);
      return { data: transferred.value };
    },
  );

  app.get(
    '/accounts/:id/plan',
    {
      config: { access: 'plan:read' },
      schema: {
        tags,
        summary: 'The plan and seats view (owner only): per service, units created, included in the plan, additional, and paid through the current period',
        params: AccountParams,
        response: { 200: PlanViewSchema, ...problemResponses(403, 404) },
      },
    },
    async (request, reply) => {
      if (!(await accountExists(kassa.db, request.params.id))) return sendProblem(reply, noAccount(request.params.id));
      return planView(kassa.db, request.params.id, kassa.clock.now());
    },
  );
}

const noAccount = (id: number): Failure => ({ code: 'not_found', detail: `no account ${id}` });

async function accountExists(db: Db, id: number): Promise<boolean> {
  const [row] = await db.select({ id: accounts.id }).from(accounts).where(eq(accounts.id, id));
  return row !== undefined;
}

/** Why this caller may not grant or take the owner role here (the 'owners:write' permission). */
function ownerDenied(request: FastifyRequest, accountId: number) {
  return mayActOn(request, 'owners:write', accountId);
}
