// What the commands that work through a running server share: the call (KASSA_URL,
// KASSA_API_KEY), the expected failure, and the readers of their arguments.
import { InvalidArgumentError } from 'commander';
import { configFromEnv } from '../config.js';

/** An expected failure: printed as one line, exit 1, no stack trace. */
export class CliError extends Error {}

export const nonNegative = (what: string) => (value: string) => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${what} is a number, 0 or more`);
  return n;
};
export const instant = (value: string) => {
  const time = new Date(value);
  if (Number.isNaN(time.getTime())) throw new InvalidArgumentError('give an ISO 8601 time, e.g. 2026-11-04T00:00:00Z');
  return time;
};

/** Calls a running server (KASSA_URL, else this host's PORT) with KASSA_API_KEY; a body is JSON unless given `raw` with its type. */
export function serverCaller(env: NodeJS.ProcessEnv) {
  // Answers of the running server, read field by field; their shapes are the API's schemas.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<any> => {
    const raw = body && typeof body === 'object' && 'raw' in body ? (body as { raw: string; type: string }) : undefined;
    const base = env.KASSA_URL || `http://localhost:${configFromEnv(env).port}`;
    const key = env.KASSA_API_KEY;
    if (!key) throw new CliError('set KASSA_API_KEY to a provider key');
    let response: Response;
    try {
      response = await fetch(base + path, {
        method,
        headers: { ...headers, authorization: `Bearer ${key}`, ...(raw ? { 'content-type': raw.type } : body ? { 'content-type': 'application/json' } : {}) },
        body: raw ? raw.raw : body ? JSON.stringify(body) : undefined,
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(`cannot reach Kassa at ${base} (${cause?.code ?? cause?.message ?? (error as Error).message}); set KASSA_URL`);
    }
    const text = await response.text();
    let answer;
    try {
      answer = JSON.parse(text);
    } catch {
      throw new CliError(`${base}${path} answered ${response.status} without JSON: is KASSA_URL a Kassa server?`);
    }
    if (!response.ok) throw new CliError(answer?.code ? `${answer.code}: ${answer.detail}` : `${base}${path} answered ${response.status}`);
    return answer;
  };
}
