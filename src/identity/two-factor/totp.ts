// TOTP (RFC 6238) with otpauth: 6 digits, 30-second steps, SHA-1 (what every authenticator
// app reads from an otpauth:// URI), a code accepted one step either side for clock drift.
// Pure: the time is passed in.
import { createHash, randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';

export const TOTP_PERIOD_SECONDS = 30;
/** Where a user's TOTP secret is stored, sealed (src/shared/secret-box.ts). */
export const TOTP_SECRET_COLUMN = 'users.totp_secret';
const DIGITS = 6;
const WINDOW = 1;
const ISSUER = 'Kassa';

export const RECOVERY_CODE_COUNT = 10;

/** A new shared secret (160 bits, as RFC 4226 recommends), base32. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

function totp(secret: string, label = ''): TOTP {
  return new TOTP({ issuer: ISSUER, label, algorithm: 'SHA1', digits: DIGITS, period: TOTP_PERIOD_SECONDS, secret: Secret.fromBase32(secret) });
}

export function otpauthUri(secret: string, email: string): string {
  return totp(secret, email).toString();
}

export function isTotpCode(code: string): boolean {
  return /^\d{6}$/.test(code);
}

/**
 * The time-step a code belongs to when it is valid at `now` (±1 step), else null. Callers
 * then accept only steps after the last accepted one, so no code works twice.
 */
export function totpStep(secret: string, code: string, now: Date): number | null {
  const token = code.replace(/\s/g, '');
  if (!isTotpCode(token)) return null;
  const delta = totp(secret).validate({ token, timestamp: now.getTime(), window: WINDOW });
  if (delta === null) return null;
  return Math.floor(now.getTime() / 1000 / TOTP_PERIOD_SECONDS) + delta;
}

/** The code for `at` (tests and the CLI). */
export function totpCode(secret: string, at: Date): string {
  return totp(secret).generate({ timestamp: at.getTime() });
}

// Recovery codes: 16 characters of a 32-letter alphabet (80 bits), shown as xxxx-xxxx-xxxx-xxxx.
// High-entropy, so SHA-256 is enough to store them; case, spaces and dashes are ignored.
// 32 letters and digits without the look-alikes i, l, o and 1.
const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz234567890';

export function newRecoveryCode(): string {
  const bytes = randomBytes(16);
  let code = '';
  for (let i = 0; i < 16; i++) code += RECOVERY_ALPHABET[bytes[i]! & 31];
  return code.match(/.{4}/g)!.join('-');
}

export function normaliseRecoveryCode(code: string): string | null {
  const plain = code.toLowerCase().replace(/[\s-]/g, '');
  return /^[a-z0-9]{16}$/.test(plain) ? plain : null;
}

export function hashRecoveryCode(code: string): string | null {
  const plain = normaliseRecoveryCode(code);
  return plain === null ? null : createHash('sha256').update(`kassa-recovery:${plain}`).digest('hex');
}
