// "Two dispatcher processes on one PostgreSQL never deliver one event twice concurrently"
// (issue 10): two real processes fan out and send the same 600 events (two for each of 300
// accounts, ordered delivery: more heads than one pass leases) to a receiver that answers each
// after a moment, so their passes overlap. No event is ever in flight twice, each arrives once, each account's in the order
// written, and both processes took a share. PGlite is one process's database: PostgreSQL only.
import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { crashTargets, TS_CHILD } from './crash-support.js';

const NOW = new Date('2026-12-10T12:00:00Z');
const PER_ACCOUNT = 2;
const ACCOUNTS = 300;
const child = join(import.meta.dirname, 'webhook-child.ts');
const target = crashTargets('kassa-webhook-two-');

const inFlight = new Set<string>();
let overlaps = 0;
const arrivals: { id: number; account: number }[] = [];
const receiver = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (c: Buffer) => chunks.push(c));
  request.on('end', () => {
    const id = String(request.headers['webhook-id']);
    if (inFlight.has(id)) overlaps++;
    inFlight.add(id);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data: { account_id: number } };
    arrivals.push({ id: Number(id.replace('evt_', '')), account: body.data.account_id });
    setTimeout(() => {
      inFlight.delete(id);
      response.end('ok');
    }, 3);
  });
});
afterAll(() => {
  receiver.closeAllConnections();
  return new Promise((resolve) => receiver.close(resolve));
});

describe.skipIf(!process.env.DATABASE_URL)('two dispatcher processes on one PostgreSQL', () => {
  it('never send one event at the same time, deliver each once, and keep each account in order', async () => {
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    const where = await target();
    execFileSync(process.execPath, [...TS_CHILD, child, 'seed', where, NOW.toISOString(), url, String(PER_ACCOUNT), String(ACCOUNTS)]);

    // Both processes are up and connected before either sends, so their passes overlap.
    const dispatchers = [0, 1].map(() => {
      const proc = spawn(process.execPath, [...TS_CHILD, child, 'together', where, NOW.toISOString()], { stdio: ['pipe', 'pipe', 'inherit'] });
      let out = '';
      proc.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
      const ready = new Promise<void>((resolve) => proc.stdout.on('data', () => out.includes('ready') && resolve()));
      const done = new Promise<{ code: number | null; attempts: number }>((resolve) => proc.on('exit', (code) => resolve({ code, attempts: Number(/attempts (\d+)/.exec(out)?.[1] ?? -1) })));
      return { proc, ready, done };
    });
    await Promise.all(dispatchers.map((d) => d.ready));
    for (const d of dispatchers) d.proc.stdin.end('go\n');
    const outcomes = await Promise.all(dispatchers.map((d) => d.done));
    expect(outcomes.map((o) => o.code)).toEqual([0, 0]);
    // Every send was one attempt of one process, and both took a share.
    expect(outcomes[0]!.attempts + outcomes[1]!.attempts).toBe(ACCOUNTS * PER_ACCOUNT);
    expect(Math.min(outcomes[0]!.attempts, outcomes[1]!.attempts)).toBeGreaterThan(0);

    expect(overlaps).toBe(0);
    const ids = arrivals.map((a) => a.id);
    expect(ids).toHaveLength(ACCOUNTS * PER_ACCOUNT);
    expect(new Set(ids).size).toBe(ACCOUNTS * PER_ACCOUNT);
    for (const account of new Set(arrivals.map((a) => a.account))) {
      const order = arrivals.filter((a) => a.account === account).map((a) => a.id);
      expect(order).toEqual([...order].sort((x, y) => x - y));
    }
  }, 120_000);
});
