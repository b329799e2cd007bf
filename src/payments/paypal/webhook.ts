// PayPal's webhook (SPEC 8). Each delivery is verified by PayPal itself (the verification call
// in ./client.ts, against PAYPAL_WEBHOOK_ID); one PayPal does not vouch for is refused and
// nothing is written. Every action is keyed by PayPal's own ids (the capture, the refund), so
// a delivery seen twice, or deliveries out of order, change nothing the second time; each
// event id is recorded besides.
import { and, eq } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import { inTransaction } from '../../accounts/transaction.js';
import type { Kassa } from '../../context.js';
import { paymentEvents, topUps } from '../../db/schema.js';
import { type Result, fail, ok } from '../../shared/result.js';
import { decimalToMinor } from '../bank-statement.js';
import { giveBack } from '../give-back.js';
import type { WebhookOutcome } from '../stripe/webhook.js';
import type { TopUp } from '../top-ups.js';
import type { PayPalAccess } from './client.js';
import { capturePayPalTopUp, settleCapture } from './paypal-top-up.js';

interface PayPalEvent {
  id?: string;
  event_type?: string;
  resource?: {
    id?: string;
    status?: string;
    custom_id?: string;
    amount?: { value?: string; currency_code?: string };
    purchase_units?: { custom_id?: string }[];
    links?: { rel?: string; href?: string }[];
  };
}

export async function receivePayPalWebhook(kassa: Kassa, paypal: PayPalAccess, rawBody: string, headers: Record<string, string | string[] | undefined>, log: FastifyBaseLogger): Promise<Result<WebhookOutcome>> {
  if (!(await paypal.verifyWebhook(headers, rawBody))) return fail('invalid_signature', 'PayPal does not vouch for this delivery (its transmission headers and body do not verify)', { field: '/headers/paypal-transmission-sig' });
  const event = JSON.parse(rawBody) as PayPalEvent;
  const eventId = event.id ?? '';
  const type = event.event_type ?? '';
  const base = { event_id: eventId, type };
  const [seen] = await kassa.db.select({ id: paymentEvents.eventId }).from(paymentEvents).where(and(eq(paymentEvents.provider, 'paypal'), eq(paymentEvents.eventId, eventId)));
  if (seen) return ok({ ...base, duplicate: true, outcome: 'already received' });
  const { topUp, outcome } = await act(kassa, paypal, event);
  const at = kassa.clock.now();
  await kassa.db.insert(paymentEvents).values({ provider: 'paypal', eventId, type, topUpId: topUp?.id ?? null, receivedAt: at, processedAt: at, outcome }).onConflictDoNothing();
  log.info({ paypal_event: eventId, type, outcome }, 'paypal webhook');
  return ok({ ...base, duplicate: false, outcome });
}

async function act(kassa: Kassa, paypal: PayPalAccess, event: PayPalEvent): Promise<{ topUp?: TopUp; outcome: string }> {
  const resource = event.resource ?? {};
  const at = kassa.clock.now();
  const customId = resource.custom_id ?? resource.purchase_units?.[0]?.custom_id;
  // A refund (or reversal) names its capture in its `up` link; a capture is itself.
  const givenBack = event.event_type === 'PAYMENT.CAPTURE.REFUNDED' || event.event_type === 'PAYMENT.CAPTURE.REVERSED';
  const captureRef = givenBack ? resource.links?.find((l) => l.rel === 'up')?.href?.split('/').pop() : resource.id;
  const topUp = await findTopUp(kassa, customId, captureRef);
  if (!topUp) return { outcome: 'ignored: not a Kassa PayPal top-up' };
  const before = topUp.amountReceived;
  const credited = (after: Result<TopUp>) => (!after.ok ? `not applied: ${after.failure.detail}` : after.value.amountReceived > before ? `credited ${after.value.amountReceived - before}` : 'already credited');

  switch (event.event_type) {
    case 'CHECKOUT.ORDER.APPROVED':
      return { topUp, outcome: credited(await capturePayPalTopUp(kassa, paypal, topUp.id, at)) };
    case 'PAYMENT.CAPTURE.COMPLETED':
    case 'PAYMENT.CAPTURE.DENIED': {
      const capture = { id: resource.id ?? '', status: event.event_type === 'PAYMENT.CAPTURE.DENIED' ? 'DECLINED' : (resource.status ?? 'COMPLETED'), value: resource.amount?.value ?? '0', currency: resource.amount?.currency_code ?? '' };
      const after = await settleCapture(kassa, topUp.id, capture, at);
      return { topUp, outcome: capture.status === 'DECLINED' ? (after.ok && after.value.status === 'failed' ? 'failed' : `ignored: the top-up is ${topUp.status}`) : credited(after) };
    }
    case 'PAYMENT.CAPTURE.REFUNDED':
    case 'PAYMENT.CAPTURE.REVERSED': {
      const amount = decimalToMinor(resource.amount?.value ?? '', resource.amount?.currency_code ?? '') ?? 0n;
      if (resource.amount?.currency_code !== topUp.currency || amount <= 0n || !resource.id) return { topUp, outcome: 'ignored: no amount in the top-up currency' };
      const kind = event.event_type === 'PAYMENT.CAPTURE.REVERSED' ? 'dispute' : 'refund';
      const back = await inTransaction(kassa.db, (tx) => giveBack(tx, topUp.id, { kind, amount, externalRef: resource.id!, createdBy: 'paypal', reason: kind === 'dispute' ? 'reversed by PayPal' : undefined }, at));
      if (back.ok && back.value.debited) kassa.entitlements.invalidate(topUp.accountId);
      return { topUp, outcome: !back.ok ? `not applied: ${back.failure.detail}` : back.value.debited ? `${kind === 'dispute' ? 'disputed' : 'refunded'} ${back.value.debited.amount}` : 'already debited' };
    }
    default:
      return { topUp, outcome: `ignored: Kassa does not act on ${event.event_type}` };
  }
}

async function findTopUp(kassa: Kassa, customId: string | undefined, captureRef: string | undefined): Promise<TopUp | undefined> {
  if (customId && /^[1-9][0-9]{0,15}$/.test(customId)) {
    const [byId] = await kassa.db.select().from(topUps).where(and(eq(topUps.id, Number(customId)), eq(topUps.method, 'paypal')));
    if (byId) return byId;
  }
  if (!captureRef) return undefined;
  const [byCapture] = await kassa.db.select().from(topUps).where(and(eq(topUps.paymentRef, captureRef), eq(topUps.method, 'paypal')));
  return byCapture;
}
