// The Fastify instance every route file registers on, what Kassa adds to it and to each
// request, and who may call a route. Route files import from here, never from src/app.ts,
// which assembles them.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest, RawServerDefault } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Principal, authorize } from '../auth/principal.js';
import type { Permission } from '../auth/permissions.js';
import type { Kassa } from '../context.js';
import type { Failure } from '../shared/result.js';

export type KassaApp = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>;

declare module 'fastify' {
  interface FastifyInstance {
    kassa: Kassa;
    /** The entitlement checks answered before Fastify's request cycle (src/entitlements/hot-path.ts); tests read the count. */
    hotPath: { readonly answered: number };
    /** Every registered route (tests walk it): "POST /v1/accounts/:id/adjustments" and who may call it. */
    routeList: { route: string; access: RouteAccess; fieldAccess: Record<string, Permission> }[];
  }
  interface FastifyRequest {
    principal: Principal;
  }
  interface FastifyContextConfig {
    /** Set at registration: the route's `:id` is an account id. */
    accountScoped?: boolean;
    /**
     * Who may call the route; one hook enforces it. A permission on a route whose `:id` is an
     * account is checked against the caller's role in that account; 'authenticated' lets any
     * signed-in caller through (the catalog); absent means the provider's staff only.
     */
    access?: RouteAccess;
    /**
     * Body fields that need a permission of their own on top of `access`: a caller who may
     * change an account's name may not switch its system credit on (`credit_enabled` needs
     * `credit:write`). Checked by the same hook, only when the field is sent.
     */
    fieldAccess?: Record<string, Permission>;
  }
}

export type RouteAccess = Permission | 'staff' | 'authenticated' | 'public';

/** For routes that find the account through another resource (a subscription): same rule. */
export async function mayActOn(request: FastifyRequest, permission: Permission, accountId: number): Promise<Failure | undefined> {
  return authorize(request.server.kassa.db, request.principal, permission, accountId);
}
