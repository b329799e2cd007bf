// Operators are the provider's staff (SPEC 1): people who act across accounts through the
// same authorize rule as provider keys. Created from the command line only, with a random
// initial password shown once; it counts as expired, so the first login must change it.
import { randomBytes } from 'node:crypto';
import { asc, eq } from 'drizzle-orm';
import { inTransaction } from '../../accounts/transaction.js';
import { recordAudit } from '../../audit/record.js';
import type { Db } from '../../db/client.js';
import { users } from '../../db/schema.js';
import { type Result, abort, fail } from '../../shared/result.js';
import { hashPassword } from '../passwords/hash.js';

export interface NewOperator {
  id: number;
  email: string;
  name: string;
  /** Shown once; stored only as its scrypt hash. */
  initialPassword: string;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export async function createOperator(db: Db, input: { email: string; name: string }, at: Date): Promise<Result<NewOperator>> {
  const email = input.email.trim().toLowerCase();
  if (!EMAIL.test(email)) return fail('validation_failed', `${input.email} is not an e-mail address`, { field: '/email' });
  const initialPassword = randomBytes(18).toString('base64url');
  const passwordHash = await hashPassword(initialPassword);
  return inTransaction(db, async (tx) => {
    const [created] = await tx
      .insert(users)
      // The epoch as the last change: the password is expired from the start (forced change at first login).
      .values({ email, name: input.name.trim(), passwordHash, passwordChangedAt: new Date(0), emailVerifiedAt: at, operator: true, createdAt: at })
      .onConflictDoNothing({ target: users.email })
      .returning();
    if (!created) abort('already_exists', `a user with the address ${email} exists already`, { field: '/email' });
    await recordAudit(tx, { kind: 'system' }, { action: 'operator.created', target: `user:${created.id}`, data: { email }, at });
    return { id: created.id, email, name: created.name, initialPassword };
  });
}

/** Takes the operator flag away (the user stays, with no account access of their own). */
export async function revokeOperator(db: Db, email: string, at: Date): Promise<Result<{ id: number }>> {
  return inTransaction(db, async (tx) => {
    const [user] = await tx.update(users).set({ operator: false }).where(eq(users.email, email.trim().toLowerCase())).returning({ id: users.id, operator: users.operator });
    if (!user) abort('not_found', `no user ${email}`);
    await recordAudit(tx, { kind: 'system' }, { action: 'operator.revoked', target: `user:${user.id}`, data: { email }, at });
    return { id: user.id };
  });
}

export async function listOperators(db: Db) {
  return db.select({ id: users.id, email: users.email, name: users.name, status: users.status, createdAt: users.createdAt }).from(users).where(eq(users.operator, true)).orderBy(asc(users.id));
}
