// A typed fetch client for Kassa's API (openapi-fetch over the generated ./openapi.ts): every
// path, parameter, body and answer is typed as /openapi.json describes it.
import createClient, { type Client } from 'openapi-fetch';
import type { paths } from './openapi.js';

export interface KassaClientOptions {
  /** Where Kassa answers, without /v1: `https://billing.example.com`. */
  baseUrl: string;
  /** A provider API key (kassa_sk_...) or a personal access token (kassa_pat_...). */
  apiKey: string;
  /** Another fetch (a test's, or one with a proxy). */
  fetch?: typeof globalThis.fetch;
}

export type KassaClient = Client<paths>;

export function createKassaClient(options: KassaClientOptions): KassaClient {
  return createClient<paths>({ baseUrl: options.baseUrl.replace(/\/+$/, ''), headers: { authorization: `Bearer ${options.apiKey}` }, fetch: options.fetch });
}
