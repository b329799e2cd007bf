// Credit grants (SPEC 4, ADR 0012): credit an operator gives (promotional) or sells below or
// at face value (paid), held in the grant's own ledger sub-account. What is left of a grant is
// the sum of its postings (ledger account `grant`, grant_id), never a counter; the account's
// `granted` is their cached total, proven by `kassa verify` as `balance` is.
//
// A grant's life, each step one ledger transaction at most, under the account's row lock:
// - created: awaiting its payment (a paid grant sold outside the balance), scheduled (its
//   effective time is still to come) or at once in effect;
// - in effect: the issuing transaction moves its amount into its sub-account, from
//   `promotions` (credit given) or `grant_sales` (the cost basis paid) and `promotions` (the
//   rest, a discount given); charges then draw it down (./drawdown.ts);
// - voided or expired: what is left is written off to where it came from, or, for the cost
//   basis' share of an expired paid grant, to `breakage`. Nothing is deleted.
// A paid grant counts down from when it is paid: its effective time and expiry move by as
// long as its payment came late.
import { type SQL, and, eq, sql } from 'drizzle-orm';
import type { Kassa } from '../context.js';
import { type AccountRow, availableFunds, lockAccount } from '../accounts/lock.js';
import { evaluateLowBalance } from '../accounts/low-balance.js';
import { type Db, query, toDate } from '../db/client.js';
import { type GrantKind, type GrantStatus, type LedgerKind, creditGrants } from '../db/schema.js';
import { type PostingInput, postLedgerTransaction } from '../ledger/post.js';
import { Exact, type Minor } from '../money/money.js';
import { writeOutbox, writeOutboxEvents } from '../outbox/write.js';
import { type Result, fail, ok } from '../shared/result.js';
import { type DrawableGrant, grantFundsFor } from './drawdown.js';

export type GrantRow = typeof creditGrants.$inferSelect;

/** A grant and what it holds now (the sum of its postings). */
export interface HeldGrant extends GrantRow {
  held: Minor;
}

export interface GrantInput {
  kind: GrantKind;
  amount: Minor;
  /** What the customer paid for it: zero for promotional credit, at most the amount. */
  costBasis: Minor;
  priority: number;
  scope: string[] | null;
  /** Default: now. */
  effectiveAt: Date | null;
  expiresAt: Date | null;
  /** Instead of `expiresAt`: this many days after it takes effect. */
  expiresInDays: number | null;
  reason: string;
  /** A paid grant: its price was received (`paid`) or is still to come (`pending`). */
  purchase: 'paid' | 'pending';
}

/** The priority a grant gets when none is asked: drawn after any grant given a lower number. */
export const DEFAULT_PRIORITY = 100;

/** What each of these grants holds: the sum of its postings (read through their accounts, ADR 0017). */
async function heldBy(db: Db, grants: readonly Pick<GrantRow, 'id' | 'accountId'>[]): Promise<Map<number, Minor>> {
  if (grants.length === 0) return new Map();
  const rows = await query<{ grant_id: number | string; held: string }>(
    db,
    sql`select grant_id, sum(amount)::text as held from ledger_postings
        where account_id = any(${`{${[...new Set(grants.map((g) => g.accountId))].join(',')}}`}::bigint[])
          and grant_id = any(${`{${grants.map((g) => g.id).join(',')}}`}::bigint[])
        group by grant_id`,
  );
  return new Map(rows.map((r) => [Number(r.grant_id), BigInt(r.held)]));
}

export async function withHeld(db: Db, grants: readonly GrantRow[]): Promise<HeldGrant[]> {
  const held = await heldBy(db, grants);
  return grants.map((g) => ({ ...g, held: held.get(g.id) ?? 0n }));
}

/**
 * The grants that may pay charges at `at`, per account, with what each holds: in effect, not
 * expired (one past its expiry pays nothing, whether or not the job wrote it off yet), holding
 * something, or also empty ones with `includeEmpty` (a refund may give back what they paid).
 */
export async function liveGrants(db: Db, accountIds: readonly number[], at: Date, { includeEmpty = false } = {}): Promise<Map<number, DrawableGrant[]>> {
  const out = new Map<number, DrawableGrant[]>();
  if (accountIds.length === 0) return out;
  const rows = await query<{ id: number | string; account_id: number | string; kind: GrantKind; priority: number; scope: string[] | null; expires_at: Date | string | null; held: string }>(
    db,
    sql`select g.id, g.account_id, g.kind, g.priority, g.scope, g.expires_at, coalesce(sum(p.amount), 0)::text as held
        from credit_grants g left join ledger_postings p on p.account_id = g.account_id and p.grant_id = g.id
        where g.account_id = any(${`{${accountIds.join(',')}}`}::bigint[]) and g.status = 'active'
          and (g.expires_at is null or g.expires_at > ${at})
        group by g.id
        having ${includeEmpty} or coalesce(sum(p.amount), 0) > 0`,
  );
  for (const r of rows) {
    const accountId = Number(r.account_id);
    const list = out.get(accountId) ?? [];
    list.push({ id: Number(r.id), kind: r.kind, priority: Number(r.priority), scope: r.scope, expiresAt: r.expires_at === null ? null : toDate(r.expires_at), remaining: BigInt(r.held) });
    out.set(accountId, list);
  }
  return out;
}

/** One account's live grants (none asked for when its `granted` is zero). */
export async function liveGrantsOf(db: Db, account: Pick<AccountRow, 'id' | 'granted'>, at: Date): Promise<DrawableGrant[]> {
  if (account.granted === 0n) return [];
  return (await liveGrants(db, [account.id], at)).get(account.id) ?? [];
}

/**
 * What charges of `service` may use: the account's available funds with only the live grants
 * that may pay it (not those scoped elsewhere, nor one past its expiry the job has not
 * written off yet).
 */
export function fundsFor(account: Pick<AccountRow, 'balance' | 'creditEnabled' | 'creditLimit' | 'reserved'>, live: readonly DrawableGrant[], service: string): Minor {
  return availableFunds({ ...account, granted: grantFundsFor(live, service) });
}

/** What a subscription's charges drew from each of these grants, net of what its refunds gave back. */
export async function drawnBySubscription(db: Db, accountId: number, grantIds: readonly number[], subscriptionId: number): Promise<Map<number, Minor>> {
  if (grantIds.length === 0) return new Map();
  const rows = await query<{ grant_id: number | string; drawn: string }>(
    db,
    sql`select grant_id, (-sum(amount))::text as drawn from ledger_postings
        where account_id = ${accountId} and grant_id = any(${`{${grantIds.join(',')}}`}::bigint[]) and subscription_id = ${subscriptionId}
        group by grant_id`,
  );
  return new Map(rows.map((r) => [Number(r.grant_id), BigInt(r.drawn)]));
}

/** Creates a grant on a locked account: in effect at once, or scheduled, or awaiting its payment. */
export async function createGrant(tx: Db, kassa: Kassa, accountId: number, input: GrantInput, at: Date): Promise<Result<HeldGrant>> {
  const account = await lockAccount(tx, accountId);
  if (!account) return fail('not_found', `no account ${accountId}`);
  if (account.status === 'closed') return fail('invalid_state', 'the account is closed');
  const effectiveAt = input.effectiveAt ?? at;
  const expiresAt = input.expiresInDays === null ? input.expiresAt : new Date(effectiveAt.getTime() + input.expiresInDays * 86_400_000);
  if (expiresAt && expiresAt.getTime() <= Math.max(effectiveAt.getTime(), at.getTime())) {
    return fail('validation_failed', 'expires_at must be after the grant takes effect and after now', { field: '/expires_at' });
  }
  const pending = input.kind === 'paid' && input.purchase === 'pending';
  const status = pending ? 'awaiting_payment' : effectiveAt > at ? 'scheduled' : 'active';
  const [grant] = await tx
    .insert(creditGrants)
    .values({
      accountId,
      kind: input.kind,
      amount: input.amount,
      costBasis: input.costBasis,
      priority: input.priority,
      scope: input.scope,
      effectiveAt,
      expiresAt,
      reason: input.reason,
      status,
      paidAt: input.kind === 'paid' && !pending ? at : null,
      createdAt: at,
    })
    .returning();
  await writeOutbox(tx, accountId, 'grant.created', grantPayload(grant!, 0n), at);
  if (status === 'active') return ok(await takeEffect(tx, kassa, account, grant!, at));
  return ok({ ...grant!, held: 0n });
}

/**
 * Puts a grant in effect: its issuing transaction, its event, and what new funds set off (the
 * resume of suspended subscriptions, the low-balance state). The account is locked.
 */
async function takeEffect(tx: Db, kassa: Kassa, account: AccountRow, grant: GrantRow, at: Date): Promise<HeldGrant> {
  const discount = grant.amount - grant.costBasis;
  const postings: PostingInput[] = [
    { ledgerAccount: 'grant', amount: grant.amount, grantId: grant.id },
    ...(grant.costBasis > 0n ? [{ ledgerAccount: 'grant_sales' as const, amount: -grant.costBasis }] : []),
    ...(discount > 0n ? [{ ledgerAccount: 'promotions' as const, amount: -discount }] : []),
  ];
  const posted = await postLedgerTransaction(tx, { accountId: account.id, kind: 'grant', description: `Credit grant ${grant.id}: ${grant.reason}`, postings, at });
  const [active] = await tx.update(creditGrants).set({ status: 'active' }).where(and(eq(creditGrants.accountId, account.id), eq(creditGrants.id, grant.id))).returning();
  await writeOutbox(tx, account.id, 'grant.effective', { ...grantPayload(active!, grant.amount), transaction_id: posted.transactionId, granted: posted.granted }, at);
  if (kassa.billing.autoResume) await kassa.afterCredit(tx, kassa, account.id, at);
  await evaluateLowBalance(tx, account.id, at);
  return { ...active!, held: grant.amount };
}

/** Locks a grant's account, then the grant: the order every money decision takes. */
async function lockGrant(tx: Db, grantId: number): Promise<Result<{ account: AccountRow; grant: GrantRow }>> {
  const [found] = await tx.select({ accountId: creditGrants.accountId }).from(creditGrants).where(eq(creditGrants.id, grantId));
  if (!found) return fail('not_found', `no credit grant ${grantId}`);
  const account = (await lockAccount(tx, found.accountId))!;
  const [grant] = await tx.select().from(creditGrants).where(and(eq(creditGrants.accountId, account.id), eq(creditGrants.id, grantId))).for('update');
  return ok({ account, grant: grant! });
}

/** A paid grant's price received: it counts down from now (its times move by how late the payment came). */
export async function markGrantPaid(tx: Db, kassa: Kassa, grantId: number, at: Date): Promise<Result<HeldGrant>> {
  const locked = await lockGrant(tx, grantId);
  if (!locked.ok) return locked;
  const { account, grant } = locked.value;
  if (grant.status !== 'awaiting_payment') return fail('invalid_state', `credit grant ${grantId} is ${grant.status}, not awaiting payment`);
  const late = Math.max(0, at.getTime() - grant.effectiveAt.getTime());
  const effectiveAt = new Date(grant.effectiveAt.getTime() + late);
  const expiresAt = grant.expiresAt && new Date(grant.expiresAt.getTime() + late);
  // Scheduled until its effective time; put in effect at once when that has come.
  const [paid] = await tx.update(creditGrants).set({ paidAt: at, effectiveAt, expiresAt, status: 'scheduled' }).where(and(eq(creditGrants.accountId, account.id), eq(creditGrants.id, grantId))).returning();
  if (effectiveAt <= at) return ok(await takeEffect(tx, kassa, account, paid!, at));
  return ok({ ...paid!, held: 0n });
}

/**
 * For each grant in `status` that `due` selects, in its own transaction with the account
 * locked: `act`, unless another worker or a void changed its status meanwhile (so each is
 * acted on once). The account's entitlements are refreshed after. Answers how many.
 */
async function eachDueGrant(kassa: Kassa, status: GrantStatus, due: SQL, act: (tx: Db, account: AccountRow, grant: GrantRow) => Promise<HeldGrant>): Promise<number> {
  const rows = await kassa.db.select({ id: creditGrants.id }).from(creditGrants).where(and(eq(creditGrants.status, status), due));
  let done = 0;
  for (const { id } of rows) {
    const grant = await kassa.db.transaction(async (txAny) => {
      const tx = txAny as unknown as Db;
      const locked = await lockGrant(tx, id);
      if (!locked.ok || locked.value.grant.status !== status) return null;
      return act(tx, locked.value.account, locked.value.grant);
    });
    if (grant) {
      kassa.entitlements.invalidate(grant.accountId);
      done += 1;
    }
  }
  return done;
}

/** Grants whose effective time has come put in effect; answers how many. */
export const startDueGrants = (kassa: Kassa, at: Date): Promise<number> =>
  eachDueGrant(kassa, 'scheduled', sql`${creditGrants.effectiveAt} <= ${at}`, (tx, account, grant) => takeEffect(tx, kassa, account, grant, at));

/** Voids a grant that is not over yet: what it holds is written off to where it came from. */
export async function voidGrant(tx: Db, grantId: number, reason: string, at: Date): Promise<Result<HeldGrant>> {
  const locked = await lockGrant(tx, grantId);
  if (!locked.ok) return locked;
  const { grant } = locked.value;
  if (grant.status === 'voided' || grant.status === 'expired') return fail('invalid_state', `credit grant ${grantId} is ${grant.status} already`);
  return ok(await endGrant(tx, grant, 'voided', reason, at));
}

/**
 * Ends a grant (voided or expired), the account locked: what it holds is written off in one
 * ledger transaction, its status set, its event written. Promotional credit goes back to
 * `promotions`. Of paid credit, the cost basis' share (rounded once, half to even) goes to
 * `grant_sales` when voided (the sale undone; any refund of it is paid outside Kassa) or to
 * `breakage` when it expired (paid and never used: revenue), and the rest to `promotions`.
 */
async function endGrant(tx: Db, grant: GrantRow, ending: 'voided' | 'expired', reason: string, at: Date): Promise<HeldGrant> {
  const held = (await heldBy(tx, [grant])).get(grant.id) ?? 0n;
  let transactionId: number | null = null;
  if (held > 0n) {
    const paidShare = grant.costBasis === 0n ? 0n : BigInt(new Exact(held.toString()).times(grant.costBasis.toString()).div(grant.amount.toString()).toDecimalPlaces(0).toFixed(0));
    const kind: LedgerKind = ending === 'voided' ? 'grant_void' : 'grant_expiry';
    const postings: PostingInput[] = [
      { ledgerAccount: 'grant', amount: -held, grantId: grant.id },
      ...(paidShare > 0n ? [{ ledgerAccount: ending === 'voided' ? ('grant_sales' as const) : ('breakage' as const), amount: paidShare }] : []),
      ...(held - paidShare > 0n ? [{ ledgerAccount: 'promotions' as const, amount: held - paidShare }] : []),
    ];
    const what = ending === 'voided' ? `voided: ${reason}` : 'expired';
    transactionId = (await postLedgerTransaction(tx, { accountId: grant.accountId, kind, description: `Credit grant ${grant.id} ${what}`, postings, at })).transactionId;
  }
  const [ended] = await tx.update(creditGrants).set({ status: ending, closedAt: at }).where(and(eq(creditGrants.accountId, grant.accountId), eq(creditGrants.id, grant.id))).returning();
  await writeOutbox(tx, grant.accountId, ending === 'voided' ? 'grant.voided' : 'grant.expired', { ...grantPayload(ended!, 0n), written_off: held, transaction_id: transactionId, reason }, at);
  await evaluateLowBalance(tx, grant.accountId, at);
  return { ...ended!, held: 0n };
}

/** Grants past their expiry written off, exactly once; answers how many. */
export const expireGrants = (kassa: Kassa, at: Date): Promise<number> =>
  eachDueGrant(kassa, 'active', sql`${creditGrants.expiresAt} <= ${at}`, (tx, _account, grant) => endGrant(tx, grant, 'expired', 'expired', at));

/**
 * The notice before a grant expires: `grant.expiring` (mailed to the account) once per grant,
 * when it still holds something `noticeDays` before its expiry. A grant the clock passed the
 * expiry of untold (a server down for days, a simulated jump) is told before it is written off:
 * nothing expires silently. Answers how many were told.
 */
export async function sendExpiryNotices(kassa: Kassa, at: Date, noticeDays: number): Promise<number> {
  const until = new Date(at.getTime() + noticeDays * 86_400_000);
  return kassa.db.transaction(async (txAny) => {
    const tx = txAny as unknown as Db;
    const due = await query<{ id: number | string; held: string }>(
      tx,
      sql`select g.id, h.held::text as held from credit_grants g
          cross join lateral (select sum(amount) as held from ledger_postings p where p.account_id = g.account_id and p.grant_id = g.id) h
          where g.status = 'active' and g.expires_at <= ${until} and g.expiry_notice_at is null and h.held > 0
          for update of g skip locked`,
    );
    if (due.length === 0) return 0;
    const held = new Map(due.map((r) => [Number(r.id), BigInt(r.held)]));
    const told = await tx.update(creditGrants).set({ expiryNoticeAt: at }).where(sql`${creditGrants.id} = any(${`{${[...held.keys()].join(',')}}`}::bigint[])`).returning();
    await writeOutboxEvents(tx, told.map((grant) => ({ accountId: grant.accountId, topic: 'grant.expiring' as const, payload: grantPayload(grant, held.get(grant.id)!) })), at);
    return told.length;
  });
}

/** A grant's event payload. */
export function grantPayload(grant: GrantRow, held: Minor): Record<string, unknown> {
  return {
    grant_id: grant.id,
    kind: grant.kind,
    status: grant.status,
    amount: grant.amount,
    remaining: held,
    cost_basis: grant.costBasis,
    priority: grant.priority,
    scope: grant.scope,
    effective_at: grant.effectiveAt.toISOString(),
    expires_at: grant.expiresAt?.toISOString() ?? null,
    reason: grant.reason,
  };
}
