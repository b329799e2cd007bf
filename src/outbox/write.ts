// Notifications and state changes are written to the outbox in the same transaction as the
// change itself; delivery (mail, webhooks) reads from here later, so nothing is lost.
import { sql } from 'drizzle-orm';
import { type Db, query } from '../db/client.js';
import { outbox } from '../db/schema.js';

/** Every event type the outbox holds: what webhook endpoints may ask for (src/webhooks). */
export const OUTBOX_TOPICS = [
  'account.created',
  'account.updated',
  'balance.adjusted',
  'balance.low',
  'subscription.created',
  'subscription.charged',
  'subscription.refunded',
  'subscription.disabled',
  'subscription.enabled',
  'subscription.suspended',
  'subscription.resumed',
  'subscription.plan_changed',
  'object_count.over_limit',
  'usage.charged',
  'usage.funds_exhausted',
  'grant.created',
  'grant.effective',
  'grant.expiring',
  'grant.expired',
  'grant.voided',
  'budget.threshold_crossed',
  'budget.reached',
  'usage.over_limit',
  'usage.reserved',
  'usage.reservation_released',
  'top_up.requested',
  'top_up.received',
  'top_up.succeeded',
  'top_up.failed',
  'top_up.expired',
  'top_up.refunded',
  'top_up.disputed',
  'top_up.cancelled',
  'account.closed',
  'account.payout_due',
  'account.payout_paid',
  'auto_top_up.succeeded',
  'auto_top_up.failed',
  'auto_top_up.paused',
  'auto_top_up.capped',
  'billing_run.completed',
  'document.issued',
  'webhook_endpoint.disabled',
] as const;

export type OutboxTopic = (typeof OUTBOX_TOPICS)[number];

export interface OutboxEvent {
  /** null: the provider's own event (billing_run.completed), in the provider's feed only. */
  accountId: number | null;
  topic: OutboxTopic;
  payload: Record<string, unknown>;
}

/** Amounts are bigint minor units in the code and decimal strings in the payload. */
const bigintsAsStrings = (_key: string, value: unknown) => (typeof value === 'bigint' ? value.toString() : value);

export async function writeOutbox(tx: Db, accountId: number | null, topic: OutboxTopic, payload: Record<string, unknown>, at: Date) {
  await writeOutboxEvents(tx, [{ accountId, topic, payload }], at);
}

/**
 * Several events in one statement, in the order given: one JSON parameter, not three per event,
 * so a rating step's ten thousand events cost one round trip and one parse.
 */
export async function writeOutboxEvents(tx: Db, events: OutboxEvent[], at: Date) {
  if (events.length === 0) return;
  const rows = JSON.stringify(events.map((e) => ({ a: e.accountId, t: e.topic, p: e.payload })), bigintsAsStrings);
  await query(
    tx,
    sql`insert into ${outbox} (account_id, topic, payload, created_at)
        select (e.v->>'a')::bigint, e.v->>'t', e.v->'p', ${at}::timestamptz
        from jsonb_array_elements(${rows}::jsonb) with ordinality as e(v, n) order by e.n`,
  );
}
