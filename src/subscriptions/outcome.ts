// What every lifecycle operation returns, real or previewed, and the two refusals that a
// preview reports instead of answering with (funds and quotas).
import type { AccountRow } from '../accounts/lock.js';
import { availableFunds } from '../accounts/lock.js';
import type { Db } from '../db/client.js';
import { fundsFor, liveGrantsOf } from '../grants/grants.js';
import { reachedBudgetFor } from '../budgets/budgets.js';
import type { Minor } from '../money/money.js';
import type { Period } from '../time/periods.js';
import type { Failure } from '../shared/result.js';
import type { QuotaBlocker } from './quotas.js';
import { type Decision, fundsCover } from './decisions.js';
import type { SubscriptionRow } from './state.js';

export type Action = 'create' | 'enable' | 'disable' | 'configure' | 'change_plan' | 'resume';

export interface Outcome {
  action: Action;
  /** The subscription after the change; absent in a preview of create (it has no id yet). */
  subscription?: SubscriptionRow;
  currency: string;
  /** The subscription's current period after the change. */
  period: Period;
  decision: Decision;
  /** Set in previews only: why the real call would be refused (funds, quotas). */
  wouldFail: Failure | null;
}

export interface OperationInput {
  /** Run the same computation and write nothing. */
  preview: boolean;
}

export interface SubscriptionInput extends OperationInput {
  subscriptionId: number;
}

/** `available`: what the change's charges may use, with the credit grants that may pay its plan (`fundsFor`). */
export function insufficientFunds(decision: Decision, account: AccountRow, available: Minor = availableFunds(account)): Failure | undefined {
  if (fundsCover(decision, available)) return undefined;
  return {
    code: 'insufficient_funds',
    detail: `this needs ${decision.fundsRequired} (minor units of ${account.currency}) and the account has ${available} available`,
    extra: { required: decision.fundsRequired.toString(), available: available.toString(), currency: account.currency },
  };
}

/**
 * Why a charge of this plan is refused on this locked account now, if it is: its account-wide
 * stop budget, or the plan's own, is reached (the customer stopped spending until the period
 * ends), or the funds
 * that may pay the plan (its grants among them) do not cover it.
 */
export async function refusedCharge(tx: Db, decision: Decision, account: AccountRow, planCode: string, at: Date): Promise<Failure | undefined> {
  if (decision.fundsRequired > 0n) {
    const budget = await reachedBudgetFor(tx, account.id, planCode, at);
    if (budget) {
      const whose = budget.service === null ? "the account's" : `plan ${budget.service}'s`;
      return { code: 'budget_reached', detail: `${whose} ${budget.period === 'day' ? 'daily' : 'monthly'} budget of ${budget.amount} is spent: no new charge until the period ends, or until the budget is raised`, extra: { budget_id: budget.id } };
    }
  }
  return insufficientFunds(decision, account, await fundsForPlan(tx, account, planCode, at));
}

/** What charges of a plan may use on this locked account now: its funds, with the grants that may pay that plan. */
export async function fundsForPlan(tx: Db, account: AccountRow, planCode: string, at: Date): Promise<Minor> {
  return fundsFor(account, await liveGrantsOf(tx, account, at), planCode);
}

export function quotaExceeded(blockers: QuotaBlocker[]): Failure | undefined {
  if (blockers.length === 0) return undefined;
  const list = blockers.map((b) => (b.requested === undefined ? `${b.quota} (${b.current} created, limit ${b.limit})` : `${b.quota} (${b.requested} requested, trial limit ${b.limit}, ${b.current} created)`)).join(', ');
  const first = blockers[0]!;
  // The first blocker's figures at the top level too: quota, limit and current count (SPEC 11).
  const why = blockers.some((b) => b.requested !== undefined) ? "this exceeds the account's trial limits" : 'the account has created more objects than the plan allows';
  return { code: 'quota_exceeded', detail: `${why}: ${list}`, extra: { quota: first.quota, limit: first.limit, current: first.current, quotas: blockers } };
}
