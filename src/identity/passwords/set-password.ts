// Every password change goes through here: the new hash, the time it was set (expiry counts
// from it) and a fresh start for the expiry heads-ups.
import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { users } from '../../db/schema.js';
import { abort } from '../../shared/result.js';
import { hashPassword, verifyPassword } from './hash.js';
import { passwordProblem } from './policy.js';

interface UserForPassword {
  id: number;
  email: string;
  name: string;
  passwordHash: string | null;
}

/** Checks the policy and that the password is really new, then stores it; aborts the transaction otherwise. */
export async function replacePassword(tx: Db, user: UserForPassword, newPassword: string, now: Date): Promise<void> {
  const weak = passwordProblem(newPassword, { email: user.email, name: user.name });
  if (weak) abort('weak_password', weak, { field: '/new_password' });
  if (user.passwordHash && (await verifyPassword(newPassword, user.passwordHash))) {
    abort('weak_password', 'choose a password different from the current one', { field: '/new_password' });
  }
  await storePasswordHash(tx, user.id, await hashPassword(newPassword), now);
}

export async function storePasswordHash(tx: Db, userId: number, passwordHash: string, now: Date): Promise<void> {
  await tx.update(users).set({ passwordHash, passwordChangedAt: now, passwordExpiryNoticeDays: null }).where(eq(users.id, userId));
}
