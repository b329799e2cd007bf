// Saved cards (SPEC 8): what Stripe shows of a card (brand, last four digits, expiry) and its
// id, never card data. The first card saved becomes the default; removing the default makes
// the newest remaining card the default.
import { and, desc, eq, isNotNull } from 'drizzle-orm';
import type Stripe from 'stripe';
import type { Db } from '../db/client.js';
import { autoTopUps, paymentMethods } from '../db/schema.js';
import { type Result, abort, ok } from '../shared/result.js';
import { stripeFailure } from './stripe/client.js';

export type PaymentMethod = typeof paymentMethods.$inferSelect;

export interface SavedCard {
  providerRef: string;
  brand: string;
  last4: string;
  expMonth: number;
  expYear: number;
}

/** The card of a Stripe PaymentMethod, or null for anything else. Pure. */
export function cardOf(method: Stripe.PaymentMethod): SavedCard | null {
  if (method.type !== 'card' || !method.card) return null;
  return { providerRef: method.id, brand: method.card.brand, last4: method.card.last4, expMonth: method.card.exp_month, expYear: method.card.exp_year };
}

/**
 * Keeps a card for the account, in the caller's transaction. The first one becomes the default;
 * so does one saved while automatic top-up is paused, which it resumes: the customer saved a
 * card again so that it is charged instead.
 */
export async function saveCard(tx: Db, accountId: number, card: SavedCard, at: Date): Promise<void> {
  const [current] = await tx.select({ id: paymentMethods.id }).from(paymentMethods).where(and(eq(paymentMethods.accountId, accountId), eq(paymentMethods.isDefault, true))).for('update');
  const resumed = await tx
    .update(autoTopUps)
    .set({ pausedReason: null, failures: 0, retryAt: null, updatedAt: at })
    .where(and(eq(autoTopUps.accountId, accountId), isNotNull(autoTopUps.pausedReason)))
    .returning({ accountId: autoTopUps.accountId });
  const makeDefault = !current || resumed.length > 0;
  if (current && makeDefault) await tx.update(paymentMethods).set({ isDefault: false }).where(eq(paymentMethods.id, current.id));
  await tx
    .insert(paymentMethods)
    .values({ accountId, provider: 'stripe', ...card, isDefault: makeDefault, createdAt: at })
    .onConflictDoUpdate({ target: [paymentMethods.accountId, paymentMethods.provider, paymentMethods.providerRef], set: { expMonth: card.expMonth, expYear: card.expYear, ...(makeDefault ? { isDefault: true } : {}) } });
}

export async function listPaymentMethods(db: Db, accountId: number): Promise<PaymentMethod[]> {
  return db.select().from(paymentMethods).where(eq(paymentMethods.accountId, accountId)).orderBy(paymentMethods.id);
}

/** The card automatic top-up charges, if any. */
export async function defaultPaymentMethod(db: Db, accountId: number): Promise<PaymentMethod | undefined> {
  const [method] = await db.select().from(paymentMethods).where(and(eq(paymentMethods.accountId, accountId), eq(paymentMethods.isDefault, true)));
  return method;
}

async function methodOf(tx: Db, accountId: number, methodId: number): Promise<PaymentMethod> {
  const [method] = await tx.select().from(paymentMethods).where(and(eq(paymentMethods.accountId, accountId), eq(paymentMethods.id, methodId))).for('update');
  return method ?? abort('not_found', `account ${accountId} has no payment method ${methodId}`);
}

export async function setDefaultPaymentMethod(tx: Db, accountId: number, methodId: number): Promise<PaymentMethod> {
  const method = await methodOf(tx, accountId, methodId);
  await tx.update(paymentMethods).set({ isDefault: false }).where(and(eq(paymentMethods.accountId, accountId), eq(paymentMethods.isDefault, true)));
  const [updated] = await tx.update(paymentMethods).set({ isDefault: true }).where(eq(paymentMethods.id, method.id)).returning();
  return updated!;
}

/** Detaches the card at Stripe, then forgets it; a card Stripe no longer knows is forgotten too. */
export async function removePaymentMethod(tx: Db, stripe: Stripe, accountId: number, methodId: number): Promise<Result<PaymentMethod>> {
  const method = await methodOf(tx, accountId, methodId);
  try {
    await stripe.paymentMethods.detach(method.providerRef);
  } catch (error) {
    const gone = (error as { code?: string; statusCode?: number }).code === 'resource_missing' || /not attached/i.test((error as Error).message ?? '');
    if (!gone) return stripeFailure(error, 'remove the card');
  }
  await tx.delete(paymentMethods).where(eq(paymentMethods.id, method.id));
  if (method.isDefault) {
    const [newest] = await tx.select({ id: paymentMethods.id }).from(paymentMethods).where(eq(paymentMethods.accountId, accountId)).orderBy(desc(paymentMethods.id)).limit(1);
    if (newest) await tx.update(paymentMethods).set({ isDefault: true }).where(eq(paymentMethods.id, newest.id));
  }
  return ok(method);
}

export function paymentMethodJson(method: PaymentMethod) {
  return { id: method.id, type: 'card' as const, brand: method.brand, last4: method.last4, exp_month: method.expMonth, exp_year: method.expYear, default: method.isDefault, created_at: method.createdAt.toISOString() };
}
