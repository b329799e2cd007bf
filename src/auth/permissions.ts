// Who may do what: the one written permission table (docs/permissions.md mirrors it).
// A route declares the permission it needs; a member holds the permissions of their role
// in that account; a personal access token holds at most the scopes it was given.
import type { AccountStatus, Role } from '../db/schema.js';

export const PERMISSIONS = [
  'account:read', //        the account's profile and status
  'account:write', //       name, billing notice addresses, low-balance thresholds
  'billing:read', //        balance, ledger, events
  'documents:read', //      invoices, credit notes, receipts, statements: owner and billing
  'billing:write', //       top-ups, saved cards, automatic top-up
  'credit:write', //        turning system credit on or off (seed 000: the owner's choice)
  'subscriptions:read', //  subscriptions, object counts, entitlements
  'subscriptions:write', // create, enable, disable, configure, change plan
  'plan:read', //           the plan and seats view: owner only (seed 002)
  'members:read', //        who is in the account
  'members:write', //       invitations, role changes, removal
  'security:write', //      account-wide security settings (require 2FA)
  'owners:write', //        grant or take the owner role, transfer ownership: owner only
  'account_type:write', //  upgrade a trial to a billing account: owner only
  'audit:read', //          the account's audit log: owner only
  'closure:write', //       close the account: owner only
] as const;

export type Permission = (typeof PERMISSIONS)[number];

const READS: Permission[] = ['account:read', 'billing:read', 'subscriptions:read'];

export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  owner: PERMISSIONS,
  admin: [...READS, 'account:write', 'subscriptions:write', 'members:read', 'members:write'],
  billing: [...READS, 'account:write', 'billing:write', 'documents:read'],
  member: [...READS, 'subscriptions:write'],
  viewer: READS,
};

/**
 * What changes something. A blocked (or closed) account is read only for its members: these
 * are refused there, whatever the role (see statusAllows); the provider's staff still act.
 */
export const WRITE_PERMISSIONS: ReadonlySet<Permission> = new Set(PERMISSIONS.filter((p) => p.endsWith(':write')));

/** May a member still use `permission` on an account in this status? Reads always; writes unless blocked or closed. */
export function statusAllows(status: AccountStatus, permission: Permission): boolean {
  return !WRITE_PERMISSIONS.has(permission) || (status !== 'blocked' && status !== 'closed');
}

export function roleAllows(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].includes(permission);
}

export function isPermission(value: string): value is Permission {
  return (PERMISSIONS as readonly string[]).includes(value);
}
