// API processes side by side on one PostgreSQL (issue 11), each its own `kassa serve`:
// - entitlement checks over HTTP against one and against two API processes, next to a bare
//   Fastify route answering the same JSON (bench/bare-route.ts) under the same load generator
//   in the same run: what Kassa's check costs over the least any Fastify route costs; and
//   the bare route sending Kassa's API headers too (an answer of the same bytes), which
//   separates what the headers cost from what Kassa's own work costs;
// - then a mixed load against two API processes for `mixedSeconds` (90% entitlement checks,
//   the rest money and subscription changes: adjustments and quantity changes, each with its
//   own Idempotency-Key), after which the ledger must verify.
// The servers are child processes, so autocannon runs in this process's main thread.
//   npx tsx bench/processes.ts [--seconds 15] [--mixed-seconds 60] [--accounts 1000]
// prints one JSON line.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { sql } from 'drizzle-orm';
import { createApiKey } from '../src/auth/api-keys.js';
import { defaultBillingSettings } from '../src/config.js';
import { query } from '../src/db/client.js';
import { openKassa } from '../src/kassa.js';
import { verifyLedger } from '../src/ledger/verify.js';
import { randomChecks, seedEntitlementAccounts } from './entitlements.js';
import { type Started, startKassaProcess, stopProcess } from './kassa-process.js';
import { scratchTarget } from './scratch.js';

export interface ProcessesBenchOptions {
  /** PostgreSQL server to use (a scratch database is created there and dropped after). */
  databaseUrl?: string;
  accounts?: number;
  seconds?: number;
  mixedSeconds?: number;
  connections?: number;
}

interface Figures {
  checks_per_second: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
  /** CPU time the server processes spent per check (user + system, from /proc): their own cost, whatever the load generator's. */
  server_cpu_us_per_check: number | null;
  /** One answer's bytes on the wire, status line and headers included: what the load generator reads per check. */
  answer_bytes: number;
  /** Each round's checks per second; checks_per_second is their median. */
  rounds_checks_per_second: number[];
}

export interface ProcessesBenchResult {
  bare_route: Figures;
  /** The bare route sending Kassa's API headers too: an answer of the same size as Kassa's. */
  bare_route_api_headers: Figures;
  one_api: Figures;
  two_apis: Figures;
  /** Kassa with one API process against the bare route, checks per second. */
  one_api_ratio: number;
  /** Kassa with one API process against the bare route with the same headers: Kassa's own work. */
  one_api_ratio_same_headers: number;
  two_apis_ratio: number;
  /** Kinds counted as sent; adjustments also as committed (the ledger's count). */
  mixed: { seconds: number; requests_per_second: number; p99_ms: number; checks: number; adjustments: number; adjustments_committed: number; subscription_changes: number; errors: number; non_2xx: number; first_refusal: string | undefined; ledger_ok: boolean };
  load_average_1m: number;
}

const WARMUP_SECONDS = 1;
const ROUNDS = 3;

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

export async function benchProcesses(options: ProcessesBenchOptions): Promise<ProcessesBenchResult> {
  const seconds = Math.min(Math.max(options.seconds ?? 15, 1), 120);
  const mixedSeconds = Math.min(Math.max(options.mixedSeconds ?? 60, 1), 300);
  const connections = options.connections ?? 10;
  const target = await scratchTarget('postgres', 'processes', options.databaseUrl);
  const started: Started[] = [];
  const bare = await startBareRoute();
  const bareWithHeaders = await startBareRoute(['--api-headers']);
  try {
    const { kassa, database } = await openKassa({ databaseUrl: target.databaseUrl, clock: 'real', billing: defaultBillingSettings, poolSize: 2 });
    const accountIds = await seedEntitlementAccounts(kassa.db, options.accounts ?? 1_000);
    // Subscriptions whose account's object counts fit the plan's quotas: a quantity change is never refused.
    const changeable = (
      await query<{ id: bigint | number }>(
        kassa.db,
        sql`select s.id from subscriptions s
            where not exists (select 1 from object_counts c where c.account_id = s.account_id
                                and ((c.metric = 'sites' and c.count > 3) or (c.metric = 'users' and c.count > 10)))`,
      )
    ).map((r) => Number(r.id));
    const { secret } = await createApiKey(kassa.db, 'bench', new Date());
    await database.close();
    for (let i = 0; i < 2; i++) started.push(await startKassaProcess('serve', { DATABASE_URL: target.databaseUrl! }));
    const urls = started.map((p) => p.url);
    const headers = { authorization: `Bearer ${secret}` };
    const checks = randomChecks(accountIds);

    // Each target warmed up, then measured with the same connections and the same checks, in
    // ROUNDS rounds that take the targets in turn: this machine's speed drifts by more than the
    // differences measured, so each figure is the median of its rounds, taken side by side.
    const measureOnce = async (targets: { url: string; child: ChildProcess }[], duration: number) => {
      const run = (time: number) =>
        Promise.all(targets.map(({ url }) => autocannon({ url, connections: Math.max(1, Math.floor(connections / targets.length)), duration: time, headers, requests: checks })));
      await run(WARMUP_SECONDS);
      const cpuBefore = cpuMicroseconds(targets);
      const results = await run(duration);
      const cpuAfter = cpuMicroseconds(targets);
      const total = results.reduce((sum, r) => sum + r.requests.total, 0);
      return {
        checks_per_second: Math.floor(results.reduce((sum, r) => sum + r.requests.total / r.duration, 0)),
        p50_ms: Math.max(...results.map((r) => r.latency.p50)),
        p99_ms: Math.max(...results.map((r) => r.latency.p99)),
        errors: results.reduce((sum, r) => sum + r.errors + r.timeouts + r.non2xx, 0),
        server_cpu_us_per_check: cpuBefore === null || cpuAfter === null ? null : (cpuAfter - cpuBefore) / total,
      };
    };
    const servers = { bare: [bare], bareWithHeaders: [bareWithHeaders], one: [started[0]!], two: started };
    const rounds: Record<keyof typeof servers, Awaited<ReturnType<typeof measureOnce>>[]> = { bare: [], bareWithHeaders: [], one: [], two: [] };
    const roundSeconds = Math.max(1, Math.floor(seconds / ROUNDS));
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of Object.keys(servers) as (keyof typeof servers)[]) rounds[name].push(await measureOnce(servers[name], roundSeconds));
    }
    const figures = async (name: keyof typeof servers): Promise<Figures> => {
      const of = rounds[name];
      const cpu = of.map((r) => r.server_cpu_us_per_check);
      return {
        checks_per_second: median(of.map((r) => r.checks_per_second)),
        p50_ms: Math.max(...of.map((r) => r.p50_ms)),
        p99_ms: Math.max(...of.map((r) => r.p99_ms)),
        errors: of.reduce((sum, r) => sum + r.errors, 0),
        server_cpu_us_per_check: cpu.includes(null) ? null : +median(cpu as number[]).toFixed(1),
        answer_bytes: await answerBytes(servers[name][0]!.url, checks[0]!.path, headers.authorization),
        rounds_checks_per_second: of.map((r) => r.checks_per_second),
      };
    };
    const bareRoute = await figures('bare');
    const bareRouteApiHeaders = await figures('bareWithHeaders');
    const oneApi = await figures('one');
    const twoApis = await figures('two');
    const mixed = await mixedLoad(urls, secret, accountIds, changeable, mixedSeconds, connections);
    const again = await openKassa({ databaseUrl: target.databaseUrl, clock: 'real', billing: defaultBillingSettings, poolSize: 2 });
    const verified = await verifyLedger(again.kassa.db);
    const [moved] = await query<{ adjustments: bigint }>(again.kassa.db, sql`select count(*) as adjustments from ledger_transactions where kind = 'adjustment'`);
    await again.database.close();
    return {
      bare_route: bareRoute,
      bare_route_api_headers: bareRouteApiHeaders,
      one_api: oneApi,
      two_apis: twoApis,
      one_api_ratio: +(oneApi.checks_per_second / bareRoute.checks_per_second).toFixed(3),
      one_api_ratio_same_headers: +(oneApi.checks_per_second / bareRouteApiHeaders.checks_per_second).toFixed(3),
      two_apis_ratio: +(twoApis.checks_per_second / bareRoute.checks_per_second).toFixed(3),
      mixed: { ...mixed, adjustments_committed: Number(moved!.adjustments), ledger_ok: verified.ok },
      load_average_1m: +loadavg()[0]!.toFixed(2),
    };
  } finally {
    await Promise.all([...started.map((p) => stopProcess(p.child)), stopProcess(bare.child), stopProcess(bareWithHeaders.child)]);
    await target.drop();
  }
}

/**
 * Mixed traffic spread over the API processes: per 20 requests of a connection, 18 entitlement
 * checks, one credit adjustment and one quantity change of a subscription, each money call with
 * its own Idempotency-Key. Counts what was sent of each kind and every answer that was not 2xx.
 */
async function mixedLoad(urls: string[], secret: string, accountIds: number[], changeable: number[], seconds: number, connections: number) {
  const sent = { checks: 0, adjustments: 0, subscription_changes: 0 };
  const checks = randomChecks(accountIds);
  let n = 0;
  let refused: string | undefined;
  const request = () => {
    const i = n++;
    const account = accountIds[(i * 7919) % accountIds.length]!;
    const key = `bench-mixed-${process.pid}-${i}`;
    if (i % 20 === 7) {
      sent.adjustments++;
      return { method: 'POST' as const, path: `/v1/accounts/${account}/adjustments`, headers: { 'content-type': 'application/json', 'idempotency-key': key }, body: JSON.stringify({ direction: 'credit', amount: '100', reason: 'bench' }) };
    }
    if (i % 20 === 13) {
      sent.subscription_changes++;
      const subscription = changeable[(i * 104729) % changeable.length];
      return { method: 'POST' as const, path: `/v1/subscriptions/${subscription}/configure`, headers: { 'content-type': 'application/json', 'idempotency-key': key }, body: JSON.stringify({ quantities: { cpe_devices: 10 + (i % 40) } }) };
    }
    sent.checks++;
    return checks[i % checks.length]!;
  };
  const results = await Promise.all(
    urls.map((url) =>
      autocannon({
        url,
        connections: Math.max(1, Math.floor(connections / urls.length)),
        duration: seconds,
        headers: { authorization: `Bearer ${secret}` },
        requests: [
          {
            setupRequest: (req) => {
              const next = request();
              return { ...req, ...next, headers: { ...req.headers, ...('headers' in next ? next.headers : {}) } };
            },
            onResponse: (status: number, body: string) => {
              if (status >= 300 && !refused) refused = `${status} ${body.slice(0, 300)}`;
            },
          },
        ],
      }),
    ),
  );
  const total = results.reduce((sum, r) => sum + r.requests.total, 0);
  return {
    seconds,
    requests_per_second: Math.floor(total / seconds),
    p99_ms: Math.max(...results.map((r) => r.latency.p99)),
    ...sent,
    errors: results.reduce((sum, r) => sum + r.errors + r.timeouts, 0),
    non_2xx: results.reduce((sum, r) => sum + r.non2xx, 0),
    first_refusal: refused,
  };
}

/** User + system CPU of the processes so far, from /proc (Linux; null elsewhere). /proc counts in USER_HZ, 100 a second. */
function cpuMicroseconds(processes: { child: ChildProcess }[]): number | null {
  let sum = 0;
  for (const { child } of processes) {
    try {
      // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
      const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      sum += (Number(fields[11]) + Number(fields[12])) * 10_000;
    } catch {
      return null;
    }
  }
  return sum;
}

/** The bytes of one answer to a GET, as a client on a kept-alive connection reads them (status line, headers, body). */
async function answerBytes(url: string, path: string, authorization: string): Promise<number> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    let bytes = 0;
    const socket = connect(Number(port), hostname, () => socket.write(`GET ${path} HTTP/1.1\r\nhost: ${hostname}\r\nauthorization: ${authorization}\r\n\r\n`));
    socket.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      const text = chunk.toString();
      const length = Number(/content-length: (\d+)/i.exec(text)?.[1]);
      const headEnd = text.indexOf('\r\n\r\n');
      if (headEnd >= 0 && bytes >= headEnd + 4 + length) {
        socket.destroy();
        resolve(bytes);
      }
    });
    socket.on('error', reject);
  });
}

async function startBareRoute(args: string[] = []): Promise<{ url: string; child: ReturnType<typeof spawn> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/bare-route.ts', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let printed = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      printed += chunk.toString();
      const found = /listening at (http:\/\/\S+)/.exec(printed)?.[1];
      if (found) resolve(found);
    });
    child.once('exit', (code) => reject(new Error(`the bare route exited ${code}`)));
  });
  return { url, child };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '15' },
      'mixed-seconds': { type: 'string', default: '60' },
      accounts: { type: 'string', default: '1000' },
    },
  });
  console.log(JSON.stringify(await benchProcesses({ seconds: Number(values.seconds), mixedSeconds: Number(values['mixed-seconds']), accounts: Number(values.accounts) })));
}
