// How an account looks on the wire: amounts as strings of integer minor units.
import { sql } from 'drizzle-orm';
import { Type } from 'typebox';
import { type Db, query } from '../db/client.js';
import type { Minor as MinorUnits } from '../money/money.js';
import { availableFunds, type AccountRow } from './lock.js';

/** An amount on the wire: integer minor units as a string, never a JSON number. */
export const MinorString = (description: string) => Type.String({ pattern: '^-?[0-9]+$', description: `${description}, integer minor units as a string` });

export const AccountSchema = Type.Object(
  {
    id: Type.Integer(),
    name: Type.String(),
    external_ref: Type.Union([Type.String(), Type.Null()], { description: "the provider's own id for this customer" }),
    currency: Type.String({ description: 'ISO 4217 code; every amount of this account is in it' }),
    type: Type.Union([Type.Literal('trial'), Type.Literal('billing')]),
    status: Type.Union([Type.Literal('pending_verification'), Type.Literal('active'), Type.Literal('suspended'), Type.Literal('blocked'), Type.Literal('closed')], {
      description: 'suspended: every subscription it runs is suspended for lack of funds (a top-up that covers one resumes it, and the account with it)',
    }),
    status_reason: Type.Union([Type.Literal('insufficient_funds'), Type.Null()], { description: 'why the account is suspended' }),
    balance: MinorString('sum of the account ledger postings'),
    credit_enabled: Type.Boolean(),
    credit_limit: MinorString('system credit limit computed from the trailing 12 months of purchases (usable only when credit_enabled)'),
    reserved: MinorString('held out of available by open usage reservations'),
    available: MinorString('balance plus the credit limit when credit is enabled, less what usage reservations hold'),
    low_balance_threshold: Type.Union([MinorString('warn when available falls under this amount'), Type.Null()]),
    low_balance_threshold_days: Type.Union([Type.Integer(), Type.Null()], { description: 'warn when available covers fewer days of current spend' }),
    low_balance_warned: Type.Boolean({ description: 'warned since available last fell under the threshold' }),
    billing_emails: Type.Array(Type.String()),
    created_at: Type.String({ format: 'date-time' }),
  },
  { title: 'Account',
    examples: [
      {
        id: 2,
        name: 'Acme GmbH',
        external_ref: 'acme-1',
        currency: 'EUR',
        type: 'trial',
        status: 'active',
        status_reason: null,
        balance: '5000',
        credit_enabled: false,
        credit_limit: '0',
        reserved: '0',
        available: '5000',
        low_balance_threshold: null,
        low_balance_threshold_days: null,
        low_balance_warned: false,
        billing_emails: [],
        created_at: '2026-11-02T13:00:00.000Z',
      },
    ],
  },
);

/**
 * The accounts among `accountIds` whose every running subscription is suspended for lack of
 * funds (at least one suspended, none active): SPEC 1's "suspended (no funds)". It follows the
 * money by construction: the credit that resumes a subscription makes the account active again.
 */
export async function suspendedForFunds(db: Db, accountIds: number[]): Promise<Set<number>> {
  if (accountIds.length === 0) return new Set();
  const rows = await query<{ account_id: number | bigint }>(
    db,
    sql`select account_id from subscriptions where account_id in (${sql.join(accountIds.map((id) => sql`${id}`), sql`, `)})
        group by account_id having bool_or(status = 'suspended') and not bool_or(status = 'active')`,
  );
  return new Set(rows.map((r) => Number(r.account_id)));
}

/** An account on the wire, its status as the money makes it (`suspendedForFunds`). */
export async function accountView(db: Db, row: AccountRow) {
  return accountJson(row, (await suspendedForFunds(db, [row.id])).has(row.id));
}

export function accountJson(row: AccountRow, fundsSuspended = false) {
  const suspended = row.status === 'active' && fundsSuspended;
  return {
    id: row.id,
    name: row.name,
    external_ref: row.externalRef,
    currency: row.currency,
    type: row.type,
    status: suspended ? ('suspended' as const) : row.status,
    status_reason: suspended ? ('insufficient_funds' as const) : null,
    balance: row.balance.toString(),
    credit_limit: row.creditLimit.toString(),
    reserved: row.reserved.toString(),
    available: availableFunds(row).toString(),
    credit_enabled: row.creditEnabled,
    low_balance_threshold: row.lowBalanceThreshold === null ? null : row.lowBalanceThreshold.toString(),
    low_balance_threshold_days: row.lowBalanceThresholdDays,
    low_balance_warned: row.lowBalanceWarned,
    billing_emails: row.billingEmails,
    created_at: row.createdAt.toISOString(),
  };
}

/** What the account's pending top-ups still expect, in minor units. */
export async function pendingTopUps(db: Db, accountId: number): Promise<MinorUnits> {
  const [row] = await query<{ pending: bigint | null }>(db, sql`select sum(amount_requested - amount_received) as pending from top_ups where account_id = ${accountId} and status = 'pending'`);
  return BigInt(row?.pending ?? 0n);
}
