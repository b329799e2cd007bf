// The in-process answer to "may account A use feature F?". Every write that can change an
// account's answer calls invalidate(accountId) after it commits, so answers are never stale
// after a change this process made. With PostgreSQL, connect() shares invalidations with the
// other processes through LISTEN/NOTIFY (see ./notify.ts and docs/entitlements.md).
//
// A miss loads the account in one query and computes every answer at once. Loads are
// shared by concurrent callers, and each is tagged with the account's generation when it
// started: invalidate() bumps the generation, so a load that read the database before the
// write committed finishes for its callers but is never stored.
import type { Backend, Db } from '../db/client.js';
import { type AccountEntitlements, type EntitlementInputs, computeEntitlements } from './compute.js';
import { loadEntitlementInputs, loadManyEntitlementInputs } from './load.js';
import { EntitlementChanges } from './changes.js';
import { type InvalidationChannel, listenForInvalidations } from './notify.js';

interface Slot {
  generation: number;
  /** Read since eviction last passed it: it gets a second chance (approximate LRU). */
  recent: boolean;
  answers: AccountEntitlements | undefined;
  loadedAt_ms: number;
  loading: Promise<AccountEntitlements | undefined> | undefined;
}

export interface EntitlementCacheOptions {
  /** Accounts kept in memory; beyond it, one not read recently is dropped. */
  maxEntries?: number;
  /**
   * Safety net for invalidations that never arrive (another process crashed between its
   * commit and its NOTIFY): an entry older than this is reloaded.
   */
  maxAge_ms?: number;
}

export class EntitlementCache {
  /** Oldest first; eviction moves recently read slots to the end instead of dropping them. */
  private slots = new Map<number, Slot>();
  private readonly maxEntries: number;
  private readonly maxAge_ms: number;
  private channel: InvalidationChannel | undefined;
  /** Database round trips made by misses, for tests and benchmarks. */
  loads = 0;
  /** Every account dropped, here or (told by NOTIFY) in another process: what the entitlement stream sends. */
  readonly changes = new EntitlementChanges();

  constructor(options: EntitlementCacheOptions = {}) {
    this.maxEntries = Math.max(1, options.maxEntries ?? 100_000);
    this.maxAge_ms = options.maxAge_ms ?? 60_000;
  }

  /** The account's answers if they are in memory: the hot path, synchronous. */
  peek(accountId: number): AccountEntitlements | undefined {
    const slot = this.slots.get(accountId);
    if (!slot?.answers) return undefined;
    if (performance.now() - slot.loadedAt_ms > this.maxAge_ms) {
      slot.answers = undefined;
      return undefined;
    }
    slot.recent = true;
    return slot.answers;
  }

  /** The account's answers, loaded on a miss; undefined when the account does not exist. */
  get(db: Db, accountId: number): Promise<AccountEntitlements | undefined> {
    const answers = this.peek(accountId);
    return answers ? Promise.resolve(answers) : this.load(db, accountId);
  }

  invalidate(accountId: number): void {
    this.drop(accountId);
    this.changes.record(accountId);
    this.channel?.publish(accountId);
  }

  clear(): void {
    this.dropAll();
    this.changes.record('all');
    this.channel?.publish('all');
  }

  /** Shares invalidations with the other processes on the same PostgreSQL (no-op on PGlite). */
  async connect(db: Db, backend: Backend): Promise<void> {
    if (backend !== 'postgres' || this.channel) return;
    this.channel = await listenForInvalidations(db, {
      drop: (accountId) => {
        if (accountId === 'all') this.dropAll();
        else this.drop(accountId);
        this.changes.record(accountId);
      },
    });
  }

  async close(): Promise<void> {
    const channel = this.channel;
    this.channel = undefined;
    await channel?.close();
  }

  get size(): number {
    return this.slots.size;
  }

  /**
   * After a writer changed many accounts at once (a billing batch's suspensions): drops their
   * answers like invalidate(), and reads again in one query those that were in memory, so their
   * next checks wait for that query at most instead of for the writer's next transaction.
   */
  async refresh(db: Db, accountIds: readonly number[]): Promise<void> {
    const cached = accountIds.filter((id) => this.slots.has(id));
    for (const id of accountIds) this.invalidate(id);
    if (cached.length === 0) return;
    this.loads++;
    const reading = loadManyEntitlementInputs(db, cached);
    await Promise.all(cached.map((id) => this.startLoad(id, reading.then((inputs) => inputs.get(id)))));
  }

  private load(db: Db, accountId: number): Promise<AccountEntitlements | undefined> {
    const slot = this.slots.get(accountId);
    if (slot?.loading) return slot.loading;
    this.loads++;
    return this.startLoad(accountId, loadEntitlementInputs(db, accountId));
  }

  /** Callers from now on share `reading`; its answers are kept unless the account changed meanwhile. */
  private startLoad(accountId: number, reading: Promise<EntitlementInputs | undefined>): Promise<AccountEntitlements | undefined> {
    let slot = this.slots.get(accountId);
    if (!slot) {
      this.makeRoom();
      slot = { generation: 0, recent: false, answers: undefined, loadedAt_ms: 0, loading: undefined };
      this.slots.set(accountId, slot);
    }
    const started = slot;
    const generation = slot.generation;
    const loading: Promise<AccountEntitlements | undefined> = reading
      .then((inputs) => {
        const answers = inputs && computeEntitlements(inputs);
        if (this.slots.get(accountId) === started && started.generation === generation) {
          if (answers) {
            started.answers = answers;
            started.loadedAt_ms = performance.now();
          } else {
            this.slots.delete(accountId);
          }
        }
        return answers;
      })
      .finally(() => {
        if (started.loading === loading) started.loading = undefined;
      });
    slot.loading = loading;
    return loading;
  }

  private drop(accountId: number): void {
    const slot = this.slots.get(accountId);
    if (!slot) return;
    if (!slot.loading) {
      this.slots.delete(accountId);
      return;
    }
    slot.generation++;
    slot.answers = undefined;
    // Callers from now on start a fresh load instead of joining one that may be stale.
    slot.loading = undefined;
  }

  private dropAll(): void {
    // In-flight loads find their slot gone and store nothing.
    this.slots.clear();
  }

  /** CLOCK-style: a hit only sets a flag, so the hot path never reorders the map. */
  private makeRoom(): void {
    while (this.slots.size >= this.maxEntries) {
      const [oldestId, oldest] = this.slots.entries().next().value as [number, Slot];
      this.slots.delete(oldestId);
      if (oldest.recent) {
        oldest.recent = false;
        this.slots.set(oldestId, oldest);
      }
    }
  }
}
