// Mail delivery over real SMTP (smtp-server on a loopback port): queued mails go out once,
// survive a mail server that is down (retried with backoff on the simulated clock), and are
// given up only after their attempts or a permanent refusal.
import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SimulatedClock } from '../src/time/clock.js';
import { mails } from '../src/db/schema.js';
import { createTransport, deliverDue, retryDelayMs, startMailDelivery } from '../src/notifications/delivery.js';
import { queueMail } from '../src/notifications/queue-mail.js';
import type { MailTemplate } from '../src/notifications/templates.js';
import { type Harness, startHarness } from './support/harness.js';
import { type SmtpReceiver, closedPort, startSmtpReceiver } from './support/smtp-receiver.js';

let h: Harness;
let smtp: SmtpReceiver;
const FROM = 'Kassa Billing <billing@kassa.example>';
const MINUTE = 60_000;

beforeAll(async () => {
  h = await startHarness({ clockStart: '2026-11-02T10:00:00Z' });
  smtp = await startSmtpReceiver();
});
afterAll(async () => {
  await smtp.close();
  await h.close();
});
afterEach(async () => {
  // Each test starts with nothing due: earlier mails are settled one way or another.
  await h.kassa.db.update(mails).set({ state: 'sent' }).where(eq(mails.state, 'pending'));
  smtp.received.length = 0;
});

const clock = () => h.kassa.clock as SimulatedClock;
const advance = (ms: number) => clock().set(new Date(clock().now().getTime() + ms));

async function queue(to: string, link = `http://localhost:3000/verify?token=t_${Math.random().toString(36).slice(2)}`, template: MailTemplate = 'verify_email') {
  const id = await h.kassa.db.transaction((tx) => queueMail(tx, { to, template, data: { link }, at: clock().now() }));
  return { id, link };
}
const row = async (id: number) => (await h.kassa.db.select().from(mails).where(eq(mails.id, id)))[0]!;

describe('delivery over SMTP', () => {
  it('sends a queued mail with its link and records it as sent', async () => {
    const { id, link } = await queue('ada@acme.example', 'http://localhost:3000/verify?token=kassa_vt_0123456789abcdefghijklmnopqrstuvwxyz_long_enough_to_wrap_lines');
    const transport = smtp.transport();
    const pass = await deliverDue(h.kassa, transport, clock().now(), { from: FROM });
    expect(pass).toMatchObject({ sent: 1, retrying: 0, failed: 0 });
    expect(smtp.received).toHaveLength(1);
    const [got] = smtp.received;
    expect(got!.to).toEqual(['ada@acme.example']);
    expect(got!.from).toBe('billing@kassa.example');
    expect(got!.headers.from).toBe(FROM);
    expect(got!.subject).toBe('Verify your e-mail address');
    expect(got!.text).toContain(link);
    const sent = await row(id);
    expect(sent).toMatchObject({ state: 'sent', attempts: 1, lastError: null, sentAt: clock().now() });
    // The copy kept in the database no longer holds the link's secret, which the recipient alone has now.
    expect(sent.text).not.toContain('kassa_vt_0123456789');
    expect(sent.text).toContain('http://localhost:3000/verify?token=[removed after sending]');
  });

  it('keeps the link of a mail not sent yet, for `kassa mail list` while no SMTP server is set', async () => {
    const { id, link } = await queue('bob@acme.example');
    expect((await row(id)).text).toContain(link);
  });

  it('never sends a mail twice: not on a second pass, not with two workers at once', async () => {
    const queued = await Promise.all(['a@x.example', 'b@x.example', 'c@x.example', 'd@x.example', 'e@x.example'].map((to) => queue(to)));
    const [one, two] = [smtp.transport(), smtp.transport()];
    const passes = await Promise.all([
      deliverDue(h.kassa, one, clock().now(), { batch: 2 }),
      deliverDue(h.kassa, two, clock().now(), { batch: 2 }),
    ]);
    expect(passes[0]!.sent + passes[1]!.sent).toBe(5);
    await deliverDue(h.kassa, one, clock().now());
    expect(smtp.received.map((m) => m.to[0]).sort()).toEqual(['a@x.example', 'b@x.example', 'c@x.example', 'd@x.example', 'e@x.example']);
    for (const { id } of queued) expect((await row(id)).state).toBe('sent');
  });

  it('keeps mails pending when no SMTP server is configured', async () => {
    const { id } = await queue('newcomer@acme.example');
    const pass = await deliverDue(h.kassa, undefined, clock().now());
    expect(pass.sent).toBe(0);
    expect(await row(id)).toMatchObject({ state: 'pending', attempts: 0, lastError: null });
  });
});

describe('when the mail server is down', () => {
  it('keeps the mail, retries it after a backoff, and sends it once the server is up', async () => {
    const { id, link } = await queue('grace@acme.example');
    const down = createTransport(`smtp://127.0.0.1:${await closedPort()}`);
    const at = clock().now();
    const pass = await deliverDue(h.kassa, down, at);
    down.close();
    expect(pass).toMatchObject({ sent: 0, retrying: 1, failed: 0 });
    const failed = await row(id);
    expect(failed).toMatchObject({ state: 'pending', attempts: 1, sentAt: null });
    expect(failed.lastError).toMatch(/ECONNREFUSED|ECONNECTION/);
    expect(failed.lastError).not.toContain(link);
    const delay = failed.nextAttemptAt.getTime() - at.getTime();
    expect(delay).toBeGreaterThanOrEqual(MINUTE);
    expect(delay).toBeLessThanOrEqual(1.1 * MINUTE);

    // The server is up again, but the retry is not due yet.
    const up = smtp.transport();
    expect((await deliverDue(h.kassa, up, clock().now())).sent).toBe(0);
    expect(smtp.received).toHaveLength(0);

    clock().set(failed.nextAttemptAt);
    expect((await deliverDue(h.kassa, up, clock().now())).sent).toBe(1);
    expect(smtp.to('grace@acme.example')).toHaveLength(1);
    expect(smtp.received[0]!.text).toContain(link);
    expect(await row(id)).toMatchObject({ state: 'sent', attempts: 2, lastError: null, sentAt: clock().now() });
    advance(2 * 60 * MINUTE);
    expect((await deliverDue(h.kassa, up, clock().now())).sent).toBe(0);
    expect(smtp.received).toHaveLength(1);
  });

  it('holds the rest of a batch without spending their attempts', async () => {
    const queued = [];
    for (const to of ['h1@x.example', 'h2@x.example', 'h3@x.example']) queued.push(await queue(to));
    const down = createTransport(`smtp://127.0.0.1:${await closedPort()}`);
    await deliverDue(h.kassa, down, clock().now());
    down.close();
    const rows = await Promise.all(queued.map(({ id }) => row(id)));
    expect(rows.map((r) => r.state)).toEqual(['pending', 'pending', 'pending']);
    expect(rows.map((r) => r.attempts)).toEqual([1, 0, 0]);
    for (const r of rows) expect(r.nextAttemptAt.getTime()).toBeGreaterThan(clock().now().getTime());
  });

  it('gives a mail up as failed after its attempts', async () => {
    const { id } = await queue('nobody@acme.example');
    const port = await closedPort();
    for (let attempt = 1; attempt <= 3; attempt++) {
      const down = createTransport(`smtp://127.0.0.1:${port}`);
      await deliverDue(h.kassa, down, clock().now(), { maxAttempts: 3 });
      down.close();
      const r = await row(id);
      expect(r.attempts).toBe(attempt);
      if (attempt < 3) clock().set(r.nextAttemptAt);
    }
    expect(await row(id)).toMatchObject({ state: 'failed', attempts: 3 });
  });

  it('gives up at once on a recipient the server refuses for good', async () => {
    smtp.reject.add('gone@acme.example');
    const { id } = await queue('gone@acme.example');
    const pass = await deliverDue(h.kassa, smtp.transport(), clock().now());
    expect(pass).toMatchObject({ failed: 1, sent: 0 });
    const r = await row(id);
    expect(r).toMatchObject({ state: 'failed', attempts: 1 });
    expect(r.lastError).toContain('550');
  });
});

describe('the backoff', () => {
  it('doubles from one minute up to an hour, with at most 10% jitter', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => retryDelayMs(n, () => 0) / MINUTE)).toEqual([1, 2, 4, 8, 16, 32, 60, 60, 60]);
    expect(retryDelayMs(1, () => 0.999)).toBeLessThanOrEqual(1.1 * MINUTE);
  });
});

describe('the delivery worker', () => {
  it('polls, sends what is due, and stops', async () => {
    const { link } = await queue('worker@acme.example');
    const silent = { info() {}, warn() {}, error() {} } as unknown as Parameters<typeof startMailDelivery>[1];
    const worker = startMailDelivery(h.kassa, silent, { smtpUrl: smtp.url, from: FROM }, 60_000);
    await worker.runOnce();
    await worker.stop();
    expect(smtp.to('worker@acme.example')).toHaveLength(1);
    expect(smtp.received[0]!.text).toContain(link);
  });
});
