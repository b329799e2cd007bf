// Kassa processes a test starts (`kassa serve`, `kassa work`, `kassa start`), each its own
// Node process, stopped with SIGTERM when the test file ends.
import type { ChildProcess } from 'node:child_process';
import { afterAll } from 'vitest';
import { type KassaCommand, type Started, startKassaProcess, stopProcess } from '../../bench/kassa-process.js';

export type { Started };

/** Starts processes for one test file; each is stopped (SIGTERM, then waited for) after it. */
export function kassaProcesses() {
  const children: ChildProcess[] = [];
  afterAll(async () => {
    await Promise.all(children.map(stopProcess));
  });
  return async (command: KassaCommand, env: Record<string, string>): Promise<Started> => {
    // One that exits before it listens rejects; one that listens is stopped after the file.
    const started = await startKassaProcess(command, env);
    children.push(started.child);
    return started;
  };
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
