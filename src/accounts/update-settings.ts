// Changes an account's name and financial settings: system credit, low-balance threshold,
// billing addresses.
import { eq } from 'drizzle-orm';
import type { Kassa } from '../context.js';
import { accounts } from '../db/schema.js';
import { writeOutbox } from '../outbox/write.js';
import { type Result, abort } from '../shared/result.js';
import { parseNonNegativeAmount } from './amount.js';
import { refreshCreditLimit } from './credit.js';
import { type AccountRow, lockAccount } from './lock.js';
import { evaluateLowBalance } from './low-balance.js';
import type { UpdateSettingsBody } from './schemas.js';
import { inTransaction } from './transaction.js';

export async function updateAccountSettings(kassa: Kassa, accountId: number, changes: UpdateSettingsBody, at: Date): Promise<Result<AccountRow>> {
  const threshold = typeof changes.low_balance_threshold === 'string' ? parseNonNegativeAmount(changes.low_balance_threshold, '/low_balance_threshold') : undefined;
  if (threshold && !threshold.ok) return threshold;

  return inTransaction(kassa.db, async (tx) => {
    const account = await lockAccount(tx, accountId);
    if (!account) abort('not_found', `no account ${accountId}`);
    const enablingCredit = changes.credit_enabled === true && !account.creditEnabled;
    // SPEC 4: the credit in use must be repaid (by topping up) before credit can be turned off.
    if (changes.credit_enabled === false && account.creditEnabled && account.balance < 0n) {
      abort('credit_in_use', `the balance is ${account.balance} (negative): top up before turning credit off`, {
        field: '/credit_enabled',
        extra: { balance: account.balance.toString(), currency: account.currency },
      });
    }
    await tx
      .update(accounts)
      .set({
        name: changes.name,
        creditEnabled: changes.credit_enabled,
        lowBalanceThreshold: changes.low_balance_threshold === undefined ? undefined : (threshold?.value ?? null),
        lowBalanceThresholdDays: changes.low_balance_threshold_days,
        billingEmails: changes.billing_emails,
      })
      .where(eq(accounts.id, accountId));
    if (enablingCredit) await refreshCreditLimit(tx, accountId, at, kassa.billing);
    // Credit and thresholds both move the line the warning is measured against.
    await evaluateLowBalance(tx, accountId, at);
    await writeOutbox(tx, accountId, 'account.updated', { account_id: accountId, changed: Object.keys(changes).sort() }, at);
    const [updated] = await tx.select().from(accounts).where(eq(accounts.id, accountId));
    return updated!;
  });
}
