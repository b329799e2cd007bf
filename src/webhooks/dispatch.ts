// Delivering the outbox to the provider's endpoints (SPEC 10, issue 10).
//
// Fan-out: each outbox event an enabled endpoint asks for (its types, written after the endpoint
// was made) becomes one delivery row per endpoint, written with the event's mark
// (webhook_fanned_out) in one statement, so an event is fanned out once whatever concurrent
// passes. Dispatch: a worker leases due deliveries (`for update skip locked`, so two workers or
// processes never send one delivery at the same time), sends them side by side, and records
// each attempt; a failure is retried on the Standard Webhooks schedule (immediately, 5 s, 5 min,
// 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h) on Kassa's clock, and fails after the last. An
// endpoint that answers 410 Gone is disabled. Unless an endpoint takes deliveries side by side,
// an account's events reach it in the order they were written: a delivery waits while an earlier
// one of the same account to the same endpoint is pending. An endpoint whose attempts all failed
// for 5 days is disabled too, and `webhook_endpoint.disabled` mails the operators. A worker
// killed mid-send leaves its lease to run out (the database's real time), and the delivery is
// sent again: at least once.
import { sql } from 'drizzle-orm';
import type { Kassa } from '../context.js';
import { type Db, query, toDate } from '../db/client.js';
import { writeOutboxEvents } from '../outbox/write.js';
import { signingSecrets } from './endpoints.js';
import { type SendOutcome, sendWebhook, signedHeaders } from './send.js';
import { webhookSettings } from './settings.js';

/** The wait before each attempt after the first, by the attempts made so far (Standard Webhooks). */
export const RETRY_SCHEDULE_MS = [0, 5_000, 5 * 60_000, 30 * 60_000, 2 * 3_600_000, 5 * 3_600_000, 10 * 3_600_000, 14 * 3_600_000, 20 * 3_600_000, 24 * 3_600_000] as const;
/** An endpoint whose every attempt failed for this long is disabled, and the operators told. */
export const FAILING_DISABLES_AFTER_MS = 5 * 24 * 3_600_000;
/** How long a worker holds a delivery it is sending: past the send timeout, so a live worker never loses one. */
const LEASE_SECONDS = 60;
const FAN_OUT_PAGE = 1000;
const DISPATCH_BATCH = 100;

/** How long after a pass saw an outbox id every transaction that could still commit an event at or below it has ended. */
const SETTLE_AFTER_MS = 60_000;
/** Per database, the top outbox ids passes saw, and when (real time): the settled mark moves up to one seen long enough ago. */
const seen = new WeakMap<Db, { id: number; at: number }[]>();

/**
 * Fans out the events not yet fanned out; answers how many deliveries it wrote. The scan starts
 * above the settled mark, so it reads only the recent outbox; with no endpoint enabled there is
 * nothing to fan out, and the mark moves to the top at once (an endpoint takes only the events
 * written after it was made).
 */
export async function fanOut(db: Db, at: Date): Promise<number> {
  const [state] = await query<{ settled: number | string | null; since: Date | string | null; top: number | string | null }>(
    db,
    sql`select (select settled_outbox_id from webhook_fanout_state where id = 1) as settled,
               (select min(created_at) from webhook_endpoints where enabled) as since,
               (select max(id) from outbox) as top`,
  );
  const settled = Number(state!.settled ?? 0);
  const top = Number(state!.top ?? 0);
  if (state!.since === null) {
    if (top > settled) await settle(db, top);
    return 0;
  }
  let written = 0;
  for (;;) {
    const [row] = await query<{ events: number | string; deliveries: number | string }>(
      db,
      sql`with page as (
            select o.id, o.account_id, o.topic, o.created_at from outbox o
            where o.id > ${settled} and o.created_at >= ${toDate(state!.since)}::timestamptz
              and exists (select 1 from webhook_endpoints e where e.enabled and o.created_at >= e.created_at and (e.event_types is null or o.topic = any(e.event_types)))
              and not exists (select 1 from webhook_fanned_out f where f.outbox_id = o.id)
            order by o.id limit ${FAN_OUT_PAGE}
          ),
          marked as (
            insert into webhook_fanned_out (outbox_id) select id from page on conflict do nothing returning outbox_id
          ),
          delivered as (
            insert into webhook_deliveries (endpoint_id, outbox_id, account_id, topic, status, attempts, next_attempt_at, created_at)
            select e.id, p.id, p.account_id, p.topic, 'pending', 0, ${at}::timestamptz, ${at}::timestamptz
            from marked m join page p on p.id = m.outbox_id
            join webhook_endpoints e on e.enabled and p.created_at >= e.created_at and (e.event_types is null or p.topic = any(e.event_types))
            on conflict (endpoint_id, outbox_id) do nothing
            returning 1
          )
          select (select count(*) from page) as events, (select count(*) from delivered) as deliveries`,
    );
    written += Number(row!.deliveries);
    if (Number(row!.events) < FAN_OUT_PAGE) break;
  }
  const now = Date.now();
  const passes = (seen.get(db) ?? []).filter((p) => p.id > settled);
  passes.push({ id: top, at: now });
  const old = passes.filter((p) => now - p.at >= SETTLE_AFTER_MS).at(-1);
  seen.set(db, passes.filter((p) => p.at > (old?.at ?? -1)));
  if (old && old.id > settled) await settle(db, old.id);
  return written;
}

async function settle(db: Db, outboxId: number): Promise<void> {
  await query(db, sql`insert into webhook_fanout_state (id, settled_outbox_id) values (1, ${outboxId}) on conflict (id) do update set settled_outbox_id = greatest(webhook_fanout_state.settled_outbox_id, excluded.settled_outbox_id)`);
}

type Claimed = { id: number | string; endpoint_id: number | string; outbox_id: number | string; account_id: number | string | null; topic: string; attempts: number; url: string; payload: unknown; created_at: Date | string };

/** Leases up to DISPATCH_BATCH due deliveries, sends them side by side and records each attempt; answers how many it sent. */
export async function dispatchDue(kassa: Pick<Kassa, 'db' | 'webhooks' | 'secrets'>, at: Date): Promise<number> {
  const claimed = await query<Claimed>(
    kassa.db,
    sql`with due as (
          select d.id from webhook_deliveries d join webhook_endpoints e on e.id = d.endpoint_id
          where d.status = 'pending' and d.next_attempt_at <= ${at}::timestamptz and e.enabled
            and (d.leased_until is null or d.leased_until < clock_timestamp())
            -- An earlier pending one of the same account (or of the provider's own events) holds it
            -- back; = and is null rather than is not distinct from, so the probe uses the index.
            and (e.parallel or not exists (
              select 1 from webhook_deliveries p
              where p.endpoint_id = d.endpoint_id and p.status = 'pending' and p.outbox_id < d.outbox_id
                and (p.account_id = d.account_id or (p.account_id is null and d.account_id is null))))
          order by d.next_attempt_at, d.id
          limit ${DISPATCH_BATCH}
          for update of d skip locked
        )
        update webhook_deliveries d set leased_until = clock_timestamp() + make_interval(secs => ${LEASE_SECONDS})
        from due, webhook_endpoints e, outbox o
        where d.id = due.id and e.id = d.endpoint_id and o.id = d.outbox_id
        returning d.id, d.endpoint_id, d.outbox_id, d.account_id, d.topic, d.attempts, e.url, o.payload, o.created_at`,
  );
  if (claimed.length === 0) return 0;
  const settings = webhookSettings(kassa);
  const secrets = new Map<number, string[]>();
  for (const endpointId of new Set(claimed.map((c) => Number(c.endpoint_id)))) secrets.set(endpointId, await signingSecrets(kassa.db, kassa.secrets, endpointId, at));
  const outcomes = await Promise.all(
    claimed.map(async (c): Promise<[Claimed, SendOutcome]> => {
      const id = `evt_${c.outbox_id}`;
      const body = JSON.stringify({ type: c.topic, timestamp: toDate(c.created_at).toISOString(), data: { ...(c.payload as Record<string, unknown>), account_id: c.account_id === null ? null : Number(c.account_id) } });
      return [c, await sendWebhook(c.url, signedHeaders(id, body, secrets.get(Number(c.endpoint_id))!), body, settings)];
    }),
  );
  await recordAttempts(kassa.db, outcomes, at);
  return claimed.length;
}

/** Each attempt, and what it does to its delivery (and, on 410 Gone, to its endpoint), in one transaction. */
async function recordAttempts(db: Db, outcomes: [Claimed, SendOutcome][], at: Date): Promise<void> {
  const rows = outcomes.map(([c, o]) => {
    const attempts = c.attempts + 1;
    const succeeded = o.status !== null && o.status >= 200 && o.status < 300;
    const gone = o.status === 410;
    const next = RETRY_SCHEDULE_MS[attempts];
    const status = succeeded ? 'succeeded' : gone || next === undefined ? 'failed' : 'pending';
    return {
      id: Number(c.id),
      endpoint_id: Number(c.endpoint_id),
      attempts,
      status,
      next_attempt_at: new Date(at.getTime() + (next ?? 0)).toISOString(),
      status_code: o.status,
      latency_ms: o.latencyMs,
      error: o.error,
      excerpt: o.excerpt,
      gone,
    };
  });
  await db.transaction(async (txAny) => {
    const tx = txAny as unknown as Db;
    const json = JSON.stringify(rows);
    await query(
      tx,
      sql`insert into webhook_attempts (delivery_id, endpoint_id, attempted_at, status_code, latency_ms, error, response_excerpt)
          select r.id, r.endpoint_id, ${at}::timestamptz, r.status_code, r.latency_ms, r.error, r.excerpt
          from jsonb_to_recordset(${json}::jsonb) as r(id bigint, endpoint_id bigint, status_code int, latency_ms int, error text, excerpt text)`,
    );
    await query(
      tx,
      sql`update webhook_deliveries d set status = r.status, attempts = r.attempts, next_attempt_at = r.next_attempt_at, leased_until = null, last_attempt_at = ${at}::timestamptz
          from jsonb_to_recordset(${json}::jsonb) as r(id bigint, status text, attempts int, next_attempt_at timestamptz)
          where d.id = r.id`,
    );
    const ids = (pick: (r: (typeof rows)[number]) => boolean) => `{${[...new Set(rows.filter(pick).map((r) => r.endpoint_id))].join(',')}}`;
    const answered = ids((r) => r.status === 'succeeded');
    // An endpoint that answered is not failing; one that did not, is from its first failure on.
    await query(tx, sql`update webhook_endpoints set failing_since = null where id = any(${answered}::bigint[]) and failing_since is not null`);
    await query(tx, sql`update webhook_endpoints set failing_since = ${at}::timestamptz where id = any(${ids((r) => r.status !== 'succeeded')}::bigint[]) and not id = any(${answered}::bigint[]) and failing_since is null`);
    const disabled = await query<{ id: number | string; url: string; disabled_reason: 'gone' | 'failing'; failing_since: Date | string | null }>(
      tx,
      sql`update webhook_endpoints
          set enabled = false, updated_at = ${at}::timestamptz,
              disabled_reason = case when id = any(${ids((r) => r.gone)}::bigint[]) then 'gone' else 'failing' end
          where enabled and (id = any(${ids((r) => r.gone)}::bigint[]) or failing_since <= ${new Date(at.getTime() - FAILING_DISABLES_AFTER_MS)}::timestamptz)
          returning id, url, disabled_reason, failing_since`,
    );
    // Told to the operators (by mail, src/notifications/notifier.ts) and to the other endpoints.
    await writeOutboxEvents(
      tx,
      disabled.map((e) => ({ accountId: null, topic: 'webhook_endpoint.disabled' as const, payload: { endpoint_id: Number(e.id), url: e.url, reason: e.disabled_reason, failing_since: e.failing_since === null ? null : toDate(e.failing_since).toISOString() } })),
      at,
    );
  });
}

/** Fans out and sends until nothing is due at `at`; answers how many attempts it made. */
export async function deliverWebhooks(kassa: Pick<Kassa, 'db' | 'webhooks' | 'secrets'>, at: Date): Promise<number> {
  await fanOut(kassa.db, at);
  let sent = 0;
  for (let n = await dispatchDue(kassa, at); n > 0; n = await dispatchDue(kassa, at)) sent += n;
  return sent;
}
