// The second factor at login (and to switch 2FA off): a current TOTP code, or an unused
// recovery code (which is then spent). Both checks are single conditional updates, so a
// code cannot be used twice even by two requests at once.
import { and, count, eq, isNull, lt, or } from 'drizzle-orm';
import { recordAudit } from '../../audit/record.js';
import type { Db } from '../../db/client.js';
import { recoveryCodes, users } from '../../db/schema.js';
import type { SecretBox } from '../../shared/secret-box.js';
import { TOTP_SECRET_COLUMN, hashRecoveryCode, totpStep } from './totp.js';

export interface SecondFactor {
  totp_code?: string;
  recovery_code?: string;
}

type UserRow = typeof users.$inferSelect;

/** True when the user has no 2FA, or when the given factor is valid now. Spends a recovery code. */
export async function verifySecondFactor(tx: Db, secrets: SecretBox, user: UserRow, factor: SecondFactor, now: Date): Promise<boolean> {
  if (user.totpEnabledAt === null || user.totpSecret === null) return true;
  if (factor.totp_code !== undefined && (await acceptTotp(tx, secrets, user, factor.totp_code, now)) !== null) return true;
  if (factor.recovery_code !== undefined && (await spendRecoveryCode(tx, user, factor.recovery_code, now))) return true;
  return false;
}

/**
 * Accepts a TOTP code valid at `now` for the user's (sealed) secret whose time-step is later
 * than the last one accepted (RFC 6238 section 5.2: a code is accepted once), recording its
 * step. Answers the step or null.
 */
export async function acceptTotp(tx: Db, secrets: SecretBox, user: Pick<UserRow, 'id' | 'totpSecret'>, code: string, now: Date): Promise<number | null> {
  if (user.totpSecret === null) return null;
  const step = totpStep(secrets.open(user.totpSecret, TOTP_SECRET_COLUMN), code, now);
  if (step === null) return null;
  const accepted = await tx
    .update(users)
    .set({ totpLastStep: step })
    .where(and(eq(users.id, user.id), or(isNull(users.totpLastStep), lt(users.totpLastStep, step))))
    .returning({ id: users.id });
  return accepted.length > 0 ? step : null;
}

async function spendRecoveryCode(tx: Db, user: UserRow, code: string, now: Date): Promise<boolean> {
  const hash = hashRecoveryCode(code);
  if (hash === null) return false;
  const spent = await tx
    .update(recoveryCodes)
    .set({ usedAt: now })
    .where(and(eq(recoveryCodes.userId, user.id), eq(recoveryCodes.codeHash, hash), isNull(recoveryCodes.usedAt)))
    .returning({ userId: recoveryCodes.userId });
  if (spent.length === 0) return false;
  const remaining = await remainingRecoveryCodes(tx, user.id);
  await recordAudit(tx, { kind: 'user', userId: user.id, operator: user.operator, via: 'session', scope: `user:${user.id}` }, {
    action: 'recovery_code.used',
    target: `user:${user.id}`,
    data: { remaining },
    at: now,
  });
  return true;
}

export async function remainingRecoveryCodes(db: Db, userId: number): Promise<number> {
  const [row] = await db.select({ n: count() }).from(recoveryCodes).where(and(eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt)));
  return row?.n ?? 0;
}
