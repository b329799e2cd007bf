// Taking a batch of usage events (SPEC 7): each event is read on its own (./usage-event.ts),
// its account resolved, and the batch kept in one transaction, set-based, before the answer.
// An id is unique per account: the same event again (in the batch, or months later) is
// counted as a duplicate and changes nothing; the same id with another meter, quantity or time
// is refused as `idempotency_conflict`. Refused events are listed by index; the rest is kept.
import { sql } from 'drizzle-orm';
import type { Kassa } from '../context.js';
import { type Db, query, toDate } from '../db/client.js';
import { type Meter, type Refusal, type UsageEvent, readQuantity, readUsageEvent } from './usage-event.js';
import { CLOCK_SKEW_MS, USAGE_SETTING, type UsageSettings, usageSettingsOf } from './settings.js';

export const MAX_EVENTS_PER_BATCH = 10_000;

export interface Ingested {
  /** The batch the new events were kept in; null when none was new. */
  batchId: number | null;
  accepted: number;
  duplicates: number;
  refused: Refusal[];
}

interface Resolved extends UsageEvent {
  index: number;
  accountId: number;
}

/** The metered services and the usage settings, in one round trip: on PGlite each one waits its turn. */
async function readIngestRules(db: Db): Promise<{ meters: Map<string, Meter>; settings: UsageSettings }> {
  const [row] = await query<{ meters: { code: string; meter_aggregation: Meter['aggregation']; meter_decimals: number }[] | null; settings: Partial<UsageSettings> | null }>(
    db,
    sql`select (select json_agg(json_build_object('code', code, 'meter_aggregation', meter_aggregation, 'meter_decimals', meter_decimals)) from services where meter_aggregation is not null) as meters,
               (select value from provider_settings where key = ${USAGE_SETTING}) as settings`,
  );
  const meters = new Map((row!.meters ?? []).map((r) => [r.code, { code: r.code, aggregation: r.meter_aggregation, decimals: Number(r.meter_decimals) }]));
  return { meters, settings: usageSettingsOf(row!.settings) };
}

/** Batches being kept, per Kassa, and the raters waiting for none to be (see `ingestIdle`). */
const inFlight = new WeakMap<Kassa, { batches: number; waiting: (() => void)[] }>();

/**
 * Resolves once no batch is being kept, or after `atMostMs`: a rater on PGlite lets the
 * batches arriving have the one database session first (ADR 0011, "Ingest first").
 */
export function ingestIdle(kassa: Kassa, atMostMs: number): Promise<void> {
  const traffic = inFlight.get(kassa);
  if (!traffic || traffic.batches === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, atMostMs);
    traffic.waiting.push(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * Reads, resolves and keeps a batch in one transaction: on PGlite, whose one session serves
 * every request in turn, the batch waits for it once rather than once per statement.
 */
export async function ingestUsage(kassa: Kassa, raws: readonly unknown[]): Promise<Ingested> {
  const traffic = inFlight.get(kassa) ?? { batches: 0, waiting: [] };
  inFlight.set(kassa, traffic);
  traffic.batches += 1;
  try {
    return await keepUsage(kassa, raws);
  } finally {
    traffic.batches -= 1;
    if (traffic.batches === 0) for (const wake of traffic.waiting.splice(0)) wake();
  }
}

async function keepUsage(kassa: Kassa, raws: readonly unknown[]): Promise<Ingested> {
  const now = kassa.clock.now();
  return kassa.db.transaction(async (txAny) => {
    const tx = txAny as unknown as Db;
    const { meters, settings } = await readIngestRules(tx);
    const window = { now, graceMs: settings.grace_days * 86_400_000, skewMs: CLOCK_SKEW_MS };
    const refused: Refusal[] = [];
    const read: (UsageEvent & { index: number })[] = [];
    raws.forEach((raw, index) => {
      const one = readUsageEvent(raw, index, meters, window);
      if (one.ok) read.push({ ...one.event, index });
      else refused.push(one.refusal);
    });

    const resolved = await resolveAccounts(tx, read, refused);
    // The same id twice in one batch: the first is taken, a same copy is a duplicate.
    const first = new Map<string, Resolved>();
    const fresh: Resolved[] = [];
    let duplicates = 0;
    for (const event of resolved) {
      const key = `${event.accountId}/${event.eventId}`;
      const seen = first.get(key);
      if (!seen) {
        first.set(key, event);
        fresh.push(event);
      } else if (sameEvent(seen, event)) duplicates += 1;
      else refused.push(conflict(event));
    }

    let batchId: number | null = null;
    let accepted = 0;
    if (fresh.length > 0) {
      const kept = await keepBatch(tx, fresh, now);
      batchId = kept.batchId;
      accepted = kept.inserted;
      duplicates += kept.duplicates;
      refused.push(...kept.conflicts.map(conflict));
    }
    refused.sort((a, b) => a.index - b.index);
    return { batchId, accepted, duplicates, refused };
  });
}

async function resolveAccounts(db: Db, events: (UsageEvent & { index: number })[], refused: Refusal[]): Promise<Resolved[]> {
  const ids = [...new Set(events.flatMap((e) => ('id' in e.account ? [e.account.id] : [])))];
  const refs = [...new Set(events.flatMap((e) => ('externalRef' in e.account ? [e.account.externalRef] : [])))];
  // By the primary key's array lookup: a batch names up to 10,000 accounts, one probe each.
  const byIds = sql`select id, external_ref, status from accounts where id = any(${`{${ids.join(',')}}`}::bigint[])`;
  const byRefs = sql`select id, external_ref, status from accounts where external_ref in (select jsonb_array_elements_text(${JSON.stringify(refs)}::jsonb))`;
  const rows =
    ids.length + refs.length === 0
      ? []
      : await query<{ id: number | string; external_ref: string | null; status: string }>(
          db,
          refs.length === 0 ? byIds : ids.length === 0 ? byRefs : sql`${byIds} union all ${byRefs}`,
        );
  const byId = new Map(rows.map((r) => [Number(r.id), r]));
  const byRef = new Map(rows.filter((r) => r.external_ref !== null).map((r) => [r.external_ref!, r]));
  const out: Resolved[] = [];
  for (const event of events) {
    const account = 'id' in event.account ? byId.get(event.account.id) : byRef.get(event.account.externalRef);
    const field = `/events/${event.index}${'id' in event.account ? '/account_id' : '/subject'}`;
    const named = 'id' in event.account ? String(event.account.id) : event.account.externalRef;
    if (!account) refused.push({ index: event.index, id: event.eventId, code: 'not_found', detail: `no account ${named}`, field });
    else if (account.status === 'closed') refused.push({ index: event.index, id: event.eventId, code: 'invalid_state', detail: `account ${named} is closed`, field });
    else out.push({ ...event, accountId: Number(account.id) });
  }
  return out;
}

/** One batch row and its new events; what was kept before is told apart as duplicate or conflict. */
async function keepBatch(tx: Db, events: Resolved[], at: Date): Promise<{ batchId: number | null; inserted: number; duplicates: number; conflicts: Resolved[] }> {
  const rows = JSON.stringify(events.map((e) => ({ a: e.accountId, e: e.eventId, m: e.meter, q: e.quantity, t: e.occurredAt.toISOString(), r: e.reservationId })));
  // The events, then their batch row counting those kept (none kept: no batch), in one statement.
  const inserted = await query<{ batch_id: number | string | null; account_id: number | string | null; event_id: string | null }>(
    tx,
    sql`with next as (
          select nextval(pg_get_serial_sequence('usage_batches', 'id')) as id
        ),
        kept as (
          insert into usage_events (account_id, event_id, meter, quantity, occurred_at, batch_id, reservation_id)
          select e.a, e.e, e.m, e.q, e.t, (select id from next), e.r
          from jsonb_to_recordset(${rows}::jsonb) as e(a bigint, e text, m text, q numeric, t timestamptz, r bigint)
          -- One order for every batch: two batches holding the same events never deadlock.
          order by e.a, e.e
          on conflict (account_id, event_id) do nothing
          returning account_id, event_id
        ),
        batch as (
          insert into usage_batches (id, received_at, events) overriding system value
          select id, ${at}, (select count(*) from kept) from next where exists (select 1 from kept)
          returning id
        )
        select (select id from batch) as batch_id, kept.account_id, kept.event_id from (select 1) one left join kept on true`,
  );
  const batchId = inserted[0]!.batch_id === null ? null : Number(inserted[0]!.batch_id);
  const keptRows = inserted.filter((r) => r.event_id !== null);
  const taken = new Set(keptRows.map((r) => `${Number(r.account_id)}/${r.event_id}`));
  const others = events.filter((e) => !taken.has(`${e.accountId}/${e.eventId}`));
  let duplicates = 0;
  const conflicts: Resolved[] = [];
  if (others.length > 0) {
    const keys = JSON.stringify(others.map((e) => ({ a: e.accountId, e: e.eventId })));
    const earlier = await query<{ account_id: number | string; event_id: string; meter: string; quantity: string; occurred_at: Date | string }>(
      tx,
      sql`select u.account_id, u.event_id, u.meter, u.quantity::text as quantity, u.occurred_at
          from jsonb_to_recordset(${keys}::jsonb) as k(a bigint, e text)
          join usage_events u on u.account_id = k.a and u.event_id = k.e`,
    );
    const before = new Map(earlier.map((r) => [`${Number(r.account_id)}/${r.event_id}`, r]));
    for (const event of others) {
      const kept = before.get(`${event.accountId}/${event.eventId}`);
      const same = kept && sameEvent({ meter: kept.meter, quantity: readQuantity(kept.quantity, { decimals: 6 }) as string, occurredAt: toDate(kept.occurred_at) }, event);
      if (same) duplicates += 1;
      else conflicts.push(event);
    }
  }
  return { batchId, inserted: keptRows.length, duplicates, conflicts };
}

const sameEvent = (a: Pick<UsageEvent, 'meter' | 'quantity' | 'occurredAt'>, b: Pick<UsageEvent, 'meter' | 'quantity' | 'occurredAt'>) =>
  a.meter === b.meter && a.quantity === b.quantity && a.occurredAt.getTime() === b.occurredAt.getTime();

const conflict = (event: Resolved): Refusal => ({
  index: event.index,
  id: event.eventId,
  code: 'idempotency_conflict',
  detail: `event ${event.eventId} of account ${event.accountId} was reported before with another meter, quantity or time`,
  field: `/events/${event.index}/id`,
});
