// A Kassa process of its own (`kassa serve`, `kassa work`, `kassa start`), started as an operator
// would, resolved once it listens: for the tests that run several processes on one database
// (test/support/processes.ts) and the benchmark of API processes side by side (bench/processes.ts).
import { type ChildProcess, spawn } from 'node:child_process';

export interface Started {
  url: string;
  child: ChildProcess;
  /** Everything the process printed so far, standard output and error. */
  output(): string;
}

export type KassaCommand = 'serve' | 'work' | 'start';

/** `kassa <command>` once it listens; settings default to a quiet start on its own port. */
export function startKassaProcess(command: KassaCommand, env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', command], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', KASSA_DEMO_DATA: 'false', DATABASE_URL: '', ...env },
  });
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

/** Stops a process with SIGTERM and waits for it to exit. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}
