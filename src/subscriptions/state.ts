// What lifecycle operations read before deciding: the subscription with its account locked,
// its plan version, whether a period is paid, and what quotas see (object counts, the other
// active subscriptions). Plain queries; every decision is made in ./decisions.ts.
import { and, asc, eq, ne } from 'drizzle-orm';
import Value from 'typebox/value';
import { type AccountRow, lockAccount } from '../accounts/lock.js';
import { type Period, periodContaining } from '../time/periods.js';
import { type PlanDefinition, PlanDefinitionSchema } from '../catalog/plan-definition.js';
import { type EffectiveVersion, versionById } from '../catalog/versions.js';
import type { Db } from '../db/client.js';
import { ledgerPostings, objectCounts, planVersions, subscriptions } from '../db/schema.js';
import { type Failure, type Result, fail, ok } from '../shared/result.js';
import type { Counts, LimitSource } from './quotas.js';

export type SubscriptionRow = typeof subscriptions.$inferSelect;

/** Stored definitions may predate a default the schema added: fill them in before pricing. */
export function normalisedDefinition(raw: unknown): PlanDefinition {
  return Value.Default(PlanDefinitionSchema, structuredClone(raw)) as PlanDefinition;
}

export async function findSubscription(db: Db, subscriptionId: number): Promise<SubscriptionRow | undefined> {
  const [row] = await db.select().from(subscriptions).where(eq(subscriptions.id, subscriptionId));
  return row;
}

export interface Locked {
  account: AccountRow;
  subscription: SubscriptionRow;
  version: EffectiveVersion;
}

export const noSubscription = (id: number): Failure => ({ code: 'not_found', detail: `no subscription ${id}` });

/**
 * Locks the subscription's account, then reads the subscription again: every change to a
 * subscription happens under its account's lock, so what is read here stays true until commit.
 */
export async function lockSubscription(tx: Db, subscriptionId: number): Promise<Result<Locked>> {
  const first = await findSubscription(tx, subscriptionId);
  if (!first) return fail('not_found', noSubscription(subscriptionId).detail);
  const account = await lockAccount(tx, first.accountId);
  const subscription = await findSubscription(tx, subscriptionId);
  const version = subscription && (await versionById(tx, subscription.planVersionId));
  if (!account || !subscription || !version) return fail('not_found', noSubscription(subscriptionId).detail);
  if (subscription.status === 'cancelled') return fail('invalid_state', `subscription ${subscriptionId} is cancelled`);
  return ok({ account, subscription, version: { ...version, definition: normalisedDefinition(version.definition) } });
}

export function currentPeriod(subscription: Pick<SubscriptionRow, 'cadence' | 'anchorDay'>, at: Date): Period {
  return periodContaining(subscription.cadence, subscription.anchorDay, at);
}

/** The quantities kept paid through `period` (seats), when a change inside it left a mark; else null. */
export function paidMarkOf(subscription: Pick<SubscriptionRow, 'paidMark' | 'paidMarkFrom'>, period: Period): Record<string, number> | null {
  return subscription.paidMarkFrom?.getTime() === period.start.getTime() ? subscription.paidMark : null;
}

/** Is the period starting at `start` paid: does the posting that pays it exist? */
export async function periodPaid(db: Db, subscription: Pick<SubscriptionRow, 'id' | 'accountId'>, start: Date): Promise<boolean> {
  const [row] = await db
    .select({ line: ledgerPostings.line })
    .from(ledgerPostings)
    .where(
      and(eq(ledgerPostings.accountId, subscription.accountId), eq(ledgerPostings.subscriptionId, subscription.id), eq(ledgerPostings.billedPeriodStart, start)),
    )
    .limit(1);
  return row !== undefined;
}

export async function countsOf(db: Db, accountId: number): Promise<Counts> {
  const rows = await db.select().from(objectCounts).where(eq(objectCounts.accountId, accountId));
  return Object.fromEntries(rows.map((r) => [r.metric, Number(r.count)]));
}

/** The account's active subscriptions as quota sources, leaving out `except` (the one changing). */
export async function activeLimitSources(db: Db, accountId: number, except?: number): Promise<LimitSource[]> {
  const rows = await db
    .select({ quantities: subscriptions.quantities, definition: planVersions.definition })
    .from(subscriptions)
    .innerJoin(planVersions, eq(planVersions.id, subscriptions.planVersionId))
    .where(and(eq(subscriptions.accountId, accountId), eq(subscriptions.status, 'active'), ...(except === undefined ? [] : [ne(subscriptions.id, except)])))
    .orderBy(asc(subscriptions.id));
  return rows.map((r) => ({ quantities: r.quantities, definition: normalisedDefinition(r.definition) }));
}

/** Accounts an operator blocked, closed or not yet verified may not start paying for anything. */
export function accountMayBuy(account: AccountRow): Failure | undefined {
  if (account.status === 'active' || account.status === 'suspended') return undefined;
  return { code: 'invalid_state', detail: `account ${account.id} is ${account.status.replaceAll('_', ' ')}` };
}
