// `npm start` with something a person can fix (issue 16, first steps 1 and 2): each answers
// one line on stderr naming the variable, the value and what is expected, exit code 2, no
// stack trace; a start that failed on a busy port has not used up the demo key.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { runProcess } from './support/cli.js';
import { migratedDataFolder } from './support/harness.js';

const folders: string[] = [];
/** A migrated data folder with nothing in it yet: no demo, no key. */
const folder = () => {
  const made = migratedDataFolder('kassa-start-');
  folders.push(made);
  return made;
};
afterAll(() => {
  for (const made of folders) rmSync(made, { recursive: true, force: true });
});

const start = (env: NodeJS.ProcessEnv) => runProcess(process.execPath, ['--import', 'tsx', 'src/main.ts'], { DATABASE_URL: '', LOG_LEVEL: 'error', ...env });

function expectOneLine(run: { code: number | null; stderr: string }, line: string | RegExp) {
  expect(run.code, run.stderr).toBe(2);
  const lines = run.stderr.trim().split('\n');
  expect(lines, run.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(line);
  expect(run.stderr).not.toMatch(/\n\s+at /); // no stack
}

describe('npm start refuses what a person can fix, in one line', () => {
  /** A folder the real clock has used (the demo seeded today), from the busy-port case. */
  let data: string;

  it.each([
    [{ KASSA_CLOCK: 'sometimes' }, 'kassa: KASSA_CLOCK=sometimes: expected real or simulated'],
    [{ KASSA_CLOCK_START: 'tomorrow' }, 'kassa: KASSA_CLOCK_START=tomorrow: expected an ISO 8601 time such as 2026-11-02T00:00:00Z'],
    [{ PORT: 'eighty' }, 'kassa: PORT=eighty: expected a port number, 0 to 65535'],
    [{ DATABASE_URL: 'mysql://localhost/kassa' }, 'kassa: DATABASE_URL=mysql://localhost/kassa: expected a postgres:// URL'],
  ])('%o', async (env, line) => {
    expectOneLine(await start(env), line);
  });

  it('a database that does not answer', async () => {
    const run = await start({ DATABASE_URL: 'postgres://kassa:secret@127.0.0.1:1/kassa' });
    expectOneLine(run, /^kassa: cannot use the database at DATABASE_URL=postgres:\/\/kassa:\*\*\*@127\.0\.0\.1:1\/kassa: .*ECONNREFUSED/);
    expect(run.stderr).not.toContain('secret');
  });

  it('a busy port; the next start still creates the demo and shows its key', async () => {
    const busy: Server = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as { port: number }).port;
    data = folder();
    try {
      const refused = await start({ PORT: String(port), HOST: '127.0.0.1', KASSA_DATA_DIR: data });
      expectOneLine(refused, `kassa: PORT=${port}: another process listens on it; stop it or choose another PORT`);
      expect(refused.stdout).not.toContain('API key');
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
    // The same folder on a free port: the demo is seeded now, and its key printed on stdout
    // even with LOG_LEVEL=error.
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env: { ...process.env, DATABASE_URL: '', LOG_LEVEL: 'error', PORT: '0', HOST: '127.0.0.1', KASSA_DATA_DIR: data } });
    let stdout = '';
    const shown = new Promise<void>((resolve) => child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); if (stdout.includes('\n')) resolve(); }));
    const closed = new Promise((resolve) => child.on('close', resolve));
    await shown;
    child.kill('SIGTERM');
    await closed;
    expect(stdout).toMatch(/^Demo data created\. API key \(shown once\): kassa_sk_\S+\n/);
  }, 60_000);

  it('a simulated clock that would start before the data of a used folder', async () => {
    const run = await start({ KASSA_DATA_DIR: data, KASSA_CLOCK: 'simulated', KASSA_CLOCK_START: '2020-01-01T00:00:00Z', PORT: '0' });
    expectOneLine(run, /^kassa: KASSA_CLOCK_START=2020-01-01T00:00:00\.000Z: expected a time after the data already in this database \(the latest is \S+\); start a simulated clock on a fresh KASSA_DATA_DIR$/);
  }, 60_000);
});
