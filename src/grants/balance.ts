// The balance answer (SPEC 4): the paid balance, each live credit grant, the credit limit,
// what reservations hold, pending top-ups, and `available`, the parts adding up to it exactly.
import { eq } from 'drizzle-orm';
import { Type } from 'typebox';
import { type AccountRow, availableFunds } from '../accounts/lock.js';
import { AccountParams } from '../accounts/schemas.js';
import { MinorString, pendingTopUps } from '../accounts/representation.js';
import { accounts } from '../db/schema.js';
import type { KassaApp } from '../http/kassa-app.js';
import type { Minor } from '../money/money.js';
import { problemResponses, sendProblem } from '../shared/problem.js';
import { type DrawableGrant, byDrawOrder } from './drawdown.js';
import { liveGrantsOf } from './grants.js';

export const BalanceSchema = Type.Object({
  currency: Type.String(),
  balance: MinorString('the paid balance: money paid in, less what it paid; below zero while system credit is used'),
  grants: Type.Array(
    Type.Object({
      id: Type.Integer(),
      kind: Type.String({ enum: ['promotional', 'paid'] }),
      remaining: MinorString('what the grant still holds'),
      expires_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
      priority: Type.Integer(),
      scope: Type.Union([Type.Array(Type.String()), Type.Null()], { description: 'the service and plan codes it pays; null: any charge' }),
    }, { additionalProperties: false }),
    { description: 'the credit grants that may pay charges now, scoped ones first, each group in the order charges draw them (GET .../grants lists every grant)' },
  ),
  granted: MinorString('what those grants hold together'),
  credit_limit: MinorString('system credit limit'),
  credit_enabled: Type.Boolean(),
  reserved: MinorString('held out of available by open usage reservations'),
  available: MinorString('balance + granted + credit_limit (when credit is enabled) - reserved: what charges may use; a grant scoped to some services pays only those'),
  pending_top_ups: MinorString('what pending top-ups (bank transfers on their way, card and PayPal payments not yet confirmed) still expect; counted in neither balance nor available until it arrives'),
}, {
  title: 'Balance',
  examples: [
    {
      currency: 'EUR',
      balance: '4164',
      grants: [{ id: 4, kind: 'promotional', remaining: '700', expires_at: '2026-12-31T00:00:00.000Z', priority: 100, scope: null }],
      granted: '700',
      credit_limit: '0',
      credit_enabled: false,
      reserved: '0',
      available: '4864',
      pending_top_ups: '0',
    },
  ],
});

/** The balance answer: its parts add up to `available` exactly, from the live grants at this instant. */
export function balanceJson(row: AccountRow, live: readonly DrawableGrant[], pendingTopUps: Minor) {
  // Every grant holding something, scoped ones first, each group in the order it is drawn.
  const grants = live.filter((g) => g.remaining > 0n).sort(byDrawOrder);
  const granted = grants.reduce((sum, g) => sum + g.remaining, 0n);
  return {
    currency: row.currency,
    balance: row.balance.toString(),
    grants: grants.map((g) => ({ id: g.id, kind: g.kind, remaining: g.remaining.toString(), expires_at: g.expiresAt?.toISOString() ?? null, priority: g.priority, scope: g.scope === null ? null : [...g.scope] })),
    granted: granted.toString(),
    credit_limit: row.creditLimit.toString(),
    credit_enabled: row.creditEnabled,
    reserved: row.reserved.toString(),
    available: availableFunds({ ...row, granted }).toString(),
    pending_top_ups: pendingTopUps.toString(),
  };
}

export async function balanceRoutes(app: KassaApp) {
  app.get(
    '/accounts/:id/balance',
    { config: { access: 'billing:read' }, schema: { tags: ['accounts'], summary: "Read an account's balance, its credit grants and available funds", params: AccountParams, response: { 200: BalanceSchema, ...problemResponses(404) } } },
    async (request, reply) => {
      const [account] = await app.kassa.db.select().from(accounts).where(eq(accounts.id, request.params.id));
      if (!account) return sendProblem(reply, { code: 'not_found', detail: `no account ${request.params.id}` });
      return balanceJson(account, await liveGrantsOf(app.kassa.db, account, app.kassa.clock.now()), await pendingTopUps(app.kassa.db, account.id));
    },
  );
}
