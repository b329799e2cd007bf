// Notifications and state changes are written to the outbox in the same transaction as the
// change itself; delivery (mail, webhooks) reads from here later, so nothing is lost.
import type { Db } from '../db/client.js';
import { outbox } from '../db/schema.js';

export type OutboxTopic =
  | 'account.created'
  | 'account.updated'
  | 'balance.adjusted'
  | 'balance.low'
  | 'subscription.created'
  | 'subscription.charged'
  | 'subscription.refunded'
  | 'subscription.disabled'
  | 'subscription.enabled'
  | 'subscription.suspended'
  | 'subscription.resumed'
  | 'subscription.plan_changed'
  | 'object_count.over_limit'
  | 'usage.charged'
  | 'usage.funds_exhausted'
  | 'usage.reserved'
  | 'usage.reservation_released'
  | 'top_up.requested'
  | 'top_up.received'
  | 'top_up.succeeded'
  | 'top_up.failed'
  | 'top_up.expired'
  | 'top_up.refunded'
  | 'top_up.disputed'
  | 'top_up.cancelled'
  | 'account.closed'
  | 'account.payout_due'
  | 'account.payout_paid'
  | 'auto_top_up.succeeded'
  | 'auto_top_up.failed'
  | 'auto_top_up.paused'
  | 'auto_top_up.capped'
  | 'billing_run.completed';

export interface OutboxEvent {
  /** null: the provider's own event (billing_run.completed), in the provider's feed only. */
  accountId: number | null;
  topic: OutboxTopic;
  payload: Record<string, unknown>;
}

const jsonPayload = (payload: Record<string, unknown>) => JSON.parse(JSON.stringify(payload, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));

export async function writeOutbox(tx: Db, accountId: number | null, topic: OutboxTopic, payload: Record<string, unknown>, at: Date) {
  await writeOutboxEvents(tx, [{ accountId, topic, payload }], at);
}

/** Several events in one statement, in the order given. */
export async function writeOutboxEvents(tx: Db, events: OutboxEvent[], at: Date) {
  if (events.length === 0) return;
  await tx.insert(outbox).values(events.map((e) => ({ accountId: e.accountId, topic: e.topic, payload: jsonPayload(e.payload), createdAt: at })));
}
