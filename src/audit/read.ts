// Reading the audit log: newest first, in cursor pages (the cursor is the last id seen), with
// filters. Owners read their account's entries; the provider's staff read every entry.
import { type SQL, and, desc, eq, gte, like, lt } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { auditLog } from '../db/schema.js';

export interface AuditFilter {
  accountId?: number;
  /** An exact action ('member.role_changed'), or a family when it ends with '.' ('member.'). */
  action?: string;
  actorKind?: 'provider_key' | 'user' | 'operator' | 'system';
  actorId?: number;
  since?: Date;
  until?: Date;
}

export interface AuditEntryView {
  id: number;
  account_id: number | null;
  actor_kind: string;
  actor_id: number | null;
  action: string;
  target: string | null;
  data: Record<string, unknown>;
  ip: string | null;
  created_at: string;
}

export async function readAudit(db: Db, filter: AuditFilter, limit: number, before: number | undefined): Promise<{ data: AuditEntryView[]; next_cursor: string | null }> {
  const conditions: SQL[] = [];
  if (filter.accountId !== undefined) conditions.push(eq(auditLog.accountId, filter.accountId));
  if (filter.action !== undefined) conditions.push(filter.action.endsWith('.') ? like(auditLog.action, `${filter.action.replace(/[\\%_]/g, '\\$&')}%`) : eq(auditLog.action, filter.action));
  if (filter.actorKind !== undefined) conditions.push(eq(auditLog.actorKind, filter.actorKind));
  if (filter.actorId !== undefined) conditions.push(eq(auditLog.actorId, filter.actorId));
  if (filter.since !== undefined) conditions.push(gte(auditLog.createdAt, filter.since));
  if (filter.until !== undefined) conditions.push(lt(auditLog.createdAt, filter.until));
  if (before !== undefined) conditions.push(lt(auditLog.id, before));
  const rows = await db.select().from(auditLog).where(and(...conditions)).orderBy(desc(auditLog.id)).limit(limit + 1);
  const data = rows.slice(0, limit).map(
    (r): AuditEntryView => ({ id: r.id, account_id: r.accountId, actor_kind: r.actorKind, actor_id: r.actorId, action: r.action, target: r.target, data: r.data, ip: r.ip, created_at: r.createdAt.toISOString() }),
  );
  const last = data[data.length - 1];
  return { data, next_cursor: rows.length > limit && last ? String(last.id) : null };
}
