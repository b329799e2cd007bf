// The roles of a process (SPEC 14, issue 11, item 1): `kassa serve` answers the API and runs no
// worker, `kassa work` runs the workers and answers only /healthz, /readyz and /metrics, and any
// number of each share one PostgreSQL: the demo is seeded once, each boundary is billed by one
// run, a mail queued through one API process is sent once, by a worker. On the embedded
// database one process holds the folder, so a second one is refused with the holder's name.
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startOfUtcDay } from '../src/time/periods.js';
import { createTestDatabase, migratedDataFolder } from './support/harness.js';
import { signUpBody } from './support/identity.js';
import { type SmtpReceiver, startSmtpReceiver } from './support/smtp-receiver.js';

const postgres = Boolean(process.env.DATABASE_URL);
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Started {
  url: string;
  child: ChildProcess;
  /** Everything the process printed so far, standard output and error. */
  output(): string;
}

/** `kassa <command>` in a process of its own, once it listens. */
function kassa(command: 'serve' | 'work', env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', command], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', KASSA_DEMO_DATA: 'false', DATABASE_URL: '', ...env },
  });
  cleanups.push(() => stopped(child));
  let printed = '';
  return new Promise((resolve, reject) => {
    const read = (chunk: Buffer) => {
      printed += chunk.toString();
      const url = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(printed)?.[1];
      if (url && /"msg":"Kassa (API|worker|on)/.test(printed)) resolve({ url, child, output: () => printed });
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.on('exit', (code) => reject(new Error(`kassa ${command} exited ${code} before it listened:\n${printed}`)));
  });
}

async function stopped(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function eventually<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error('not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('a worker-only process', () => {
  it('answers /healthz and /readyz, and refuses the API naming where it is served', async () => {
    const data = migratedDataFolder('kassa-roles-');
    cleanups.push(() => rmSync(data, { recursive: true, force: true }));
    const worker = await kassa('work', { KASSA_DATA_DIR: data });

    expect(await (await fetch(`${worker.url}/healthz`)).json()).toEqual({ status: 'ok' });
    expect((await fetch(`${worker.url}/readyz`)).status).toBe(200);
    const api = await fetch(`${worker.url}/v1/accounts`);
    expect(api.status).toBe(404);
    expect(await api.json()).toMatchObject({ code: 'not_found', detail: expect.stringContaining('it runs the worker role only (KASSA_ROLES=worker)') });
    expect((await fetch(`${worker.url}/docs`)).status).toBe(404);
    expect(worker.output()).toContain('Kassa worker (pglite, real clock)');
    // The real clock's scheduler runs here: today's boundary is billed (an empty catalog: nothing charged).
    expect(await eventually(() => (/billing run \S+ completed/.test(worker.output()) ? true : undefined))).toBe(true);
  }, 60_000);

  it.skipIf(postgres)('is refused beside another process on the same embedded data folder, which is named', async () => {
    const data = migratedDataFolder('kassa-roles-');
    cleanups.push(() => rmSync(data, { recursive: true, force: true }));
    await kassa('serve', { KASSA_DATA_DIR: data });
    const second = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', 'work'], { env: { ...process.env, PORT: '0', KASSA_DATA_DIR: data, DATABASE_URL: '' } });
    let stderr = '';
    second.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise((resolve) => second.on('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toContain('kassa api on port 0'); // PORT=0: the port the system gave is not in the setting
  }, 60_000);
});

describe.runIf(postgres)('API and worker processes side by side on one PostgreSQL', () => {
  let smtp: SmtpReceiver;

  it('two API processes and two workers: the demo seeded once, one run per boundary, a mail sent once by a worker', async () => {
    const database = await createTestDatabase({ empty: true });
    cleanups.push(database.drop);
    smtp = await startSmtpReceiver();
    cleanups.push(() => smtp.close());
    const env = { DATABASE_URL: database.url!, SMTP_URL: smtp.url, KASSA_DEMO_DATA: 'true' };
    // Started together on an empty database: each migrates it (drizzle takes a lock), one seeds the demo.
    const [first, second, workerA, workerB] = await Promise.all([kassa('serve', env), kassa('serve', env), kassa('work', env), kassa('work', env)]);
    const shown = [first, second].filter((p) => p.output().includes('API key (shown once)'));
    expect(shown).toHaveLength(1);

    for (const api of [first, second]) {
      expect(api.output()).toContain('Kassa API on http://localhost:');
      // No worker starts in an API process: no mail delivery, no billing run.
      expect(api.output()).not.toMatch(/"msg":"(mail delivery|billing run \S+ completed)/);
    }

    const signedUp = await fetch(`${second.url}/v1/auth/signup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(signUpBody('roles@example.com')) });
    expect(signedUp.status).toBe(202);
    const mail = await eventually(() => smtp.to('roles@example.com')[0]);
    expect(mail.subject).toMatch(/verify|confirm/i);

    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    cleanups.push(() => client.end());
    // Today's boundary, run at the workers' start: one run, completed, however many workers.
    const boundary = startOfUtcDay(new Date());
    const runs = await eventually(async () => {
      const { rows } = await client.query<{ status: string }>('select status from billing_runs where boundary = $1', [boundary]);
      return rows.length === 1 && rows[0]!.status === 'completed' ? rows : undefined;
    });
    expect(runs).toEqual([{ status: 'completed' }]);
    // The mail was sent by one worker, once.
    const { rows: mails } = await client.query<{ state: string; attempts: number }>("select state, attempts from mails where \"to\" = 'roles@example.com'");
    expect(mails).toEqual([{ state: 'sent', attempts: 1 }]);
    const sentBy = [workerA, workerB].filter((w) => /"sent":1/.test(w.output()));
    expect(sentBy).toHaveLength(1);
    expect(smtp.to('roles@example.com')).toHaveLength(1);
  }, 90_000);
});
