// Runs a `kassa ...` command line the way the binary does (src/cli/program.ts), in this
// process: the output and exit code of a real run without paying for a new Node and tsx.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type CliIo, runCli } from '../../src/cli/program.js';
import type { Database } from '../../src/db/client.js';
import type { Harness } from './harness.js';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export async function kassaInProcess(args: string[], env: NodeJS.ProcessEnv, open?: CliIo['open']): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { env, out: (text) => (stdout += text), err: (text) => (stderr += text), open });
  return { code, stdout, stderr };
}

/** The harness's own database, kept open when a command closes it. */
export function harnessDatabase(h: Harness): () => Promise<Database> {
  return async () => ({ db: h.kassa.db, backend: h.kassa.backend, close: async () => {} });
}

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Runs the real binary, bin/kassa.mjs (as `npx kassa`), without blocking this process. */
export function kassaProcess(args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  return runProcess(process.execPath, [`${root}bin/kassa.mjs`, ...args], env);
}

/** Runs a process in the project folder with these variables over this one's; collects its output. */
export function runProcess(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
