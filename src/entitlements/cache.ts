// The in-process answer to "may account A use feature F?". Every write that can change an
// account's answer calls invalidate(accountId) after it commits, so answers are never stale
// after a change this process made.
export class EntitlementCache {
  private entries = new Map<number, unknown>();

  invalidate(accountId: number): void {
    this.entries.delete(accountId);
  }

  clear(): void {
    this.entries.clear();
  }
}
