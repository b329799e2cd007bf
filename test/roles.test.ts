// The roles of a process (SPEC 14, issue 11, item 1): `kassa serve` answers the API and runs no
// worker, `kassa work` runs the workers and answers only /healthz, /readyz and /metrics. On the
// embedded database one process holds the folder, so a second one is refused with the
// holder's name. Several of each on one PostgreSQL: test/compose.test.ts.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { migratedDataFolder } from './support/harness.js';
import { eventually, kassaProcesses } from './support/processes.js';

const postgres = Boolean(process.env.DATABASE_URL);
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const kassa = kassaProcesses();

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

  it.skipIf(postgres)('is refused beside another process on the same embedded data folder, which is named (kassa start with KASSA_ROLES=api)', async () => {
    const data = migratedDataFolder('kassa-roles-');
    cleanups.push(() => rmSync(data, { recursive: true, force: true }));
    // `kassa start` (the image's default command) runs the roles KASSA_ROLES names.
    const api = await kassa('start', { KASSA_DATA_DIR: data, KASSA_ROLES: 'api' });
    expect(api.output()).toContain('Kassa API on http://localhost:');
    const second = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', 'work'], { env: { ...process.env, PORT: '0', KASSA_DATA_DIR: data, DATABASE_URL: '' } });
    let stderr = '';
    second.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise((resolve) => second.on('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toContain('kassa api on port 0'); // PORT=0: the port the system gave is not in the setting
  }, 60_000);
});
