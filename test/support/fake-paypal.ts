// A small stateful PayPal for the tests: OAuth tokens, Orders v2 (create, read, capture, with
// PayPal-Request-Id replays), capture refunds, and the webhook verification call. What the
// buyer and PayPal do (approve an order, refund or reverse a capture) are methods here that
// answer the webhook deliveries PayPal would send, with transmission headers only this fake
// vouches for (as only PayPal vouches for its own).
import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export const FAKE_PAYPAL = { clientId: 'kassa-fake-client', clientSecret: 'kassa-fake-secret', webhookId: 'WH-KASSA-FAKE' };

type Obj = Record<string, unknown> & { id: string };
interface Delivery { payload: string; headers: Record<string, string> }

export class FakePayPal {
  readonly orders = new Map<string, Obj>();
  readonly calls: { method: string; path: string; requestId: string | undefined; body: unknown }[] = [];
  private readonly replies = new Map<string, { status: number; body: unknown }>();
  private readonly transmissions = new Map<string, string>();
  private counter = 0;
  private server = createServer((request, response) => void this.handle(request, response));
  url = '';

  static async start(): Promise<FakePayPal> {
    const fake = new FakePayPal();
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  settings() {
    return { clientId: FAKE_PAYPAL.clientId, clientSecret: FAKE_PAYPAL.clientSecret, webhookId: FAKE_PAYPAL.webhookId, environment: 'sandbox' as const, apiBase: this.url };
  }

  callsTo(method: string, pathPattern: RegExp) {
    return this.calls.filter((c) => c.method === method && pathPattern.test(c.path));
  }

  // ---------- what the buyer and PayPal do ----------

  /** The buyer approves the order on PayPal's page: CHECKOUT.ORDER.APPROVED. */
  approve(orderId: string): Delivery {
    const order = this.order(orderId);
    order.status = 'APPROVED';
    return this.delivery('CHECKOUT.ORDER.APPROVED', order);
  }

  /** The capture's PAYMENT.CAPTURE.COMPLETED, once captured. */
  captureCompleted(orderId: string): Delivery {
    return this.delivery('PAYMENT.CAPTURE.COMPLETED', this.captureOf(orderId));
  }

  /** A refund made on PayPal's side: PAYMENT.CAPTURE.REFUNDED. */
  refund(orderId: string, value: string, kind: 'REFUNDED' | 'REVERSED' = 'REFUNDED'): Delivery {
    const capture = this.captureOf(orderId);
    const refund = this.makeRefund(capture, value);
    return this.delivery(`PAYMENT.CAPTURE.${kind}`, refund);
  }

  /** A delivery with headers PayPal's verification would refuse. */
  forged(delivery: Delivery): Delivery {
    return { payload: delivery.payload, headers: { ...delivery.headers, 'paypal-transmission-sig': 'forged' } };
  }

  private delivery(type: string, resource: Obj): Delivery {
    const event = { id: `WH-${++this.counter}-${randomUUID().slice(0, 8)}`, event_version: '1.0', create_time: new Date().toISOString(), resource_type: type.split('.')[1]!.toLowerCase(), event_type: type, resource: structuredClone(resource) };
    const payload = JSON.stringify(event);
    const transmission = randomUUID();
    const signature = `sig-${transmission}`;
    this.transmissions.set(transmission, `${signature}|${payload}`);
    return {
      payload,
      headers: {
        'content-type': 'application/json',
        'paypal-auth-algo': 'SHA256withRSA',
        'paypal-cert-url': `${this.url}/v1/notifications/certs/CERT-fake`,
        'paypal-transmission-id': transmission,
        'paypal-transmission-sig': signature,
        'paypal-transmission-time': new Date().toISOString(),
      },
    };
  }

  order(id: string): Obj {
    const order = this.orders.get(id);
    if (!order) throw new Error(`the fake PayPal has no order ${id}`);
    return order;
  }

  private captureOf(orderId: string): Obj {
    const unit = (this.order(orderId).purchase_units as { payments?: { captures?: Obj[] } }[])[0]!;
    const capture = unit.payments?.captures?.[0];
    if (!capture) throw new Error(`order ${orderId} is not captured`);
    return capture;
  }

  private makeRefund(capture: Obj, value: string): Obj {
    const amount = capture.amount as { currency_code: string };
    return { id: `REFUND-${++this.counter}`, status: 'COMPLETED', amount: { value, currency_code: amount.currency_code }, custom_id: capture.custom_id, links: [{ rel: 'up', href: `${this.url}/v2/payments/captures/${capture.id}`, method: 'GET' }] };
  }

  // ---------- the HTTP API ----------

  private async handle(request: IncomingMessage, response: ServerResponse) {
    let text = '';
    for await (const chunk of request) text += chunk;
    const path = new URL(request.url ?? '/', 'http://paypal.test').pathname;
    const requestId = request.headers['paypal-request-id'] as string | undefined;
    const body = text && request.headers['content-type']?.includes('json') ? JSON.parse(text) : text;
    this.calls.push({ method: request.method ?? '', path, requestId, body });
    const send = (status: number, answer: unknown) => response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    if (path === '/v1/oauth2/token') {
      const basic = Buffer.from(`${FAKE_PAYPAL.clientId}:${FAKE_PAYPAL.clientSecret}`).toString('base64');
      if (request.headers.authorization !== `Basic ${basic}`) return send(401, { error: 'invalid_client', error_description: 'Client Authentication failed' });
      return send(200, { access_token: 'A21-fake-token', token_type: 'Bearer', expires_in: 32400, scope: 'https://uri.paypal.com/services/payments/payment' });
    }
    if (request.headers.authorization !== 'Bearer A21-fake-token') return send(401, { name: 'AUTHENTICATION_FAILURE', message: 'Authentication failed due to invalid authentication credentials' });
    const key = requestId && `${request.method} ${path} ${requestId}`;
    const replay = key ? this.replies.get(key) : undefined;
    if (replay) return send(replay.status, replay.body);
    let reply: { status: number; body: unknown };
    try {
      reply = { status: request.method === 'POST' ? 201 : 200, body: this.route(request.method ?? '', path, body as Record<string, unknown>) };
    } catch (error) {
      if (!(error instanceof PayPalFailure)) throw error;
      reply = { status: error.status, body: { name: error.name, message: error.message, details: [{ issue: error.issue, description: error.message }] } };
    }
    if (key && request.method === 'POST') this.replies.set(key, reply);
    send(reply.status, reply.body);
  }

  private route(method: string, path: string, body: Record<string, unknown>): unknown {
    if (method === 'POST' && path === '/v1/notifications/verify-webhook-signature') {
      const issued = this.transmissions.get(body.transmission_id as string);
      const matches = issued === `${body.transmission_sig}|${JSON.stringify(body.webhook_event)}` && body.webhook_id === FAKE_PAYPAL.webhookId;
      return { verification_status: matches ? 'SUCCESS' : 'FAILURE' };
    }
    if (method === 'POST' && path === '/v2/checkout/orders') {
      const id = `ORDER-${++this.counter}`;
      const units = (body.purchase_units as Record<string, unknown>[]).map((u) => ({ ...u }));
      const order = { id, intent: body.intent, status: 'PAYER_ACTION_REQUIRED', purchase_units: units, links: [{ href: `https://www.sandbox.paypal.test/checkoutnow?token=${id}`, rel: 'payer-action', method: 'GET' }], payment_source: body.payment_source };
      this.orders.set(id, order);
      return order;
    }
    const orderMatch = /^\/v2\/checkout\/orders\/([^/]+)(\/capture)?$/.exec(path);
    if (orderMatch) {
      const order = this.orders.get(orderMatch[1]!);
      if (!order) throw new PayPalFailure(404, 'RESOURCE_NOT_FOUND', 'INVALID_RESOURCE_ID', 'Specified resource ID does not exist.');
      if (method === 'GET') return order;
      if (order.status === 'COMPLETED') throw new PayPalFailure(422, 'UNPROCESSABLE_ENTITY', 'ORDER_ALREADY_CAPTURED', 'Order already captured.');
      if (order.status !== 'APPROVED') throw new PayPalFailure(422, 'UNPROCESSABLE_ENTITY', 'ORDER_NOT_APPROVED', 'Payer has not yet approved the Order for payment.');
      const unit = (order.purchase_units as Record<string, unknown>[])[0]!;
      unit.payments = { captures: [{ id: `CAPTURE-${++this.counter}`, status: 'COMPLETED', amount: unit.amount, custom_id: unit.custom_id, invoice_id: unit.invoice_id, final_capture: true }] };
      order.status = 'COMPLETED';
      return order;
    }
    const refundMatch = /^\/v2\/payments\/captures\/([^/]+)\/refund$/.exec(path);
    if (refundMatch && method === 'POST') {
      const capture = [...this.orders.values()].map((o) => ((o.purchase_units as { payments?: { captures?: Obj[] } }[])[0]?.payments?.captures ?? [])[0]).find((c) => c?.id === refundMatch[1]);
      if (!capture) throw new PayPalFailure(404, 'RESOURCE_NOT_FOUND', 'INVALID_RESOURCE_ID', 'Specified resource ID does not exist.');
      return this.makeRefund(capture, (body.amount as { value: string }).value);
    }
    throw new PayPalFailure(404, 'RESOURCE_NOT_FOUND', 'INVALID_RESOURCE_ID', `no route ${method} ${path}`);
  }
}

class PayPalFailure extends Error {
  constructor(readonly status: number, override readonly name: string, readonly issue: string, message: string) {
    super(message);
  }
}
