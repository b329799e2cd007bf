// Entitlement checks inside the provider's own process (SPEC 11): an account's answers are
// loaded once over HTTP, then every check is a lookup in memory, synchronous, in well under a
// microsecond. Kassa says when an account's answers change, and the cache drops them:
// - by the server-sent event stream GET /v1/entitlements/stream (connect()), which resumes
//   after a lost connection from the last event it saw (Last-Event-ID), or tells the cache to
//   drop everything when it cannot;
// - or by webhooks the product already receives (handleEvent()).
// An entry older than maxAgeMs is loaded again: the safety net for a change never told.
import { EventSource } from 'eventsource';
import type { KassaClient } from './client.js';
import type { components } from './openapi.js';
import type { KassaEvent } from './webhooks.js';

export type Entitlements = components['schemas']['Entitlements'];
export type FeatureAnswer = components['schemas']['FeatureAnswer'];

export interface EntitlementCacheOptions {
  client: KassaClient;
  /** For the event stream: where Kassa answers, and a provider API key (the stream is for staff). */
  baseUrl: string;
  apiKey: string;
  /** An entry older than this is loaded again (default 60 s). */
  maxAgeMs?: number;
  /** Accounts kept; beyond it the oldest loaded is dropped (default 100,000). */
  maxEntries?: number;
  fetch?: typeof globalThis.fetch;
}

interface Entry {
  status: Entitlements['status'];
  type: Entitlements['type'];
  features: Map<string, FeatureAnswer>;
  /** What a feature no plan names answers: the account's own reason (suspended...) or not_in_plan. */
  fallback: FeatureAnswer['reason'];
  loadedAt: number;
}

const ACCOUNT_REASONS = new Set(['account_pending_verification', 'account_suspended', 'account_blocked', 'account_closed']);

const answerOf = (entry: Entry, feature: string): FeatureAnswer =>
  entry.features.get(feature) ?? { feature, allowed: false, limit: 0, used: 0, remaining: 0, reason: entry.fallback };

export class EntitlementCache {
  private readonly entries = new Map<number, Entry>();
  /** Loads in flight; an invalidation removes the account's, so what it read is not kept. */
  private readonly loading = new Map<number, Promise<Entry | undefined>>();
  private readonly maxAgeMs: number;
  private readonly maxEntries: number;
  private stream: EventSource | undefined;
  /** HTTP loads made, for tests and benchmarks. */
  loads = 0;
  /** Invalidations received from the stream or webhooks. */
  invalidations = 0;

  constructor(private readonly options: EntitlementCacheOptions) {
    this.maxAgeMs = options.maxAgeMs ?? 60_000;
    this.maxEntries = Math.max(1, options.maxEntries ?? 100_000);
  }

  /**
   * The hot path: the answer from memory, or undefined when the account is not loaded (then
   * `await cache.load(id)`, or use allowed()). A feature no active plan names answers not
   * allowed, as Kassa does. A metered question with a quantity ("may it send 3,000 more?")
   * needs the price: ask Kassa (GET /v1/accounts/{id}/entitlements/{feature}?quantity=).
   */
  check(accountId: number, feature: string): FeatureAnswer | undefined {
    const entry = this.fresh(accountId);
    return entry && answerOf(entry, feature);
  }

  /** May the account use the feature now? Loads the account on a miss (one HTTP call). */
  async allowed(accountId: number, feature: string): Promise<boolean> {
    const entry = this.fresh(accountId) ?? (await this.loadEntry(accountId));
    return entry ? answerOf(entry, feature).allowed : false;
  }

  /** The account's status as last loaded (active, suspended, blocked...), or undefined. */
  status(accountId: number): Entitlements['status'] | undefined {
    return this.fresh(accountId)?.status;
  }

  /** Loads (or reloads) the account's answers; false when Kassa has no such account. */
  async load(accountId: number): Promise<boolean> {
    return (await this.loadEntry(accountId)) !== undefined;
  }

  /**
   * The answers as read now, shared by concurrent callers. They are kept only while this load is
   * still the account's: an invalidation meanwhile forgets it, as what it read may be from
   * before the change.
   */
  private loadEntry(accountId: number): Promise<Entry | undefined> {
    const running = this.loading.get(accountId);
    if (running) return running;
    const stillCurrent = () => this.loading.get(accountId) === started;
    const started: Promise<Entry | undefined> = this.fetchEntry(accountId).then(
      (entry) => {
        if (stillCurrent()) {
          this.loading.delete(accountId);
          if (entry) this.store(accountId, entry);
        }
        return entry;
      },
      (error: unknown) => {
        if (stillCurrent()) this.loading.delete(accountId);
        throw error;
      },
    );
    this.loading.set(accountId, started);
    return started;
  }

  /** Drops an account's answers (or all), so the next check loads them again. */
  invalidate(accountId: number | 'all'): void {
    this.invalidations++;
    if (accountId === 'all') {
      this.entries.clear();
      this.loading.clear();
      return;
    }
    this.entries.delete(accountId);
    this.loading.delete(accountId);
  }

  /** Feed it every verified webhook: an event about an account drops that account's answers. */
  handleEvent(event: KassaEvent): void {
    const accountId = (event.data as { account_id?: number | null }).account_id;
    if (typeof accountId === 'number') this.invalidate(accountId);
  }

  /**
   * Follows Kassa's entitlement stream until close(): resolves once it is open. A lost
   * connection is retried every second, resuming from the last event seen.
   */
  connect(): Promise<void> {
    if (this.stream) return Promise.resolve();
    const { baseUrl, apiKey } = this.options;
    const fetchWith = this.options.fetch ?? globalThis.fetch;
    const stream = new EventSource(`${baseUrl.replace(/\/+$/, '')}/v1/entitlements/stream`, {
      fetch: (input, init) => fetchWith(input, { ...init, headers: { ...(init?.headers as Record<string, string>), authorization: `Bearer ${apiKey}` } }),
    });
    this.stream = stream;
    stream.addEventListener('invalidate', (message) => {
      for (const id of (JSON.parse(message.data) as { account_ids: number[] }).account_ids) this.invalidate(id);
    });
    stream.addEventListener('reset', () => this.invalidate('all'));
    return new Promise((resolve, reject) => {
      stream.addEventListener('ready', () => resolve(), { once: true });
      stream.addEventListener('error', (error) => {
        // Closed for good (refused credentials): nothing more will come.
        if (stream.readyState === EventSource.CLOSED) reject(new Error(`the entitlement stream closed: ${error.message ?? error.code ?? 'refused'}`));
      });
    });
  }

  close(): void {
    this.stream?.close();
    this.stream = undefined;
  }

  get size(): number {
    return this.entries.size;
  }

  private fresh(accountId: number): Entry | undefined {
    const entry = this.entries.get(accountId);
    if (entry && performance.now() - entry.loadedAt > this.maxAgeMs) {
      this.entries.delete(accountId);
      return undefined;
    }
    return entry;
  }

  private async fetchEntry(accountId: number): Promise<Entry | undefined> {
    this.loads++;
    const { data, error, response } = await this.options.client.GET('/v1/accounts/{id}/entitlements', { params: { path: { id: accountId } } });
    if (response.status === 404) return undefined;
    if (error || !data) throw new Error(`Kassa answered ${response.status} for account ${accountId}'s entitlements`);
    const api = data.features.find((f) => f.feature === 'api');
    return {
      status: data.status,
      type: data.type,
      features: new Map(data.features.map((f) => [f.feature, f])),
      fallback: api?.reason && ACCOUNT_REASONS.has(api.reason) ? api.reason : 'not_in_plan',
      loadedAt: performance.now(),
    };
  }

  private store(accountId: number, entry: Entry): void {
    this.entries.delete(accountId);
    while (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as number);
    this.entries.set(accountId, entry);
  }
}
