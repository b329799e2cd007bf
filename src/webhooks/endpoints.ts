// Webhook endpoints (SPEC 10, issue 10): registered, changed and removed by staff, each with
// its own signing secret, shown once when it is made. Rotating the secret makes a new one and
// lets the old one go on signing beside it for 24 hours, so a receiver can switch over without
// refusing a delivery. Every change is audited in its own transaction.
import { randomBytes } from 'node:crypto';
import { and, asc, eq, gt, isNotNull, isNull, or, sql } from 'drizzle-orm';
import { type Actor, recordAudit } from '../audit/record.js';
import type { WebhookSettings } from '../config.js';
import { type Db, query, toDate } from '../db/client.js';
import { webhookDeliveries, webhookEndpointSecrets, webhookEndpoints } from '../db/schema.js';
import { OUTBOX_TOPICS } from '../outbox/write.js';
import { type Failure, type Result, fail, ok } from '../shared/result.js';
import type { SecretBox } from '../shared/secret-box.js';
import { hostProblem, webhookUrlProblem } from './url-guard.js';

/** How long a rotated-out secret goes on signing beside the new one. */
export const ROTATION_OVERLAP_MS = 24 * 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface EndpointInput {
  url: string;
  description?: string | null;
  /** null or absent: every event type. */
  event_types?: string[] | null;
  enabled?: boolean;
  parallel?: boolean;
}

export interface EndpointView {
  id: number;
  url: string;
  description: string | null;
  event_types: string[] | null;
  enabled: boolean;
  disabled_reason: 'operator' | 'gone' | 'failing' | null;
  parallel: boolean;
  created_at: string;
  updated_at: string;
  /** The secrets signing its deliveries now (values are shown only when made): the current one, and a rotated-out one until it expires. */
  secrets: { created_at: string; expires_at: string | null }[];
  health: EndpointHealth;
}

/** How an endpoint is doing: what waits for it, how its last day's attempts went, its last failure. */
export interface EndpointHealth {
  /** Deliveries not yet sent, or waiting for a retry. */
  backlog: number;
  attempts_24h: number;
  /** Of the last 24 hours' attempts, the share answered 2xx (0 to 1); null without attempts. */
  success_rate_24h: number | null;
  /** Since when every attempt has failed; null when the last one succeeded. */
  failing_since: string | null;
  last_failure: { attempted_at: string; status_code: number | null; error: string | null } | null;
}

/** Where the signing secrets are stored, sealed (src/shared/secret-box.ts). */
export const WEBHOOK_SECRET_COLUMN = 'webhook_endpoint_secrets.secret';

/** A new signing secret: whsec_ and 32 random bytes in base64, as the Standard Webhooks libraries read it. */
export const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

const TOPICS: ReadonlySet<string> = new Set(OUTBOX_TOPICS);

/** Why the endpoint cannot be stored as given (the field at fault), after resolving its host; undefined when it can. */
async function inputProblem(input: Partial<EndpointInput>, settings: WebhookSettings): Promise<Failure | undefined> {
  if (input.url !== undefined) {
    const problem = webhookUrlProblem(input.url, settings) ?? (await hostProblem(input.url, settings));
    if (problem) return { code: 'validation_failed', detail: `url: ${problem}`, field: '/url' };
  }
  const unknown = (input.event_types ?? []).findIndex((type) => !TOPICS.has(type));
  if (unknown >= 0) return { code: 'validation_failed', detail: `event_types: no event type ${input.event_types![unknown]}; see GET /v1/webhook-event-types`, field: `/event_types/${unknown}` };
  return undefined;
}

export async function createEndpoint(db: Db, secrets: SecretBox, actor: Actor, input: EndpointInput, settings: WebhookSettings, ip: string | null, at: Date): Promise<Result<{ endpoint: EndpointView; secret: string }>> {
  const problem = await inputProblem(input, settings);
  if (problem) return { ok: false, failure: problem };
  const secret = newSecret();
  const id = await db.transaction(async (txAny) => {
    const tx = txAny as unknown as Db;
    const [row] = await tx
      .insert(webhookEndpoints)
      .values({ url: input.url, description: input.description ?? null, eventTypes: distinct(input.event_types), enabled: input.enabled ?? true, disabledReason: input.enabled === false ? 'operator' : null, parallel: input.parallel ?? false, createdAt: at, updatedAt: at })
      .returning({ id: webhookEndpoints.id });
    await tx.insert(webhookEndpointSecrets).values({ endpointId: row!.id, secret: secrets.seal(secret, WEBHOOK_SECRET_COLUMN), createdAt: at });
    await recordAudit(tx, actor, { action: 'webhook_endpoint.created', target: `webhook_endpoint:${row!.id}`, data: { url: input.url, event_types: input.event_types ?? null }, ip, at });
    return row!.id;
  });
  return ok({ endpoint: (await readEndpoint(db, id, at))!, secret });
}

export async function updateEndpoint(db: Db, actor: Actor, id: number, patch: Partial<EndpointInput>, settings: WebhookSettings, ip: string | null, at: Date): Promise<Result<EndpointView>> {
  const problem = await inputProblem(patch, settings);
  if (problem) return { ok: false, failure: problem };
  const updated = await db.transaction(async (txAny) => {
    const tx = txAny as unknown as Db;
    const [row] = await tx
      .update(webhookEndpoints)
      .set({
        ...(patch.url !== undefined ? { url: patch.url } : {}),
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        ...(patch.event_types !== undefined ? { eventTypes: distinct(patch.event_types) } : {}),
        ...(patch.parallel !== undefined ? { parallel: patch.parallel } : {}),
        // Enabling clears why it was disabled, whoever disabled it; disabling here is the operator's.
        ...(patch.enabled !== undefined ? { enabled: patch.enabled, disabledReason: patch.enabled ? null : 'operator', ...(patch.enabled ? { failingSince: null } : {}) } : {}),
        updatedAt: at,
      })
      .where(eq(webhookEndpoints.id, id))
      .returning({ id: webhookEndpoints.id });
    if (!row) return false;
    // Enabled again (its receiver fixed): what waits for it goes now, not at its next retry.
    if (patch.enabled === true) await tx.update(webhookDeliveries).set({ nextAttemptAt: at }).where(and(eq(webhookDeliveries.endpointId, id), eq(webhookDeliveries.status, 'pending'), gt(webhookDeliveries.nextAttemptAt, at)));
    await recordAudit(tx, actor, { action: 'webhook_endpoint.updated', target: `webhook_endpoint:${id}`, data: { ...patch }, ip, at });
    return true;
  });
  if (!updated) return fail('not_found', `no webhook endpoint ${id}`);
  return ok((await readEndpoint(db, id, at))!);
}

export async function deleteEndpoint(db: Db, actor: Actor, id: number, ip: string | null, at: Date): Promise<boolean> {
  return db.transaction(async (txAny) => {
    const tx = txAny as unknown as Db;
    const [row] = await tx.delete(webhookEndpoints).where(eq(webhookEndpoints.id, id)).returning({ url: webhookEndpoints.url });
    if (!row) return false;
    await tx.delete(webhookEndpointSecrets).where(eq(webhookEndpointSecrets.endpointId, id));
    await recordAudit(tx, actor, { action: 'webhook_endpoint.deleted', target: `webhook_endpoint:${id}`, data: { url: row.url }, ip, at });
    return true;
  });
}

/** A new current secret; the one it replaces signs beside it for 24 hours, and any older one stops now. */
export async function rotateSecret(db: Db, secrets: SecretBox, actor: Actor, id: number, ip: string | null, at: Date): Promise<Result<{ endpoint: EndpointView; secret: string }>> {
  const secret = newSecret();
  const rotated = await db.transaction(async (txAny) => {
    const tx = txAny as unknown as Db;
    const [endpoint] = await tx.select({ id: webhookEndpoints.id }).from(webhookEndpoints).where(eq(webhookEndpoints.id, id)).for('update');
    if (!endpoint) return false;
    await tx.delete(webhookEndpointSecrets).where(and(eq(webhookEndpointSecrets.endpointId, id), isNotNull(webhookEndpointSecrets.expiresAt)));
    await tx.update(webhookEndpointSecrets).set({ expiresAt: new Date(at.getTime() + ROTATION_OVERLAP_MS) }).where(and(eq(webhookEndpointSecrets.endpointId, id), isNull(webhookEndpointSecrets.expiresAt)));
    await tx.insert(webhookEndpointSecrets).values({ endpointId: id, secret: secrets.seal(secret, WEBHOOK_SECRET_COLUMN), createdAt: at });
    await recordAudit(tx, actor, { action: 'webhook_endpoint.secret_rotated', target: `webhook_endpoint:${id}`, ip, at });
    return true;
  });
  if (!rotated) return fail('not_found', `no webhook endpoint ${id}`);
  return ok({ endpoint: (await readEndpoint(db, id, at))!, secret });
}

/** The secrets that sign a delivery made at `at`, newest first. */
export async function signingSecrets(db: Db, secrets: SecretBox, endpointId: number, at: Date): Promise<string[]> {
  const rows = await db
    .select({ secret: webhookEndpointSecrets.secret })
    .from(webhookEndpointSecrets)
    .where(and(eq(webhookEndpointSecrets.endpointId, endpointId), or(isNull(webhookEndpointSecrets.expiresAt), gt(webhookEndpointSecrets.expiresAt, at))))
    .orderBy(asc(webhookEndpointSecrets.expiresAt), asc(webhookEndpointSecrets.id));
  return rows.map((r) => secrets.open(r.secret, WEBHOOK_SECRET_COLUMN)).reverse();
}

export async function readEndpoint(db: Db, id: number, at: Date): Promise<EndpointView | undefined> {
  return (await readEndpoints(db, at, id))[0];
}

/** Every endpoint (or the one with `id`), oldest first, with the secrets signing now. */
export async function readEndpoints(db: Db, at: Date, id?: number): Promise<EndpointView[]> {
  const rows = await db.select().from(webhookEndpoints).where(id === undefined ? undefined : eq(webhookEndpoints.id, id)).orderBy(asc(webhookEndpoints.id));
  if (rows.length === 0) return [];
  const secrets = await db
    .select({ endpointId: webhookEndpointSecrets.endpointId, createdAt: webhookEndpointSecrets.createdAt, expiresAt: webhookEndpointSecrets.expiresAt })
    .from(webhookEndpointSecrets)
    .where(or(isNull(webhookEndpointSecrets.expiresAt), gt(webhookEndpointSecrets.expiresAt, at)))
    .orderBy(asc(webhookEndpointSecrets.id));
  const health = new Map(
    (await query<{ id: number | string; backlog: number | string; attempts: number | string; succeeded: number | string; last_failure: { attempted_at: string; status_code: number | null; error: string | null } | null }>(
      db,
      sql`select e.id,
                 (select count(*) from webhook_deliveries d where d.endpoint_id = e.id and d.status = 'pending') as backlog,
                 (select count(*) from webhook_attempts a where a.endpoint_id = e.id and a.attempted_at > ${new Date(at.getTime() - DAY_MS)}::timestamptz) as attempts,
                 (select count(*) from webhook_attempts a where a.endpoint_id = e.id and a.attempted_at > ${new Date(at.getTime() - DAY_MS)}::timestamptz and a.status_code between 200 and 299) as succeeded,
                 (select row_to_json(f) from (select attempted_at, status_code, error from webhook_attempts a
                    where a.endpoint_id = e.id and (a.status_code is null or a.status_code not between 200 and 299) order by a.attempted_at desc, a.id desc limit 1) f) as last_failure
          from webhook_endpoints e where e.id = any(${`{${rows.map((r) => r.id).join(',')}}`}::bigint[])`,
    )).map((h) => [Number(h.id), h]),
  );
  const healthOf = (id: number, failingSince: Date | null): EndpointHealth => {
    const h = health.get(id)!;
    const attempts = Number(h.attempts);
    return {
      backlog: Number(h.backlog),
      attempts_24h: attempts,
      success_rate_24h: attempts === 0 ? null : Number(h.succeeded) / attempts,
      failing_since: failingSince?.toISOString() ?? null,
      last_failure: h.last_failure ? { attempted_at: toDate(h.last_failure.attempted_at).toISOString(), status_code: h.last_failure.status_code, error: h.last_failure.error } : null,
    };
  };
  return rows.map((r) => ({
    id: r.id,
    url: r.url,
    description: r.description,
    event_types: r.eventTypes,
    enabled: r.enabled,
    disabled_reason: r.disabledReason,
    parallel: r.parallel,
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
    secrets: secrets.filter((s) => s.endpointId === r.id).reverse().map((s) => ({ created_at: s.createdAt.toISOString(), expires_at: s.expiresAt?.toISOString() ?? null })),
    health: healthOf(r.id, r.failingSince),
  }));
}

const distinct = (types: string[] | null | undefined) => (types ? [...new Set(types)] : null);
