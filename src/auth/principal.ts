// Who is calling, and the one place that decides what they may do. Provider keys act on
// every account; members, roles and operators plug in here (issue 3) without touching routes.
import { timingSafeEqual } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { apiKeys } from '../db/schema.js';
import { API_KEY_PREFIX, hashSecret } from './api-keys.js';

export type Principal = { kind: 'provider_key'; keyId: number; scope: string };

export type Action = 'read' | 'write';

export function mayAct(principal: Principal, _action: Action, _accountId: number | null): boolean {
  switch (principal.kind) {
    case 'provider_key':
      return true;
  }
}

const CACHE_TTL_MS = 5_000;
const LAST_USED_EVERY_MS = 60_000;
const MAX_CACHED = 10_000;

interface Cached {
  principal: Principal | null;
  checkedAt: number;
  lastUsedWrite: number;
}

/**
 * Resolves bearer secrets to principals, answering repeated calls from memory (keyed by the
 * secret itself, so a hit costs no hash) and re-checking the database every few seconds so a
 * revocation takes effect everywhere within CACHE_TTL_MS.
 */
export class ApiKeyAuthenticator {
  private cache = new Map<string, Cached>();

  constructor(private db: Db) {}

  async authenticate(authorization: string | undefined, now: Date): Promise<Principal | null> {
    const secret = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
    if (!secret || !secret.startsWith(API_KEY_PREFIX)) return null;
    const tick = Date.now();
    let entry = this.cache.get(secret);
    if (!entry || tick - entry.checkedAt > CACHE_TTL_MS) {
      entry = { principal: await this.lookup(secret), checkedAt: tick, lastUsedWrite: entry?.lastUsedWrite ?? 0 };
      if (this.cache.size >= MAX_CACHED) this.cache.clear();
      this.cache.set(secret, entry);
    }
    if (entry.principal && tick - entry.lastUsedWrite > LAST_USED_EVERY_MS) {
      entry.lastUsedWrite = tick;
      await this.db.update(apiKeys).set({ lastUsedAt: now }).where(eq(apiKeys.id, entry.principal.keyId));
    }
    return entry.principal;
  }

  private async lookup(secret: string): Promise<Principal | null> {
    const hash = hashSecret(secret);
    const [row] = await this.db.select().from(apiKeys).where(eq(apiKeys.keyHash, hash));
    const valid = row && row.revokedAt === null && timingSafeEqual(Buffer.from(row.keyHash), Buffer.from(hash));
    return valid ? { kind: 'provider_key', keyId: row.id, scope: `key:${row.id}` } : null;
  }

  forget(): void {
    this.cache.clear();
  }
}
