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

/** Resolves bearer secrets to principals, answering repeated calls from memory. */
export class ApiKeyAuthenticator {
  private cache = new Map<string, { principal: Principal | null; checkedAt: number; lastUsedWrite: number }>();

  constructor(private db: Db) {}

  async authenticate(authorization: string | undefined, now: Date): Promise<Principal | null> {
    const secret = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
    if (!secret || !secret.startsWith(API_KEY_PREFIX)) return null;
    const hash = hashSecret(secret);
    const tick = Date.now();
    let entry = this.cache.get(hash);
    if (!entry || tick - entry.checkedAt > CACHE_TTL_MS) {
      const [row] = await this.db.select().from(apiKeys).where(eq(apiKeys.keyHash, hash));
      const valid = row && row.revokedAt === null && timingSafeEqual(Buffer.from(row.keyHash), Buffer.from(hash));
      entry = {
        principal: valid ? { kind: 'provider_key', keyId: row.id, scope: `key:${row.id}` } : null,
        checkedAt: tick,
        lastUsedWrite: entry?.lastUsedWrite ?? 0,
      };
      this.cache.set(hash, entry);
    }
    if (entry.principal && tick - entry.lastUsedWrite > LAST_USED_EVERY_MS) {
      entry.lastUsedWrite = tick;
      await this.db.update(apiKeys).set({ lastUsedAt: now }).where(eq(apiKeys.id, entry.principal.keyId));
    }
    return entry.principal;
  }

  forget(): void {
    this.cache.clear();
  }
}
