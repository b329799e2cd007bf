// `npm run bench [-- --json] [-- --accounts N --per-account K] [-- --skip-entitlements] [-- --webhook-deliveries N] [-- --usage-events N] [-- --document-accounts N] [-- --webhooks-out N] [-- --process-seconds S --mixed-seconds S]`
// Times one full daily billing run of Kassa and the reference run (../shared/bench) on the
// same database in the same benchmark run, per backend (PGlite; PostgreSQL when reachable),
// then Stripe webhook deliveries against a running server on each backend (bench/webhooks.ts),
// then usage events ingested in batches of 1,000 on each backend (bench/usage.ts), then
// month-end invoices issued for every account and one PDF rendered (bench/documents.ts), then
// Kassa's own webhooks delivered to a receiver by one and by two dispatchers (bench/webhook-delivery.ts), then
// API processes side by side on PostgreSQL (bench/processes.ts), then entitlement checks over
// HTTP against the embedded default.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { newSecretKey } from '../src/shared/secret-box.js';
import { benchDocuments } from './documents.js';
import { benchEntitlements } from './entitlements.js';
import { benchProcesses } from './processes.js';
import { benchUsage } from './usage.js';
import { benchWebhookDelivery } from './webhook-delivery.js';
import { benchWebhooks } from './webhooks.js';

// Every process of the benchmark seals secrets with one key (PostgreSQL requires one).
process.env.KASSA_SECRET_KEY ||= newSecretKey();

const { values: opt } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    accounts: { type: 'string', default: '200000' },
    'per-account': { type: 'string', default: '5' },
    backend: { type: 'string' },
    'skip-entitlements': { type: 'boolean', default: false },
    'entitlement-seconds': { type: 'string', default: '10' },
    'webhook-deliveries': { type: 'string', default: '10000' },
    'usage-events': { type: 'string', default: '1000000' },
    'document-accounts': { type: 'string', default: '200000' },
    'webhooks-out': { type: 'string', default: '10000' },
    'process-seconds': { type: 'string', default: '15' },
    'mixed-seconds': { type: 'string', default: '60' },
  },
});
const accounts = Number(opt.accounts);
const perAccount = Number(opt['per-account']);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const reference = resolve(root, '../shared/bench/reference-billing-run.mjs');
const pgBase = process.env.DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/postgres';

function say(line: string) {
  if (!opt.json) console.log(line);
}

function child(args: string[]): string {
  return execFileSync(process.execPath, ['--import', 'tsx', join(root, 'bench/billing-child.ts'), ...args], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
  });
}

function lastJson(output: string): Record<string, unknown> {
  const line = output.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (!line) throw new Error(`no JSON in output:\n${output}`);
  return JSON.parse(line) as Record<string, unknown>;
}

async function postgresDatabase(): Promise<{ url: string; drop(): Promise<void> } | undefined> {
  const admin = new pg.Client({ connectionString: pgBase });
  try {
    await admin.connect();
  } catch {
    return undefined;
  }
  return createDatabase(admin, `kassa_bench_${process.pid}`);
}

/** A copy of a seeded database (PostgreSQL's template copy: seconds, not a new seed). */
async function cloneDatabase(sourceUrl: string, suffix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const source = new URL(sourceUrl).pathname.slice(1);
  const admin = new pg.Client({ connectionString: pgBase });
  await admin.connect();
  return createDatabase(admin, `${source}_${suffix}`, source);
}

/** A new database `name` (from `template`), made through a connected admin client it then ends; with the way to drop it. */
async function createDatabase(admin: pg.Client, name: string, template?: string): Promise<{ url: string; drop(): Promise<void> }> {
  await admin.query(`drop database if exists ${name}`);
  await admin.query(`create database ${name}${template ? ` template ${template}` : ''}`);
  await admin.end();
  const url = new URL(pgBase);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: pgBase });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

/** PostgreSQL: the same run with 1, 2 and 4 batch workers side by side, each on a copy of the seeded database. */
const SIDE_BY_SIDE = [1, 2, 4];

async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: pgBase });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

async function benchBackend(backend: 'pglite' | 'postgres') {
  let target: string;
  let cleanup: () => Promise<void>;
  if (backend === 'pglite') {
    target = mkdtempSync(join(tmpdir(), 'kassa-bench-'));
    cleanup = async () => rmSync(target, { recursive: true, force: true });
  } else {
    const database = await postgresDatabase();
    if (!database) {
      say(`postgres: not reachable at ${pgBase}, skipped`);
      return undefined;
    }
    target = database.url;
    cleanup = database.drop;
  }
  try {
    say(`${backend}: seeding ${accounts} accounts x ${perAccount} subscriptions...`);
    child(['seed', target, String(accounts), String(perAccount)]);
    // Copies made before any run bills the seeded database.
    const copies = backend === 'postgres' ? await Promise.all(SIDE_BY_SIDE.filter((n) => n !== 2).map(async (n) => ({ n, copy: await cloneDatabase(target, `b${n}`) }))) : [];
    say(`${backend}: billing run...`);
    const ours = lastJson(child(['run', target]));
    const sideBySide: { batches: number; seconds: number; billed: unknown; same_outcome: boolean }[] = [];
    if (backend === 'postgres') sideBySide.push({ batches: 2, seconds: +(ours.seconds as number).toFixed(3), billed: ours.billed, same_outcome: true });
    for (const { n, copy } of copies) {
      try {
        say(`${backend}: billing run with ${n} batch worker(s) side by side...`);
        const other = lastJson(child(['run', copy.url, String(n)]));
        sideBySide.push({ batches: n, seconds: +(other.seconds as number).toFixed(3), billed: other.billed, same_outcome: other.billed === ours.billed && other.suspended === ours.suspended && other.total_charged === ours.total_charged && other.ledger_ok === true });
      } finally {
        await copy.drop();
      }
    }
    sideBySide.sort((a, b) => a.batches - b.batches);
    say(`${backend}: reference run...`);
    const refArgs = [reference, backend === 'pglite' ? '--pglite' : '--url', target, '--accounts', String(accounts), '--per-account', String(perAccount)];
    const ref = lastJson(execFileSync(process.execPath, refArgs, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));
    // The product's view of a run: entitlement checks answered while the next day bills.
    say(`${backend}: entitlement checks during the next day's run...`);
    const during = lastJson(child(['serve-run', target, String(ours.seconds)]));
    const seconds = ours.seconds as number;
    const referenceSeconds = ref.seconds as number;
    return {
      backend,
      subscriptions: ours.subscriptions,
      billed: ours.billed,
      suspended: ours.suspended,
      seconds: +seconds.toFixed(3),
      per_second: Math.floor((ours.subscriptions as number) / seconds),
      reference_seconds: referenceSeconds,
      reference_charged: ref.charged,
      reference_suspended: ref.suspended,
      ratio: +(seconds / referenceSeconds).toFixed(3),
      peak_rss_mb: ours.peak_rss_mb,
      ledger_ok: ours.ledger_ok,
      checks_during_run: during,
      batches_side_by_side: sideBySide,
    };
  } finally {
    await cleanup();
  }
}

const backends = opt.backend ? [opt.backend as 'pglite' | 'postgres'] : (['pglite', 'postgres'] as const);
let failed = false;
for (const backend of backends) {
  const result = await benchBackend(backend);
  if (!result) continue;
  if (result.billed !== result.reference_charged || result.suspended !== result.reference_suspended || !result.ledger_ok) failed = true;
  if (result.batches_side_by_side.some((r) => !r.same_outcome)) failed = true;
  if (opt.json) console.log(JSON.stringify(result));
  else
    console.log(
      `${backend}: ${result.subscriptions} subscriptions billed in ${result.seconds}s (${result.per_second}/s); ` +
        `reference ${result.reference_seconds}s; ratio ${result.ratio}; peak RSS ${result.peak_rss_mb} MiB; ` +
        `billed ${result.billed} / suspended ${result.suspended} (reference ${result.reference_charged} / ${result.reference_suspended}); ledger ${result.ledger_ok ? 'verified' : 'BROKEN'}`,
    );
  if (!opt.json && result.batches_side_by_side.length > 0)
    console.log(
      `${backend}: the run with batch workers side by side (KASSA_BILLING_CONCURRENCY): ` +
        result.batches_side_by_side.map((r) => `${r.batches}: ${r.seconds}s${r.same_outcome ? '' : ' (OUTCOME DIFFERS)'}`).join(', '),
    );
  const during = result.checks_during_run as Record<string, number>;
  if (!opt.json)
    console.log(
      `${backend}: entitlement checks for ${during.load_seconds}s of a ${during.run_seconds!.toFixed(1)}s run: ${during.checks_per_second}/s, ` +
        `p50 ${during.p50_ms} ms, p99 ${during.p99_ms} ms, max ${during.max_ms} ms, ${during.errors} errors`,
    );
}

// Stripe webhook deliveries against a running server, on each backend.
for (const backend of backends) {
  if (backend === 'postgres' && !(await postgresReachable())) continue;
  const w = await benchWebhooks({ backend, deliveries: Number(opt['webhook-deliveries']), databaseUrl: backend === 'postgres' ? pgBase : undefined });
  if (!w.credited_once || !w.ledger_ok || w.errors > 0) failed = true;
  if (opt.json) console.log(JSON.stringify({ bench: 'webhooks', ...w }));
  else
    console.log(
      `${backend}: ${w.deliveries} Stripe webhook deliveries (${w.distinct_payments} payments + 10% duplicates): ${w.deliveries_per_second}/s answered, ` +
        `p50 ${w.p50_ms} ms, p99 ${w.p99_ms} ms, ${w.errors} errors; all credited within ${w.all_credited_within_seconds}s (${w.credited_per_second}/s); ` +
        `each once: ${w.credited_once ? 'yes' : 'NO'}; duplicates recognised ${w.duplicates_recognised}; ledger ${w.ledger_ok ? 'verified' : 'BROKEN'}`,
    );
}

// Usage events in HTTP batches of 1,000 against a running server, on each backend.
for (const backend of backends) {
  if (backend === 'postgres' && !(await postgresReachable())) continue;
  const u = await benchUsage({ backend, events: Number(opt['usage-events']), databaseUrl: backend === 'postgres' ? pgBase : undefined });
  if (!u.kept_once || u.errors > 0) failed = true;
  if (opt.json) console.log(JSON.stringify({ bench: 'usage', ...u }));
  else
    console.log(
      `${backend}: ${u.events} usage events from ${u.accounts} accounts in ${u.batches} batches (5% duplicates): ${u.events_per_second}/s kept, ` +
        `${u.rated_events_per_second}/s rated (${u.usage_charges} charges), batch p50 ${u.batch_p50_ms} ms, p99 ${u.batch_p99_ms} ms; ` +
        `sent at ${u.paced_events_per_second}/s: batch p50 ${u.paced_batch_p50_ms} ms, p99 ${u.paced_batch_p99_ms} ms; ${u.errors} errors; ` +
        `each kept once and rated: ${u.kept_once ? 'yes' : 'NO'}; a year of history p50 ${u.history_year_p50_ms} ms, p99 ${u.history_year_p99_ms} ms; peak RSS ${u.peak_rss_mib} MiB`,
    );
}

// Month-end issuing: an invoice of five lines for each account, on each backend.
for (const backend of backends) {
  if (backend === 'postgres' && !(await postgresReachable())) continue;
  const d = await benchDocuments({ backend, accounts: Number(opt['document-accounts']), databaseUrl: backend === 'postgres' ? pgBase : undefined });
  if (d.invoices !== d.accounts || !d.numbers_gapless || !d.totals_match) failed = true;
  if (opt.json) console.log(JSON.stringify({ bench: 'documents', ...d }));
  else
    console.log(
      `${backend}: month-end issuing of ${d.invoices} invoices (${d.lines} lines) in ${d.seconds}s: ${d.invoices_per_second} invoices/s; peak RSS ${d.peak_rss_mib} MiB; ` +
        `numbers gapless: ${d.numbers_gapless ? 'yes' : 'NO'}; totals as pending: ${d.totals_match ? 'yes' : 'NO'}; one 5-line PDF: first ${d.pdf_first_ms} ms, warm p50 ${d.pdf_p50_ms} ms, max ${d.pdf_max_ms} ms`,
    );
}

// Kassa's webhooks to the provider's product: one dispatcher, then two, on each backend.
for (const backend of backends) {
  if (backend === 'postgres' && !(await postgresReachable())) continue;
  const w = await benchWebhookDelivery({ backend, events: Number(opt['webhooks-out']), databaseUrl: backend === 'postgres' ? pgBase : undefined });
  if (!w.each_once) failed = true;
  if (opt.json) console.log(JSON.stringify({ bench: 'webhook_delivery', ...w }));
  else
    console.log(
      `${backend}: ${w.events} webhooks delivered to a loopback receiver: ${w.one_dispatcher_per_second}/s with one dispatcher, ${w.two_dispatchers_per_second}/s with two; ` +
        `a burst's wait from written to arrived p50 ${w.burst_p50_ms} ms, p99 ${w.burst_p99_ms} ms; one event alone p50 ${w.single_p50_ms} ms, max ${w.single_max_ms} ms; each once: ${w.each_once ? 'yes' : 'NO'}`,
    );
}

// API processes side by side on PostgreSQL: checks against one and two, next to a bare
// Fastify route; then mixed traffic against two, the ledger verified after.
if (!opt['skip-entitlements'] && backends.includes('postgres') && (await postgresReachable())) {
  const p = await benchProcesses({ databaseUrl: pgBase, seconds: Number(opt['process-seconds']), mixedSeconds: Number(opt['mixed-seconds']) });
  if (!p.mixed.ledger_ok || p.mixed.errors > 0 || p.mixed.non_2xx > 0) failed = true;
  if (opt.json) console.log(JSON.stringify({ bench: 'processes', ...p }));
  else {
    const line = (f: { checks_per_second: number; p50_ms: number; p99_ms: number; errors: number; server_cpu_us_per_check: number | null; answer_bytes: number }) =>
      `${f.checks_per_second}/s, p50 ${f.p50_ms} ms, p99 ${f.p99_ms} ms, ${f.errors} errors, server CPU ${f.server_cpu_us_per_check ?? '?'} µs a check, ${f.answer_bytes}-byte answers`;
    console.log(`postgres: entitlement checks over HTTP, each server its own process: bare Fastify route ${line(p.bare_route)}`);
    console.log(`  the bare route with Kassa's API headers ${line(p.bare_route_api_headers)}`);
    console.log(`  one kassa serve ${line(p.one_api)} (${p.one_api_ratio} of the bare route, ${p.one_api_ratio_same_headers} of it with the same headers); two ${line(p.two_apis)} (${p.two_apis_ratio})`);
    const m = p.mixed;
    console.log(
      `  mixed traffic against two API processes for ${m.seconds}s: ${m.requests_per_second} requests/s, p99 ${m.p99_ms} ms (${m.checks} checks, ${m.adjustments_committed} adjustments, ${m.subscription_changes} quantity changes), ` +
        `${m.errors} errors, ${m.non_2xx} not 2xx${m.first_refusal ? ` (first: ${m.first_refusal})` : ''}; ledger verifies: ${m.ledger_ok ? 'yes' : 'NO'}`,
    );
  }
}

if (!opt['skip-entitlements']) {
  const e = await benchEntitlements({ backend: 'pglite', seconds: Number(opt['entitlement-seconds']) });
  if (opt.json) console.log(JSON.stringify({ bench: 'entitlements', ...e }));
  else {
    console.log(`entitlements over HTTP (${e.backend}): ${Math.floor(e.checks_per_second)} checks/s, p50 ${e.p50_ms} ms, p99 ${e.p99_ms} ms, ${e.errors} errors`);
    const i = e.in_process;
    console.log(`entitlements in-process (@kassa/client cache): ${i.checks_per_second} checks/s (${i.times_http}x HTTP), each timed alone p50 ${i.p50_us} µs, p99 ${i.p99_us} µs, ${i.loads} loads`);
  }
}
if (failed) {
  console.error('benchmark outcome differs from the reference or the ledger does not verify');
  process.exit(1);
}
