// An endpoint's delivery log and what staff do with it (issue 10): list the deliveries (by
// status, event type, time), read one with its attempts, send one again, replay a time range
// after the receiver's outage, and ping the endpoint to see that it answers and verifies.
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { Kassa } from '../context.js';
import { type Db, query, toDate } from '../db/client.js';
import { page } from '../shared/pagination.js';
import { type Result, fail, ok } from '../shared/result.js';
import { readEndpoint, signingSecrets } from './endpoints.js';
import { type SendOutcome, sendWebhook, signedHeaders } from './send.js';
import { webhookSettings } from './settings.js';

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed';

export interface AttemptView { attempted_at: string; status_code: number | null; latency_ms: number; error: string | null; response_excerpt: string | null }

export interface DeliveryView {
  id: number;
  /** The webhook-id header: the event's id, the same on every attempt. */
  event_id: string;
  event_type: string;
  account_id: number | null;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: string | null;
  last_attempt_at: string | null;
  created_at: string;
  last_attempt: AttemptView | null;
}

export interface DeliveryFilter { status?: DeliveryStatus; event_type?: string; from?: string; to?: string; limit: number; cursor?: string }

type DeliveryRow = { id: number | string; outbox_id: number | string; topic: string; account_id: number | string | null; status: DeliveryStatus; attempts: number; next_attempt_at: Date | string; last_attempt_at: Date | string | null; created_at: Date | string; last_attempt: AttemptRow | null };
type AttemptRow = { attempted_at: Date | string; status_code: number | null; latency_ms: number; error: string | null; response_excerpt: string | null };

const iso = (value: Date | string | null) => (value === null ? null : toDate(value).toISOString());
const attemptView = (a: AttemptRow): AttemptView => ({ attempted_at: iso(a.attempted_at)!, status_code: a.status_code, latency_ms: a.latency_ms, error: a.error, response_excerpt: a.response_excerpt });
const deliveryView = (r: DeliveryRow): DeliveryView => ({
  id: Number(r.id),
  event_id: `evt_${r.outbox_id}`,
  event_type: r.topic,
  account_id: r.account_id === null ? null : Number(r.account_id),
  status: r.status,
  attempts: r.attempts,
  next_attempt_at: r.status === 'pending' ? iso(r.next_attempt_at) : null,
  last_attempt_at: iso(r.last_attempt_at),
  created_at: iso(r.created_at)!,
  last_attempt: r.last_attempt ? attemptView(r.last_attempt) : null,
});

const DELIVERY_COLUMNS = sql`d.id, d.outbox_id, d.topic, d.account_id, d.status, d.attempts, d.next_attempt_at, d.last_attempt_at, d.created_at,
  (select row_to_json(a) from (select attempted_at, status_code, latency_ms, error, response_excerpt from webhook_attempts a where a.delivery_id = d.id order by a.id desc limit 1) a) as last_attempt`;

/** The endpoint's deliveries, newest first, a page at a time; undefined when there is no such endpoint. */
export async function listDeliveries(db: Db, endpointId: number, filter: DeliveryFilter, at: Date): Promise<{ data: DeliveryView[]; next_cursor: string | null } | undefined> {
  const rows = await query<DeliveryRow>(
    db,
    sql`select ${DELIVERY_COLUMNS} from webhook_deliveries d
        where d.endpoint_id = ${endpointId}
          ${filter.status ? sql`and d.status = ${filter.status}` : sql``}
          ${filter.event_type ? sql`and d.topic = ${filter.event_type}` : sql``}
          ${filter.from ? sql`and d.created_at >= ${filter.from}::timestamptz` : sql``}
          ${filter.to ? sql`and d.created_at < ${filter.to}::timestamptz` : sql``}
          ${filter.cursor ? sql`and d.id < ${filter.cursor}::bigint` : sql``}
        order by d.id desc limit ${filter.limit + 1}`,
  );
  // An empty page may be an endpoint that does not exist: only then is it looked for.
  if (rows.length === 0 && !(await readEndpoint(db, endpointId, at))) return undefined;
  return page(rows.map(deliveryView), filter.limit);
}

/** One delivery with every attempt at it, oldest first. */
export async function readDelivery(db: Db, endpointId: number, deliveryId: number): Promise<(DeliveryView & { attempts_made: AttemptView[] }) | undefined> {
  const [row] = await query<DeliveryRow>(db, sql`select ${DELIVERY_COLUMNS} from webhook_deliveries d where d.endpoint_id = ${endpointId} and d.id = ${deliveryId}`);
  if (!row) return undefined;
  const attempts = await query<AttemptRow>(db, sql`select attempted_at, status_code, latency_ms, error, response_excerpt from webhook_attempts where delivery_id = ${deliveryId} order by id`);
  return { ...deliveryView(row), attempts_made: attempts.map(attemptView) };
}

/** Sends a delivery again now, whatever its status: one more attempt (a failed one's schedule is spent, so it is the last unless it succeeds). */
export async function retryDelivery(db: Db, endpointId: number, deliveryId: number, at: Date): Promise<Result<DeliveryView>> {
  const [row] = await query<{ id: number | string }>(
    db,
    sql`update webhook_deliveries set status = 'pending', next_attempt_at = ${at}::timestamptz where endpoint_id = ${endpointId} and id = ${deliveryId} returning id`,
  );
  if (!row) return fail('not_found', `no delivery ${deliveryId} to webhook endpoint ${endpointId}`);
  return ok((await readDelivery(db, endpointId, deliveryId))!);
}

/** The most events one replay sends. */
export const REPLAY_LIMIT = 100_000;

/**
 * Sends the endpoint every event written in [from, to) that it asks for (or of `types`) again
 * now, each with its own id and a fresh schedule: what a receiver missed during an outage.
 * Answers how many it queued.
 */
export async function replay(db: Db, endpointId: number, range: { from: string; to: string; types?: string[] | null }, at: Date): Promise<Result<{ queued: number }>> {
  if (Date.parse(range.to) <= Date.parse(range.from)) return fail('validation_failed', 'to must be after from', { field: '/to' });
  const endpoint = await readEndpoint(db, endpointId, at);
  if (!endpoint) return fail('not_found', `no webhook endpoint ${endpointId}`);
  const types = range.types ?? endpoint.event_types;
  const inRange = sql`o.created_at >= ${range.from}::timestamptz and o.created_at < ${range.to}::timestamptz ${types ? sql`and o.topic = any(${`{${types.join(',')}}`}::text[])` : sql``}`;
  const [counted] = await query<{ n: number | string }>(db, sql`select count(*) as n from outbox o where ${inRange}`);
  if (Number(counted!.n) > REPLAY_LIMIT) return fail('validation_failed', `the range holds ${counted!.n} events; a replay sends at most ${REPLAY_LIMIT}: split it`, { field: '/from' });
  const queued = await query<{ id: number | string }>(
    db,
    sql`insert into webhook_deliveries (endpoint_id, outbox_id, account_id, topic, status, attempts, next_attempt_at, created_at)
        select ${endpointId}, o.id, o.account_id, o.topic, 'pending', 0, ${at}::timestamptz, ${at}::timestamptz
        from outbox o where ${inRange}
        order by o.id
        on conflict (endpoint_id, outbox_id) do update set status = 'pending', attempts = 0, next_attempt_at = excluded.next_attempt_at, leased_until = null
        returning id`,
  );
  return ok({ queued: queued.length });
}

/** Sends a signed `ping` to the endpoint now and answers what it said: a check that the URL answers and verifies the signature. */
export async function ping(kassa: Pick<Kassa, 'db' | 'webhooks' | 'secrets'>, endpointId: number, at: Date): Promise<Result<SendOutcome & { event_id: string }>> {
  const endpoint = await readEndpoint(kassa.db, endpointId, at);
  if (!endpoint) return fail('not_found', `no webhook endpoint ${endpointId}`);
  const id = `ping_${randomUUID()}`;
  const body = JSON.stringify({ type: 'ping', timestamp: at.toISOString(), data: { endpoint_id: endpointId } });
  const outcome = await sendWebhook(endpoint.url, signedHeaders(id, body, await signingSecrets(kassa.db, kassa.secrets, endpointId, at)), body, webhookSettings(kassa));
  return ok({ ...outcome, event_id: id });
}
