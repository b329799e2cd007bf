// Signing in: the password (an unknown address costs the same scrypt work and gets the same
// answer as a wrong password), then the second factor, then the password's age. Success opens
// a session; every failure is audited, and a failure's audit entry commits on its own. Wrong
// passwords slow further attempts on the account down (login-slowdown.ts), except from a
// browser that signed in before (trusted-device.ts), whose new device cookie a success answers.
import { eq } from 'drizzle-orm';
import { recordAudit } from '../../audit/record.js';
import type { Kassa } from '../../context.js';
import type { Db } from '../../db/client.js';
import { users } from '../../db/schema.js';
import { type Result, fail, ok } from '../../shared/result.js';
import { isPasswordExpired } from '../passwords/expiry.js';
import { hashPassword, needsRehash, verifyAgainstDummy, verifyPassword } from '../passwords/hash.js';
import { normalizeEmail } from '../signup/email.js';
import { issueLink } from '../signup/one-time-links.js';
import { recordAttempt, tooManyAttempts } from '../two-factor/attempts.js';
import { type SecondFactor, verifySecondFactor } from '../two-factor/verify.js';
import { type Client, type NewSession, type User, createSession, userActor } from './create-session.js';
import { clearWrongPasswords, recordWrongPassword, slowedDown } from './login-slowdown.js';
import { identitySettings } from './settings.js';
import { deviceToken, trustedDevice } from './trusted-device.js';

export const CHANGE_TOKEN_VALID_MS = 15 * 60_000;

export interface LoginInput extends SecondFactor {
  email: string;
  password: string;
  /** The browser's `kassa_device` cookie, if it sent one. */
  device?: string;
}

export interface SignedIn {
  user: User;
  session: NewSession;
  /** The browser's new device cookie. */
  device?: string;
}

const badCredentials = () => fail('invalid_credentials', 'the e-mail address or the password is not right');

export async function login(kassa: Kassa, input: LoginInput, client: Client): Promise<Result<SignedIn>> {
  const now = kassa.clock.now();
  const email = normalizeEmail(input.email);
  const [user] = await kassa.db.select().from(users).where(eq(users.email, email));
  const device = trustedDevice(input.device, user);
  const counted = device ? { device } : { email };
  const slowed = await slowedDown(kassa, counted, now);
  if (slowed) {
    await auditFailure(kassa, user, email, 'slowed_down', client, now);
    return { ok: false, failure: slowed };
  }
  const passwordOk = user?.passwordHash ? await verifyPassword(input.password, user.passwordHash) : await verifyAgainstDummy(input.password);
  if (!user || !passwordOk) {
    await recordWrongPassword(kassa, counted, now);
    await auditFailure(kassa, user, email, user ? 'password' : 'unknown_email', client, now);
    return badCredentials();
  }
  await clearWrongPasswords(kassa, counted);
  if (user.status !== 'active') return refuse(kassa, user, 'disabled', fail('forbidden', 'this user is disabled; ask the provider'), client, now);
  if (user.emailVerifiedAt === null) {
    return refuse(kassa, user, 'email_not_verified', fail('email_not_verified', 'confirm your e-mail address first: follow the link we mailed you, or ask for a new one'), client, now);
  }
  const rehash = needsRehash(user.passwordHash!) ? await hashPassword(input.password) : null;

  return kassa.db.transaction(async (t): Promise<Result<SignedIn>> => {
    const tx = t as unknown as Db;
    const factor = { totp_code: input.totp_code, recovery_code: input.recovery_code };
    const given = Boolean(input.totp_code || input.recovery_code);
    // Six-digit codes guessed here count with those guessed on the 2FA routes: one limit per
    // person. A recovery code is too long to guess and never limited, so someone who knows the
    // password can hold back the authenticator's codes for a while, never lock the owner out.
    const guessable = Boolean(input.totp_code) && !input.recovery_code;
    const guessedTooOften = guessable ? await tooManyAttempts(tx, user.id, now) : undefined;
    if (guessedTooOften) return { ok: false, failure: guessedTooOften };
    const secondFactorOk = await verifySecondFactor(tx, kassa.secrets, user, factor, now);
    if (guessable && user.totpEnabledAt !== null) await recordAttempt(tx, user.id, secondFactorOk, now);
    if (!secondFactorOk) {
      await audit(tx, user, 'login.failed', { reason: given ? 'second_factor' : 'second_factor_missing' }, client, now);
      return given ? badCredentials() : fail('second_factor_required', 'send the current code of your authenticator app as totp_code, or a recovery code');
    }
    if (rehash) await tx.update(users).set({ passwordHash: rehash }).where(eq(users.id, user.id));
    if (isPasswordExpired(user.passwordChangedAt, identitySettings(kassa).passwordMaxAgeDays, now)) {
      const changeToken = await issueLink(tx, { purpose: 'change_expired_password', email: user.email, userId: user.id, at: now, validForMs: CHANGE_TOKEN_VALID_MS });
      await audit(tx, user, 'login.password_expired', {}, client, now);
      return fail('password_expired', 'your password has expired: choose a new one with POST /v1/auth/password/change-expired', {
        extra: { change_token: changeToken, change_token_expires_at: new Date(now.getTime() + CHANGE_TOKEN_VALID_MS).toISOString() },
      });
    }
    const session = await createSession(tx, user, now, client);
    await recordAudit(tx, userActor(user, session.id), { action: 'login.succeeded', target: `user:${user.id}`, data: { session_id: session.id }, ip: client.ip, at: now });
    return ok({ user, session, device: deviceToken({ id: user.id, passwordHash: rehash ?? user.passwordHash }) });
  });
}

/** A failed attempt's audit entry; an unknown address is recorded as typed (cut to 254). */
function auditFailure(kassa: Kassa, user: User | undefined, email: string, reason: string, client: Client, now: Date) {
  return recordAudit(kassa.db, user ? userActor(user) : { kind: 'anonymous' }, {
    action: 'login.failed',
    target: user ? `user:${user.id}` : null,
    data: user ? { reason } : { reason, email: email.slice(0, 254) },
    ip: client.ip,
    at: now,
  });
}

async function refuse<T>(kassa: Kassa, user: User, reason: string, failure: Result<T>, client: Client, now: Date): Promise<Result<T>> {
  await auditFailure(kassa, user, user.email, reason, client, now);
  return failure;
}

function audit(tx: Db, user: User, action: string, data: Record<string, unknown>, client: Client, now: Date) {
  return recordAudit(tx, userActor(user), { action, target: `user:${user.id}`, data, ip: client.ip, at: now });
}
