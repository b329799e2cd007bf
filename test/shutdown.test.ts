// SIGTERM drains (SPEC 14, issue 11, item 4): a real `npm start` stops taking connections,
// answers the request in flight (here a clock advance that bills ten days of the demo's
// subscriptions), finishes its work, closes the database and exits 0, well within 30 s.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { migratedDataFolder } from './support/harness.js';

const folders: string[] = [];
afterAll(() => {
  for (const made of folders) rmSync(made, { recursive: true, force: true });
});

describe('SIGTERM', () => {
  it('answers the request in flight, then exits 0, and takes no new connection meanwhile', async () => {
    const data = migratedDataFolder('kassa-shutdown-');
    folders.push(data);
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { ...process.env, DATABASE_URL: '', KASSA_DATA_DIR: data, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', KASSA_CLOCK: 'simulated', KASSA_CLOCK_START: '2026-11-02T00:00:00Z' },
    });
    let stdout = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const started = new Promise<{ url: string; key: string }>((resolve) =>
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const url = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1];
        const key = /API key \(shown once\): (kassa_sk_\S+)/.exec(stdout)?.[1];
        if (url && key) resolve({ url, key });
      }),
    );
    const { url, key } = await started;

    const advance = fetch(`${url}/v1/clock/advance`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ to: '2026-11-12T00:00:00Z', wait: true }),
    });
    // In flight once the server says it is advancing (ten days of runs and jobs follow).
    await new Promise<void>((resolve) => {
      const seen = () => void (stdout.includes('advancing the simulated clock') && resolve());
      child.stdout.on('data', seen);
      seen();
    });
    const signalled = performance.now();
    child.kill('SIGTERM');

    const answer = await advance;
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { now: string }).now).toBe('2026-11-12T00:00:00.000Z');
    expect(await exited, stdout).toBe(0);
    expect(performance.now() - signalled).toBeLessThan(30_000);
    expect(stdout).toMatch(/stopping \(SIGTERM\)/);
    expect(stdout).toMatch(/"msg":"stopped"/);
    // Gone: a new request finds nobody listening.
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  }, 120_000);
});
