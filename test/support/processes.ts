// Kassa processes a test starts (`kassa serve`, `kassa work`, `kassa start`), each its own
// Node process, stopped with SIGTERM when the test file ends.
import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll } from 'vitest';

export interface Started {
  url: string;
  child: ChildProcess;
  /** Everything the process printed so far, standard output and error. */
  output(): string;
}

/** Starts processes for one test file; each is stopped (SIGTERM, then waited for) after it. */
export function kassaProcesses() {
  const children: ChildProcess[] = [];
  afterAll(async () => {
    await Promise.all(children.map(stopped));
  });
  /** `kassa <command>` once it listens; settings default to a quiet start on its own port. */
  return (command: 'serve' | 'work' | 'start', env: Record<string, string>): Promise<Started> => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', command], {
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', KASSA_DEMO_DATA: 'false', DATABASE_URL: '', ...env },
    });
    children.push(child);
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
  };
}

async function stopped(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** Polls `probe` until it answers something (the processes work on their own time). */
export async function eventually<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error('not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
