// Demo data for a first start: the demo catalog, one customer with a balance to spend, and
// an API key to call Kassa with. Only on a fresh database (no services yet), all in one
// transaction, so a crash or a restart never leaves half a demo nor seeds it twice.
import { sql } from 'drizzle-orm';
import { lockAccount } from './accounts/lock.js';
import { createApiKey } from './auth/api-keys.js';
import { demoAccount, demoPlans, demoServices } from './catalog/demo-catalog.js';
import type { Kassa } from './context.js';
import { type Db, query } from './db/client.js';
import { accounts, planVersions, plans, services } from './db/schema.js';
import { postLedgerTransaction } from './ledger/post.js';
import { formatMinor } from './money/money.js';
import { writeOutbox } from './outbox/write.js';

/** The API key of the demo (shown once), or undefined when the database was not fresh. */
export async function seedDemo(kassa: Kassa): Promise<{ apiKey: string } | undefined> {
  const now = kassa.clock.now();
  const seeded = await kassa.db.transaction(async (transaction) => {
    const tx = transaction as unknown as Db;
    // Two processes starting together on one PostgreSQL: the second waits, then sees services.
    await query(tx, sql`select pg_advisory_xact_lock(hashtext('kassa.seed_demo'))`);
    const [existing] = await tx.select({ id: services.id }).from(services).limit(1);
    if (existing) return undefined;
    await seedCatalog(tx, now);
    const accountId = await seedAccount(tx, now);
    const key = await createApiKey(tx, 'demo', now);
    return { accountId, apiKey: key.secret };
  });
  if (!seeded) return undefined;
  kassa.entitlements.invalidate(seeded.accountId);
  return { apiKey: seeded.apiKey };
}

async function seedCatalog(tx: Db, now: Date): Promise<void> {
  await tx.insert(services).values(demoServices.map((s) => ({ ...s, createdAt: now })));
  for (const plan of demoPlans) {
    const [row] = await tx
      .insert(plans)
      .values({ code: plan.code, name: plan.name, kind: plan.kind, cadence: plan.cadence, timing: plan.timing, createdAt: now })
      .returning({ id: plans.id });
    await tx
      .insert(planVersions)
      .values(Object.entries(plan.prices).map(([currency, definition]) => ({ planId: row!.id, version: 1, currency, effectiveFrom: now, definition, createdAt: now })));
  }
}

async function seedAccount(tx: Db, now: Date): Promise<number> {
  const { name, externalRef, currency, credit } = demoAccount;
  const [row] = await tx.insert(accounts).values({ name, externalRef, currency, type: 'billing', createdAt: now }).returning({ id: accounts.id });
  const accountId = row!.id;
  await writeOutbox(tx, accountId, 'account.created', { account_id: accountId, name, currency, type: 'billing' }, now);
  await lockAccount(tx, accountId);
  const reason = `Demo starting credit of ${formatMinor(credit, currency)} ${currency}`;
  const posted = await postLedgerTransaction(tx, {
    accountId,
    kind: 'adjustment',
    description: reason,
    postings: [
      { ledgerAccount: 'customer', amount: credit },
      { ledgerAccount: 'adjustments', amount: -credit },
    ],
    at: now,
  });
  await writeOutbox(tx, accountId, 'balance.adjusted', { account_id: accountId, transaction_id: posted.transactionId, direction: 'credit', amount: credit, currency, balance: credit, reason }, now);
  return accountId;
}
