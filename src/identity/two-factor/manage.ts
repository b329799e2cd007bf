// Two-factor authentication of a user: enrol (a pending secret), confirm with a first code
// (2FA on, ten recovery codes shown once), regenerate the recovery codes, disable with a fresh
// code; and the account-wide requirement an owner sets. Each change is one transaction with
// its audit entry.
import { and, count, eq, isNull } from 'drizzle-orm';
import { inTransaction } from '../../accounts/transaction.js';
import { type Actor, recordAudit } from '../../audit/record.js';
import type { Principal } from '../../auth/principal.js';
import type { Db } from '../../db/client.js';
import { accounts, memberships, recoveryCodes, users } from '../../db/schema.js';
import { type Result, abort } from '../../shared/result.js';
import type { SecretBox } from '../../shared/secret-box.js';
import { RECOVERY_CODE_COUNT, TOTP_SECRET_COLUMN, hashRecoveryCode, isTotpCode, newRecoveryCode, newTotpSecret, otpauthUri } from './totp.js';
import { acceptTotp, remainingRecoveryCodes, verifySecondFactor } from './verify.js';

type UserRow = typeof users.$inferSelect;
type UserActor = Extract<Principal, { kind: 'user' }>;

async function lockUser(tx: Db, userId: number): Promise<UserRow> {
  const [user] = await tx.select().from(users).where(eq(users.id, userId)).for('update');
  if (!user) abort('not_found', 'no such user');
  return user;
}

const wrongCode = () => abort('invalid_code', 'the code is not valid (or was already used)', { field: '/code' });

export interface TwoFactorStatus {
  enabled: boolean;
  enabled_at: string | null;
  pending: boolean;
  recovery_codes_remaining: number;
}

export async function twoFactorStatus(db: Db, userId: number): Promise<TwoFactorStatus> {
  const [user] = await db.select({ secret: users.totpSecret, enabledAt: users.totpEnabledAt }).from(users).where(eq(users.id, userId));
  const enabled = user?.enabledAt != null;
  return {
    enabled,
    enabled_at: user?.enabledAt?.toISOString() ?? null,
    pending: !enabled && user?.secret != null,
    recovery_codes_remaining: enabled ? await remainingRecoveryCodes(db, userId) : 0,
  };
}

/** A new pending secret (replacing an unconfirmed one); refused while 2FA is on. */
export async function startEnrolment(db: Db, secrets: SecretBox, actor: UserActor, now: Date, ip: string | null): Promise<Result<{ secret: string; otpauth_uri: string }>> {
  return inTransaction(db, async (tx) => {
    const user = await lockUser(tx, actor.userId);
    if (user.totpEnabledAt !== null) abort('invalid_state', 'two-factor authentication is already on: disable it first to enrol a new authenticator');
    const secret = newTotpSecret();
    await tx.update(users).set({ totpSecret: secrets.seal(secret, TOTP_SECRET_COLUMN), totpLastStep: null }).where(eq(users.id, user.id));
    await recordAudit(tx, actor, { action: 'two_factor.enrolment_started', target: `user:${user.id}`, ip, at: now });
    return { secret, otpauth_uri: otpauthUri(secret, user.email) };
  });
}

async function replaceRecoveryCodes(tx: Db, userId: number): Promise<string[]> {
  await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  await tx.insert(recoveryCodes).values(codes.map((code) => ({ userId, codeHash: hashRecoveryCode(code)! })));
  return codes;
}

/** The first code from the authenticator turns 2FA on and answers the recovery codes (shown once). */
export async function confirmEnrolment(db: Db, secrets: SecretBox, actor: UserActor, code: string, now: Date, ip: string | null): Promise<Result<{ enabled_at: string; recovery_codes: string[] }>> {
  return inTransaction(db, async (tx) => {
    const user = await lockUser(tx, actor.userId);
    if (user.totpEnabledAt !== null) abort('invalid_state', 'two-factor authentication is already on');
    if (user.totpSecret === null) abort('invalid_state', 'nothing to confirm: enrol first (POST /v1/me/two-factor/enrol)');
    if ((await acceptTotp(tx, secrets, user, code, now)) === null) wrongCode();
    await tx.update(users).set({ totpEnabledAt: now }).where(eq(users.id, user.id));
    const codes = await replaceRecoveryCodes(tx, user.id);
    await recordAudit(tx, actor, { action: 'two_factor.enabled', target: `user:${user.id}`, ip, at: now });
    return { enabled_at: now.toISOString(), recovery_codes: codes };
  });
}

/** Ten new recovery codes for a fresh TOTP code; the old ones stop working. */
export async function regenerateRecoveryCodes(db: Db, secrets: SecretBox, actor: UserActor, code: string, now: Date, ip: string | null): Promise<Result<{ recovery_codes: string[] }>> {
  return inTransaction(db, async (tx) => {
    const user = await lockUser(tx, actor.userId);
    if (user.totpEnabledAt === null || user.totpSecret === null) abort('invalid_state', 'two-factor authentication is off');
    if ((await acceptTotp(tx, secrets, user, code, now)) === null) wrongCode();
    const codes = await replaceRecoveryCodes(tx, user.id);
    await recordAudit(tx, actor, { action: 'two_factor.recovery_codes_regenerated', target: `user:${user.id}`, ip, at: now });
    return { recovery_codes: codes };
  });
}

/** Off, with a fresh TOTP code or an unused recovery code (which is spent). */
export async function disableTwoFactor(db: Db, secrets: SecretBox, actor: UserActor, code: string, now: Date, ip: string | null): Promise<Result<{ accounts_requiring_two_factor: number[] }>> {
  return inTransaction(db, async (tx) => {
    const user = await lockUser(tx, actor.userId);
    if (user.totpEnabledAt === null) abort('invalid_state', 'two-factor authentication is already off');
    const byTotp = isTotpCode(code.replace(/\s/g, ''));
    if (!(await verifySecondFactor(tx, secrets, user, byTotp ? { totp_code: code } : { recovery_code: code }, now))) wrongCode();
    await tx.update(users).set({ totpSecret: null, totpEnabledAt: null, totpLastStep: null }).where(eq(users.id, user.id));
    await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, user.id));
    await recordAudit(tx, actor, { action: 'two_factor.disabled', target: `user:${user.id}`, data: { with: byTotp ? 'totp' : 'recovery_code' }, ip, at: now });
    // Those accounts now answer two_factor_required until 2FA is on again: say so.
    const requiring = await tx
      .select({ id: accounts.id })
      .from(memberships)
      .innerJoin(accounts, eq(accounts.id, memberships.accountId))
      .where(and(eq(memberships.userId, user.id), eq(accounts.requireTwoFactor, true)))
      .orderBy(accounts.id);
    return { accounts_requiring_two_factor: requiring.map((a) => a.id) };
  });
}

export interface AccountSecurity {
  account_id: number;
  require_two_factor: boolean;
  members_without_two_factor: number;
}

async function membersWithoutTwoFactor(db: Db, accountId: number): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.accountId, accountId), isNull(users.totpEnabledAt)));
  return row?.n ?? 0;
}

export async function readAccountSecurity(db: Db, accountId: number): Promise<Result<AccountSecurity>> {
  return inTransaction(db, async (tx) => {
    const [account] = await tx.select({ require: accounts.requireTwoFactor }).from(accounts).where(eq(accounts.id, accountId));
    if (!account) abort('not_found', `no account ${accountId}`);
    return { account_id: accountId, require_two_factor: account.require, members_without_two_factor: await membersWithoutTwoFactor(tx, accountId) };
  });
}

/**
 * An owner requires 2FA of every member (or stops requiring it). A person turning it on must
 * have 2FA themselves, or they would lock themselves out of the account they are securing.
 */
export async function setRequireTwoFactor(db: Db, actor: Actor, accountId: number, require: boolean, now: Date, ip: string | null): Promise<Result<AccountSecurity>> {
  return inTransaction(db, async (tx) => {
    const [account] = await tx.select({ require: accounts.requireTwoFactor }).from(accounts).where(eq(accounts.id, accountId)).for('update');
    if (!account) abort('not_found', `no account ${accountId}`);
    if (require && actor.kind === 'user' && !actor.operator) {
      const [self] = await tx.select({ enabledAt: users.totpEnabledAt }).from(users).where(eq(users.id, actor.userId));
      if (self?.enabledAt == null) abort('invalid_state', 'turn on two-factor authentication for yourself first (POST /v1/me/two-factor/enrol)', { field: '/require_two_factor' });
    }
    if (account.require !== require) {
      await tx.update(accounts).set({ requireTwoFactor: require }).where(eq(accounts.id, accountId));
      await recordAudit(tx, actor, {
        action: 'account.require_two_factor_changed',
        accountId,
        target: `account:${accountId}`,
        data: { require_two_factor: require, previous: account.require },
        ip,
        at: now,
      });
    }
    return { account_id: accountId, require_two_factor: require, members_without_two_factor: await membersWithoutTwoFactor(tx, accountId) };
  });
}
