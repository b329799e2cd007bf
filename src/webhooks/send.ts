// One webhook request (issue 10): a POST with a 15 s timeout, no redirect followed, the answer
// read up to 64 KiB, and the SSRF guard applied at connect time: the host's addresses are
// checked as the connection resolves them, so a name pointed at a private address after it was
// registered is refused then (src/webhooks/url-guard.ts).
import { lookup as dnsLookup } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { WebhookSettings } from '../config.js';
import { addressProblem } from './url-guard.js';

export const SEND_TIMEOUT_MS = 15_000;
export const RESPONSE_LIMIT_BYTES = 64 * 1024;

export interface SendOutcome {
  /** The endpoint's HTTP status; null when none came (refused, unreachable, timed out). */
  status: number | null;
  latencyMs: number;
  /** Why no status came, or why the answer was cut short. */
  error: string | null;
  /** The start of the answer's body (up to 1,000 characters of what was read). */
  excerpt: string | null;
}

/**
 * The Standard Webhooks headers of one attempt: `webhook-id`, the transport's time (not Kassa's
 * clock: receivers hold it against their own to refuse replays), and a `v1,` signature per
 * secret signing now, space-separated.
 */
export function signedHeaders(id: string, body: string, secrets: readonly string[]): Record<string, string> {
  const sentAt = new Date();
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
    'webhook-signature': secrets.map((secret) => new Webhook(secret).sign(id, sentAt, body)).join(' '),
  };
}

/** A lookup that resolves as usual, then refuses the addresses the guard does not allow. */
function guardedLookup(settings: WebhookSettings): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, options, (error, address, family) => {
      if (error) return callback(error, address as string, family);
      const addresses = Array.isArray(address) ? address.map((a: { address: string }) => a.address) : [address as string];
      const problem = addresses.map((a) => addressProblem(a, settings)).find(Boolean);
      if (problem) return callback(Object.assign(new Error(`refused: ${hostname} resolves to ${problem}`), { code: 'EWEBHOOKGUARD' }), address as string, family);
      callback(null, address as string, family);
    });
  };
}

const agents = { http: new http.Agent({ keepAlive: true, maxSockets: 64 }), https: new https.Agent({ keepAlive: true, maxSockets: 64 }) };

export async function sendWebhook(url: string, headers: Record<string, string>, body: string, settings: WebhookSettings): Promise<SendOutcome> {
  const started = performance.now();
  const elapsed = () => Math.trunc(performance.now() - started); // whole milliseconds
  const target = new URL(url);
  const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
  // A literal address is not looked up, so it is checked here.
  const literal = isIP(host) ? addressProblem(host, settings) : undefined;
  if (literal) return { status: null, latencyMs: elapsed(), error: `refused: ${literal}`, excerpt: null };
  const transport = target.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: Omit<SendOutcome, 'latencyMs'>) => {
      if (settled) return;
      settled = true;
      resolve({ ...outcome, latencyMs: elapsed() });
    };
    const request = transport.request(
      target,
      {
        method: 'POST',
        agent: target.protocol === 'https:' ? agents.https : agents.http,
        lookup: guardedLookup(settings),
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': 'Kassa-Webhooks/1', ...headers },
        signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        let cut = false;
        response.on('data', (chunk: Buffer) => {
          if (size >= RESPONSE_LIMIT_BYTES) return;
          chunks.push(chunk);
          size += chunk.length;
          if (size >= RESPONSE_LIMIT_BYTES) {
            cut = true;
            response.destroy(); // the rest is not read
            done();
          }
        });
        const done = () => {
          const text = Buffer.concat(chunks).subarray(0, RESPONSE_LIMIT_BYTES).toString('utf8');
          finish({ status: response.statusCode ?? null, error: cut ? `answer longer than ${RESPONSE_LIMIT_BYTES} bytes: read no further` : null, excerpt: text.length > 0 ? text.slice(0, 1000) : null });
        };
        response.on('end', done);
        response.on('error', done);
      },
    );
    request.on('error', (error: Error & { code?: string }) => {
      const timedOut = error.name === 'AbortError' || error.name === 'TimeoutError';
      finish({ status: null, error: timedOut ? `no answer within ${SEND_TIMEOUT_MS / 1000} s` : error.message, excerpt: null });
    });
    request.end(body);
  });
}
