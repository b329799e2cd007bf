// Verifying a webhook from Kassa (Standard Webhooks): the signature over `id.timestamp.body`
// under the endpoint's secret, and a timestamp within five minutes of this machine's clock.
// Answers the event, typed by its `type` from Kassa's event catalogue.
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import type { webhooks } from './openapi.js';

type BodyOf<T> = T extends { post: { requestBody: { content: { 'application/json': infer B } } } } ? B : never;

/** Every event type Kassa delivers, `ping` included. */
export type KassaEventType = keyof webhooks;
/** A delivered event: `{type, timestamp, data}`, `data` typed by `type`. */
export type KassaEvent = { [T in KassaEventType]: BodyOf<webhooks[T]> }[KassaEventType];
/** The event of one type: `KassaEventOf<'subscription.suspended'>['data']['subscription_id']`. */
export type KassaEventOf<T extends KassaEventType> = BodyOf<webhooks[T]>;

export { WebhookVerificationError };

type HeaderBag = Headers | Record<string, string | string[] | undefined>;

/** A header by its lower-case name (Node's IncomingMessage headers are lower-case). */
function header(headers: HeaderBag, name: string): string {
  const value = headers instanceof Headers ? headers.get(name) : headers[name];
  return (Array.isArray(value) ? value[0] : value) ?? '';
}

/**
 * The event, if `rawBody` (the bytes as received, before any JSON parsing) carries a valid
 * signature by one of `secrets` (several while you rotate: the endpoint's old and new);
 * throws WebhookVerificationError otherwise. De-duplicate by `headers['webhook-id']`: a retry
 * or a replay sends the same id again.
 */
export function verifyWebhook(headers: HeaderBag, rawBody: string | Uint8Array, secrets: string | readonly string[]): KassaEvent {
  const wanted = { 'webhook-id': header(headers, 'webhook-id'), 'webhook-timestamp': header(headers, 'webhook-timestamp'), 'webhook-signature': header(headers, 'webhook-signature') };
  const body = typeof rawBody === 'string' ? rawBody : Buffer.from(rawBody).toString('utf8');
  let last: unknown;
  for (const secret of typeof secrets === 'string' ? [secrets] : secrets) {
    try {
      return new Webhook(secret).verify(body, wanted) as KassaEvent;
    } catch (error) {
      last = error;
    }
  }
  throw last instanceof Error ? last : new WebhookVerificationError('no secret to verify with');
}
