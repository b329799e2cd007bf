// Runs a benchmark's load generator (source evaluated in a worker thread, so the server keeps
// the main thread) until it reports, and ends it from here: an 'exit' the worker emitted itself
// before anyone listened would leave the benchmark waiting for ever.
import { Worker } from 'node:worker_threads';

export async function runLoadWorker<T extends { latencies: number[] }>(source: string, workerData: unknown): Promise<T & { p50: number; p99: number; max: number }> {
  const worker = new Worker(source, { eval: true, workerData });
  const result = await new Promise<T>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the load generator ended (${code}) before it reported`)));
  });
  await worker.terminate();
  const sorted = result.latencies.sort((a, b) => a - b);
  const at = (q: number) => +sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(2);
  return { ...result, p50: at(0.5), p99: at(0.99), max: +sorted[sorted.length - 1]!.toFixed(2) };
}
