// The rules of membership, as plain data: which roles exist, when a change needs an owner's
// say, and that an account always keeps at least one owner. No database, no clock.
import type { Role } from '../db/schema.js';
import type { Failure } from '../shared/result.js';

export const ROLES = ['owner', 'admin', 'billing', 'member', 'viewer'] as const satisfies readonly Role[];

export const INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export interface MemberRole {
  userId: number;
  role: Role;
}

/**
 * Does this change touch the owner role (grant it, take it away)? Only owners (and the
 * provider's staff) may make it: the 'owners:write' permission.
 */
export function touchesOwner(from: Role | null, to: Role | null): boolean {
  return from === 'owner' || to === 'owner';
}

/**
 * Refuses a change that would leave the account without an owner: `to` null removes the
 * member. Answers undefined when the account keeps an owner.
 */
export function lastOwnerRefusal(members: readonly MemberRole[], userId: number, to: Role | null): Failure | undefined {
  const ownersAfter = members.filter((m) => (m.userId === userId ? to === 'owner' : m.role === 'owner')).length;
  if (ownersAfter > 0) return undefined;
  return {
    code: 'last_owner',
    detail: to === null ? 'the last owner cannot be removed: make someone else owner first' : 'the last owner cannot be demoted: make someone else owner first',
    extra: { user_id: userId },
  };
}

/** Normalised for comparison and storage: addresses are unique case-insensitively. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}
