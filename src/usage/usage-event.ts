// One reported usage event, read off what the product sent (pure; SPEC 7). Two shapes are
// accepted: Kassa's own `{id, account_id, meter, quantity, timestamp}`, and a CloudEvent
// (`specversion`, `id`, `type` = the meter, `subject` = the account's id or external reference,
// `time`, `data.quantity`, one unit when left out), so a product already emitting CloudEvents
// needs no adapter. An event that cannot be taken is refused alone, with its index, a stable
// code and the field at fault; the rest of its batch is still taken.
import type { MeterAggregation } from '../db/schema.js';
import type { FailureCode } from '../shared/result.js';

export interface Meter {
  code: string;
  aggregation: MeterAggregation;
  decimals: number;
}

export type AccountRef = { id: number } | { externalRef: string };

export interface UsageEvent {
  eventId: string;
  account: AccountRef;
  meter: string;
  /** Exact decimal, canonical: no sign, no leading zeros, no trailing fractional zeros. */
  quantity: string;
  occurredAt: Date;
  reservationId: number | null;
}

export interface Refusal {
  index: number;
  id: string | null;
  code: FailureCode;
  detail: string;
  field: string;
}

export interface Window {
  now: Date;
  /** How old an event may be: later ones are refused, their day may be rated already. */
  graceMs: number;
  /** How far ahead of Kassa's clock the product's may run. */
  skewMs: number;
}

export const MAX_EVENT_ID_LENGTH = 200;
const QUANTITY = /^(0|[1-9][0-9]{0,17})(?:\.([0-9]{1,12}))?$/;
const ACCOUNT_ID = /^[1-9][0-9]{0,15}$/;

type Read = { ok: true; event: UsageEvent } | { ok: false; refusal: Refusal };

export function readUsageEvent(raw: unknown, index: number, meters: ReadonlyMap<string, Meter>, window: Window): Read {
  const at = (field: string) => `/events/${index}${field}`;
  const refuse = (code: FailureCode, detail: string, field: string, id: string | null = null): Read => ({ ok: false, refusal: { index, id, code, detail, field: at(field) } });
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return refuse('validation_failed', 'an event is a JSON object', '');
  const event = raw as Record<string, unknown>;
  const cloud = 'specversion' in event;

  const id = event.id;
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_EVENT_ID_LENGTH) return refuse('validation_failed', `id is a string of 1 to ${MAX_EVENT_ID_LENGTH} characters, unique per account`, '/id');
  if (cloud && event.specversion !== '1.0') return refuse('validation_failed', 'specversion 1.0 is the CloudEvents version understood', '/specversion', id);
  const data = cloud ? event.data : undefined;
  if (cloud && data !== undefined && (typeof data !== 'object' || data === null || Array.isArray(data))) return refuse('validation_failed', "a CloudEvent's data is a JSON object", '/data', id);
  const fields = {
    meter: cloud ? { value: event.type, field: '/type' } : { value: event.meter, field: '/meter' },
    account: cloud ? { value: event.subject, field: '/subject' } : { value: event.account_id, field: '/account_id' },
    quantity: cloud ? { value: (data as Record<string, unknown> | undefined)?.quantity ?? 1, field: '/data/quantity' } : { value: event.quantity, field: '/quantity' },
    timestamp: cloud ? { value: event.time, field: '/time' } : { value: event.timestamp, field: '/timestamp' },
    reservation: cloud ? { value: (data as Record<string, unknown> | undefined)?.reservation_id, field: '/data/reservation_id' } : { value: event.reservation_id, field: '/reservation_id' },
  };

  const account = accountRef(fields.account.value, cloud);
  if (!account) return refuse('validation_failed', cloud ? "subject is the account's id or external reference" : 'account_id is a positive integer', fields.account.field, id);
  const meterCode = fields.meter.value;
  if (typeof meterCode !== 'string') return refuse('validation_failed', `${cloud ? 'type' : 'meter'} names the meter`, fields.meter.field, id);
  const meter = meters.get(meterCode);
  if (!meter) return refuse('unknown_meter', `no metered service ${meterCode}`, fields.meter.field, id);

  const quantity = readQuantity(fields.quantity.value, meter);
  if (typeof quantity !== 'string') return refuse('validation_failed', quantity.detail, fields.quantity.field, id);

  // A CloudEvent need not say when; then it happened as it arrived.
  const stamp = fields.timestamp.value ?? (cloud ? window.now.toISOString() : undefined);
  const occurredAt = typeof stamp === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(stamp) ? new Date(stamp) : null;
  if (!occurredAt || Number.isNaN(occurredAt.getTime())) return refuse('validation_failed', 'an RFC 3339 date-time with its offset, e.g. 2026-12-02T10:15:00Z', fields.timestamp.field, id);
  if (occurredAt.getTime() < window.now.getTime() - window.graceMs) return refuse('event_too_old', `older than the ${window.graceMs / 3_600_000} hours usage may arrive late`, fields.timestamp.field, id);
  if (occurredAt.getTime() > window.now.getTime() + window.skewMs) return refuse('event_in_the_future', `more than ${window.skewMs / 60_000} minutes ahead of Kassa's clock`, fields.timestamp.field, id);

  const reservation = fields.reservation.value;
  if (reservation !== undefined && reservation !== null && !(Number.isSafeInteger(reservation) && (reservation as number) > 0)) return refuse('validation_failed', 'reservation_id is a positive integer', fields.reservation.field, id);
  return { ok: true, event: { eventId: id, account, meter: meter.code, quantity, occurredAt, reservationId: (reservation as number | null | undefined) ?? null } };
}

function accountRef(value: unknown, cloud: boolean): AccountRef | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value > 0 ? { id: value } : null;
  if (typeof value !== 'string' || value.length === 0 || value.length > 200) return null;
  if (ACCOUNT_ID.test(value)) return { id: Number(value) };
  return cloud ? { externalRef: value } : null;
}

/** The quantity as a canonical exact decimal, or why it is not one this meter takes. */
export function readQuantity(value: unknown, meter: Pick<Meter, 'decimals'>): string | { detail: string } {
  const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  const match = typeof text === 'string' ? QUANTITY.exec(text) : null;
  if (!match) return { detail: meter.decimals === 0 ? 'a whole number of units, 0 or more, e.g. "3"' : `an exact decimal string, 0 or more, up to ${meter.decimals} decimal places, e.g. "1.5"` };
  const fraction = (match[2] ?? '').replace(/0+$/, '');
  if (fraction.length > meter.decimals) return { detail: meter.decimals === 0 ? 'this meter counts whole units' : `this meter takes at most ${meter.decimals} decimal places` };
  return fraction ? `${match[1]}.${fraction}` : match[1]!;
}
