// When a password expires, and which heads-up is due: pure date arithmetic.
const DAY_MS = 86_400_000;

/** Days before expiry a heads-up goes out, most distant first. */
export const NOTICE_DAYS = [14, 7, 1] as const;

/** null when passwords never expire (max age 0) or the user has none. */
export function passwordExpiresAt(changedAt: Date | null, maxAgeDays: number): Date | null {
  if (changedAt === null || maxAgeDays <= 0) return null;
  return new Date(changedAt.getTime() + maxAgeDays * DAY_MS);
}

export function isPasswordExpired(changedAt: Date | null, maxAgeDays: number, now: Date): boolean {
  const expiresAt = passwordExpiresAt(changedAt, maxAgeDays);
  return expiresAt !== null && now.getTime() >= expiresAt.getTime();
}

/**
 * The most urgent heads-up due at `now` (14, 7 or 1), or null when none is (too early, or
 * already expired). A job that runs late sends only this one, not every notice it missed.
 */
export function dueNotice(expiresAt: Date, now: Date): number | null {
  const left = expiresAt.getTime() - now.getTime();
  if (left <= 0) return null;
  const due = NOTICE_DAYS.filter((days) => left <= days * DAY_MS);
  return due.length === 0 ? null : Math.min(...due);
}
