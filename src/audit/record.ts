// The audit log: every security event and operator action, written in the same transaction as
// the action itself. Readable by owners for their account and by operators for all.
import type { Principal } from '../auth/principal.js';
import type { Db } from '../db/client.js';
import { auditLog } from '../db/schema.js';

export interface AuditEntry {
  action: string; // e.g. 'login.succeeded', 'two_factor.enabled', 'token.created', 'member.role_changed'
  accountId?: number | null;
  target?: string | null;
  data?: Record<string, unknown>;
  ip?: string | null;
  at: Date;
}

export type Actor = Principal | { kind: 'system' } | { kind: 'anonymous' };

function actorOf(actor: Actor): { actorKind: 'provider_key' | 'user' | 'operator' | 'system'; actorId: number | null } {
  switch (actor.kind) {
    case 'provider_key':
      return { actorKind: 'provider_key', actorId: actor.keyId };
    case 'user':
      return { actorKind: actor.operator ? 'operator' : 'user', actorId: actor.userId };
    default:
      return { actorKind: 'system', actorId: null };
  }
}

export async function recordAudit(tx: Db, actor: Actor, entry: AuditEntry): Promise<void> {
  await tx.insert(auditLog).values({
    ...actorOf(actor),
    action: entry.action,
    accountId: entry.accountId ?? null,
    target: entry.target ?? null,
    data: entry.data ?? {},
    ip: entry.ip ?? null,
    createdAt: entry.at,
  });
}
