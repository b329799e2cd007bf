// Sign-up: a user, a trial account they own (pending verification) and a verification mail,
// in one transaction. Every outcome answers the same, so the form does not tell who has an
// account: a fresh address, an unverified one (the link is sent again) and a verified one (a
// "you already have an account" mail) all get 202 and one mail.
import { and, desc, eq } from 'drizzle-orm';
import { recordAudit } from '../../audit/record.js';
import type { Kassa } from '../../context.js';
import type { Db } from '../../db/client.js';
import { accounts, memberships, users } from '../../db/schema.js';
import { isCurrency } from '../../money/money.js';
import { queueMail } from '../../notifications/queue-mail.js';
import { writeOutbox } from '../../outbox/write.js';
import { type Result, fail, ok } from '../../shared/result.js';
import { hashPassword } from '../passwords/hash.js';
import { passwordProblem } from '../passwords/policy.js';
import { normalizeEmail } from './email.js';
import { mailedTooOften, publicLink } from './links.js';
import { HOUR_MS, issueLink } from './one-time-links.js';

export const VERIFY_LINK_VALID_MS = 24 * HOUR_MS;

export interface SignUpInput {
  email: string;
  password: string;
  name: string;
  account_name: string;
  currency: string;
}

/**
 * What a verification link applies when clicked: the choices of the sign-up that mailed it.
 * Someone who signs up first with another person's address cannot keep the account: the
 * owner's own sign-up mails a link that sets the owner's password.
 */
export interface SignUpChoices {
  password_hash: string;
  name: string;
  account_name: string;
  currency: string;
}

export async function signUp(kassa: Kassa, input: SignUpInput, ip: string | null): Promise<Result<void>> {
  const email = normalizeEmail(input.email);
  const weak = passwordProblem(input.password, { email, name: input.name });
  if (weak) return fail('weak_password', weak, { field: '/password' });
  if (!isCurrency(input.currency)) return fail('unknown_currency', `${input.currency} is not an ISO 4217 currency code`, { field: '/currency' });
  // Hashed whatever happens next, so every path takes the same time.
  const choices: SignUpChoices = { password_hash: await hashPassword(input.password), name: input.name, account_name: input.account_name, currency: input.currency };
  const now = kassa.clock.now();
  await kassa.db.transaction(async (t) => {
    const tx = t as unknown as Db;
    const [created] = await tx
      .insert(users)
      .values({ email, name: input.name, passwordHash: choices.password_hash, passwordChangedAt: now, createdAt: now })
      .onConflictDoNothing({ target: users.email })
      .returning();
    if (created) return openTrialAccount(kassa, tx, created, choices, ip, now);
    const [existing] = await tx.select().from(users).where(eq(users.email, email)).for('update');
    if (!existing || existing.status !== 'active') return;
    if (existing.emailVerifiedAt === null) return sendVerification(kassa, tx, existing, choices, 'user.signup_repeated', ip, now);
    if (await mailedTooOften(tx, 'verify_email', existing.id, now)) return;
    await queueMail(tx, { to: email, template: 'account_exists', data: { link: publicLink(kassa, '/forgot-password') }, userId: existing.id, at: now });
    await recordAudit(tx, { kind: 'anonymous' }, { action: 'user.signup_existing', target: `user:${existing.id}`, ip, at: now });
  });
  return ok(undefined);
}

type User = typeof users.$inferSelect;

async function openTrialAccount(kassa: Kassa, tx: Db, user: User, choices: SignUpChoices, ip: string | null, now: Date) {
  const [account] = await tx
    .insert(accounts)
    .values({ name: choices.account_name, currency: choices.currency, type: 'trial', status: 'pending_verification', createdAt: now })
    .returning();
  await tx.insert(memberships).values({ accountId: account!.id, userId: user.id, role: 'owner', createdAt: now });
  await writeOutbox(tx, account!.id, 'account.created', { account_id: account!.id, name: account!.name, currency: account!.currency, type: account!.type }, now);
  await sendVerification(kassa, tx, user, choices, 'user.signed_up', ip, now, account!.id);
}

/** The account a pending user signed up with: the one they own that still awaits verification. */
async function pendingAccountOf(tx: Db, userId: number): Promise<number | null> {
  const [row] = await tx
    .select({ id: accounts.id })
    .from(memberships)
    .innerJoin(accounts, eq(accounts.id, memberships.accountId))
    .where(and(eq(memberships.userId, userId), eq(memberships.role, 'owner'), eq(accounts.status, 'pending_verification')))
    .orderBy(desc(accounts.id))
    .limit(1);
  return row?.id ?? null;
}

export async function sendVerification(
  kassa: Kassa,
  tx: Db,
  user: User,
  choices: SignUpChoices | null,
  action: string,
  ip: string | null,
  now: Date,
  accountId?: number,
): Promise<void> {
  if (await mailedTooOften(tx, 'verify_email', user.id, now)) return;
  const pending = accountId ?? (await pendingAccountOf(tx, user.id));
  const token = await issueLink(tx, {
    purpose: 'verify_email',
    email: user.email,
    userId: user.id,
    accountId: pending,
    data: choices ? { ...choices } : {},
    at: now,
    validForMs: VERIFY_LINK_VALID_MS,
  });
  await queueMail(tx, { to: user.email, template: 'verify_email', data: { link: publicLink(kassa, '/verify', token) }, userId: user.id, accountId: pending ?? undefined, at: now });
  await recordAudit(tx, { kind: 'anonymous' }, { action, accountId: pending, target: `user:${user.id}`, ip, at: now });
}
