// What the entitlement stream tells (GET /v1/entitlements/stream): every account whose answers
// this process dropped, its own writes' and (on PostgreSQL) the other processes' alike, numbered
// in order. The last RETAINED changes are kept, so a client that lost its connection resumes from
// the last id it saw; one that comes back too late, or to another process (ids name this one),
// is told to drop everything instead: never a missed change, at worst a reload.
import { randomBytes } from 'node:crypto';

export const RETAINED = 50_000;

export type Change = number | 'all';
export type ChangeListener = (seq: number, change: Change) => void;

/** What a client resuming after `lastEventId` must drop: some accounts, or all of them. */
export type Catch = { accountIds: number[] } | 'reset';

export class EntitlementChanges {
  /** Names this process's numbering: ids from another process (or a restart) cannot resume here. */
  readonly epoch = randomBytes(6).toString('base64url');
  private seq = 0;
  private readonly ring: Change[] = new Array<Change>(RETAINED);
  private readonly listeners = new Set<ChangeListener>();

  record(change: Change): void {
    this.seq++;
    this.ring[this.seq % RETAINED] = change;
    for (const listener of this.listeners) listener(this.seq, change);
  }

  /** The id of the newest change: `epoch.seq`. */
  idOf(seq = this.seq): string {
    return `${this.epoch}.${seq}`;
  }

  get lastSeq(): number {
    return this.seq;
  }

  /** What changed after the change `lastEventId` named, if this process still knows. */
  since(lastEventId: string): Catch {
    const [epoch, seqText] = lastEventId.split('.');
    const seen = Number(seqText);
    if (epoch !== this.epoch || !Number.isSafeInteger(seen) || seen < 0 || seen > this.seq || this.seq - seen >= RETAINED) return 'reset';
    const accountIds = new Set<number>();
    for (let seq = seen + 1; seq <= this.seq; seq++) {
      const change = this.ring[seq % RETAINED]!;
      if (change === 'all') return 'reset';
      accountIds.add(change);
    }
    return { accountIds: [...accountIds] };
  }

  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
