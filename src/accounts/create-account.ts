// Opens a customer account: a trial by default, in one currency for life.
import { eq } from 'drizzle-orm';
import type { Kassa } from '../context.js';
import { accounts } from '../db/schema.js';
import { isCurrency } from '../money/money.js';
import { writeOutbox } from '../outbox/write.js';
import { type Result, abort, fail } from '../shared/result.js';
import { parseNonNegativeAmount } from './amount.js';
import { refreshCreditLimit } from './credit.js';
import type { AccountRow } from './lock.js';
import type { CreateAccountBody } from './schemas.js';
import { inTransaction } from './transaction.js';

export async function createAccount(kassa: Kassa, input: CreateAccountBody, at: Date): Promise<Result<AccountRow>> {
  if (!isCurrency(input.currency)) return fail('unknown_currency', `${input.currency} is not an ISO 4217 currency code`, { field: '/currency' });
  const threshold = input.low_balance_threshold === undefined ? undefined : parseNonNegativeAmount(input.low_balance_threshold, '/low_balance_threshold');
  if (threshold && !threshold.ok) return threshold;

  // No low-balance evaluation here: a new account has crossed nothing yet. Its first balance
  // change decides whether it is under the threshold.
  return inTransaction(kassa.db, async (tx) => {
    const [created] = await tx
      .insert(accounts)
      .values({
        name: input.name,
        currency: input.currency,
        externalRef: input.external_ref ?? null,
        type: input.type ?? 'trial',
        creditEnabled: input.credit_enabled ?? false,
        lowBalanceThreshold: threshold?.value ?? null,
        lowBalanceThresholdDays: input.low_balance_threshold_days ?? null,
        billingEmails: input.billing_emails ?? [],
        createdAt: at,
      })
      .onConflictDoNothing({ target: accounts.externalRef })
      .returning();
    if (!created) abort('already_exists', `an account with external_ref ${input.external_ref} already exists`, { field: '/external_ref' });
    if (created.creditEnabled) await refreshCreditLimit(tx, created.id, at, kassa.billing);
    await writeOutbox(tx, created.id, 'account.created', { account_id: created.id, name: created.name, currency: created.currency, type: created.type }, at);
    const [account] = await tx.select().from(accounts).where(eq(accounts.id, created.id));
    return account!;
  });
}
