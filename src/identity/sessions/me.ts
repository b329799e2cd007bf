// Who am I: the signed-in person, their password's expiry and their accounts with the role
// and what it allows in each.
import { asc, eq } from 'drizzle-orm';
import type { Kassa } from '../../context.js';
import { accounts, memberships, users } from '../../db/schema.js';
import { passwordExpiresAt } from '../passwords/expiry.js';
import { ROLE_PERMISSIONS } from '../../auth/permissions.js';
import type { User } from './create-session.js';
import { identitySettings } from './settings.js';

export function userJson(kassa: Kassa, user: User) {
  const expires = passwordExpiresAt(user.passwordChangedAt, identitySettings(kassa).passwordMaxAgeDays);
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    operator: user.operator,
    email_verified_at: user.emailVerifiedAt?.toISOString() ?? null,
    two_factor_enabled: user.totpEnabledAt !== null,
    password_changed_at: user.passwordChangedAt?.toISOString() ?? null,
    password_expires_at: expires?.toISOString() ?? null,
  };
}

export async function describeMe(kassa: Kassa, userId: number) {
  const [user] = await kassa.db.select().from(users).where(eq(users.id, userId));
  if (!user) return null;
  const rows = await kassa.db
    .select({ accountId: accounts.id, name: accounts.name, type: accounts.type, status: accounts.status, role: memberships.role })
    .from(memberships)
    .innerJoin(accounts, eq(accounts.id, memberships.accountId))
    .where(eq(memberships.userId, userId))
    .orderBy(asc(accounts.id));
  return {
    user: userJson(kassa, user),
    memberships: rows.map((m) => ({ account_id: m.accountId, account_name: m.name, account_type: m.type, account_status: m.status, role: m.role, permissions: [...ROLE_PERMISSIONS[m.role]] })),
  };
}
