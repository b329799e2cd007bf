// "A SIGKILL of the dispatcher mid-send loses nothing" (issue 10): a real process sending five
// webhooks is killed with SIGKILL while the receiver holds them unanswered. Nothing of the
// attempt was recorded; the deliveries stay leased, so another dispatcher does not send them
// while the dead one might still be; once the lease has run out they are sent again, each with
// the id it had, and each is delivered once.
import { execFileSync, spawn } from 'node:child_process';
import { type IncomingHttpHeaders, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultBillingSettings } from '../../src/config.js';
import { query } from '../../src/db/client.js';
import { openKassa } from '../../src/kassa.js';
import { deliverWebhooks } from '../../src/webhooks/dispatch.js';
import { crashTargets, TS_CHILD } from './crash-support.js';

const NOW = new Date('2026-12-10T12:00:00Z');
const child = join(import.meta.dirname, 'webhook-child.ts');
const target = crashTargets('kassa-webhook-crash-');

const requests: { headers: IncomingHttpHeaders; body: string }[] = [];
let onRequest: () => void = () => {};
let answering = false;
const receiver = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (c: Buffer) => chunks.push(c));
  request.on('end', () => {
    requests.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
    onRequest();
    if (answering) response.end('ok'); // else held open: the sender waits
  });
});
afterAll(() => {
  receiver.closeAllConnections();
  return new Promise((resolve) => receiver.close(resolve));
});

describe('a webhook dispatcher killed mid-send', () => {
  it('loses nothing: the deliveries are sent again once its lease runs out, each with its id, each once', async () => {
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    const where = await target();
    const seeded = execFileSync(process.execPath, [...TS_CHILD, child, 'seed', where, NOW.toISOString(), url]).toString();
    const secret = /^secret (\S+)$/m.exec(seeded)![1]!;

    const proc = spawn(process.execPath, [...TS_CHILD, child, 'deliver', where, NOW.toISOString()], { stdio: ['ignore', 'inherit', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      onRequest = () => {
        if (requests.length === 5) proc.kill('SIGKILL');
      };
      proc.on('exit', (_code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`the dispatcher ended by itself after ${requests.length} requests`))));
    });
    const firstIds = requests.map((r) => r.headers['webhook-id']).sort();
    expect(new Set(firstIds).size).toBe(5);
    receiver.closeAllConnections();

    const { kassa, database } = await openKassa({ ...(where.startsWith('postgres') ? { databaseUrl: where } : { dataDir: where }), clock: 'simulated', clockStart: NOW, billing: defaultBillingSettings, webhooks: { allowHttp: true, allowPrivate: true } });
    try {
      const left = await query<{ status: string; attempts: number; leased: boolean }>(kassa.db, sql`select status, attempts, leased_until > clock_timestamp() as leased from webhook_deliveries`);
      expect(left).toEqual(Array.from({ length: 5 }, () => ({ status: 'pending', attempts: 0, leased: true }))); // nothing recorded, still leased
      answering = true;
      expect(await deliverWebhooks(kassa, NOW)).toBe(0); // not while the dead dispatcher's lease lasts
      expect(requests).toHaveLength(5);

      await query(kassa.db, sql`update webhook_deliveries set leased_until = clock_timestamp() - interval '1 second'`); // the 60 s lease has run out
      expect(await deliverWebhooks(kassa, NOW)).toBe(5);
      expect(requests.slice(5).map((r) => r.headers['webhook-id']).sort()).toEqual(firstIds); // the same ids: a receiver that got the first drops the copy
      for (const r of requests.slice(5)) expect(new Webhook(secret).verify(r.body, r.headers as Record<string, string>)).toMatchObject({ type: 'balance.low' });
      const done = await query<{ status: string; attempts: number }>(kassa.db, sql`select status, attempts from webhook_deliveries`);
      expect(done).toEqual(Array.from({ length: 5 }, () => ({ status: 'succeeded', attempts: 1 })));
      expect(await deliverWebhooks(kassa, NOW)).toBe(0);
    } finally {
      await database.close();
    }
  });
});
