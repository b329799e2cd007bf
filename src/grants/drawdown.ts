// Which money pays a charge (SPEC 4, ADR 0012): plain data, no database. A charge is paid
// by the account's live credit grants in one documented order, then by the paid balance,
// which may go below zero into system credit when the caller allows it:
//
//   1. grants scoped to the charged service (or plan) before grants that pay any charge;
//   2. then lower priority number first;
//   3. then the soonest expiry (a grant that never expires last);
//   4. then promotional credit before paid credit;
//   5. then the oldest grant (lowest id), so the order is total and the same everywhere.
//
// Several charges of one movement (the meters of one usage charge) are drawn one after
// another, each from what the ones before it left.
import type { GrantKind } from '../db/schema.js';
import type { PostingInput } from '../ledger/post.js';
import type { Minor } from '../money/money.js';

export interface DrawableGrant {
  id: number;
  kind: GrantKind;
  priority: number;
  /** Service and plan codes it may pay; null: any charge. */
  scope: readonly string[] | null;
  expiresAt: Date | null;
  remaining: Minor;
}

export interface Draw {
  grantId: number;
  amount: Minor;
}

export interface Drawn {
  draws: Draw[];
  /** What the grants did not cover: the paid balance pays it. */
  fromBalance: Minor;
}

/** Whether a grant may pay a charge of this service (or plan). */
export const mayPay = (grant: Pick<DrawableGrant, 'scope'>, service: string): boolean => grant.scope === null || grant.scope.includes(service);

/** The order above, among grants that may all pay the charge: scoped before unscoped, then priority, expiry, kind, age. */
export function byDrawOrder(a: DrawableGrant, b: DrawableGrant): number {
  const scoped = (g: DrawableGrant) => (g.scope === null ? 1 : 0);
  const expiry = (g: DrawableGrant) => (g.expiresAt === null ? Number.POSITIVE_INFINITY : g.expiresAt.getTime());
  const kind = (g: DrawableGrant) => (g.kind === 'promotional' ? 0 : 1);
  return scoped(a) - scoped(b) || a.priority - b.priority || expiry(a) - expiry(b) || kind(a) - kind(b) || a.id - b.id;
}

/** The grants that may pay a charge of `service`, in the order they are drawn. */
export function drawOrder<G extends DrawableGrant>(grants: readonly G[], service: string): G[] {
  return grants.filter((g) => g.remaining > 0n && mayPay(g, service)).sort(byDrawOrder);
}

/** What the grants that may pay `service` hold together. */
export function grantFundsFor(grants: readonly DrawableGrant[], service: string): Minor {
  return drawOrder(grants, service).reduce((sum, g) => sum + g.remaining, 0n);
}

/**
 * Draws charges one after another from the grants, in the order above; answers each charge's
 * draws and the grants as they stand after. A negative or zero amount draws nothing.
 */
export function drawCharges<G extends DrawableGrant>(grants: readonly G[], charges: readonly { service: string; amount: Minor }[]): { drawn: Drawn[]; after: G[] } {
  const left = new Map(grants.map((g) => [g.id, g.remaining]));
  const drawn = charges.map(({ service, amount }) => {
    const draws: Draw[] = [];
    let owed = amount;
    for (const grant of drawOrder(grants.map((g) => ({ ...g, remaining: left.get(g.id)! })), service)) {
      if (owed <= 0n) break;
      const take = grant.remaining < owed ? grant.remaining : owed;
      draws.push({ grantId: grant.id, amount: take });
      left.set(grant.id, grant.remaining - take);
      owed -= take;
    }
    return { draws, fromBalance: amount > 0n ? owed : amount };
  });
  return { drawn, after: grants.map((g) => ({ ...g, remaining: left.get(g.id)! })) };
}

/** One charge drawn from the grants. */
export const drawCharge = (grants: readonly DrawableGrant[], service: string, amount: Minor): Drawn => drawCharges(grants, [{ service, amount }]).drawn[0]!;

/** A charge's postings: the grants' draws, the paid balance's part, revenue for the whole. */
export interface ChargeDrawn {
  postings: PostingInput[];
  drawn: Drawn;
  /** The grants as they stand after it. */
  after: DrawableGrant[];
}

/**
 * The postings of one charge of `service`: each grant drawn, the paid balance for the rest
 * (`extra` marks it: the subscription, the period it pays; it is written even at zero, since
 * it is what marks a period paid), and the revenue for the whole amount.
 */
export function chargeFromGrants(grants: readonly DrawableGrant[], service: string, amount: Minor, extra: Pick<PostingInput, 'subscriptionId' | 'billedPeriodStart'> = {}): ChargeDrawn {
  const { drawn, after } = drawCharges(grants, [{ service, amount }]);
  const one = drawn[0]!;
  const { subscriptionId } = extra;
  return {
    postings: [
      { ledgerAccount: 'customer', amount: -one.fromBalance, ...extra, service },
      ...one.draws.map((d): PostingInput => ({ ledgerAccount: 'grant', amount: -d.amount, grantId: d.grantId, subscriptionId, service })),
      { ledgerAccount: 'revenue', amount, subscriptionId, service },
    ],
    drawn: one,
    after,
  };
}

/**
 * The postings of a refund of `amount`: back first to the live grants that paid for the
 * subscription (`drawnBefore`: what each drew for it, net), the last drawn first, each up to that;
 * the rest to the paid balance. So a refund never turns credit that was given into paid money.
 */
export function refundToGrants(grants: readonly DrawableGrant[], drawnBefore: ReadonlyMap<number, Minor>, amount: Minor, of: Pick<PostingInput, 'subscriptionId' | 'service'> = {}): { postings: PostingInput[]; after: DrawableGrant[] } {
  const back = new Map<number, Minor>();
  let left = amount;
  // The grants that paid it, emptied ones too, in the reverse of the order they are drawn in.
  const order = grants.filter((g) => (drawnBefore.get(g.id) ?? 0n) > 0n).sort((a, b) => byDrawOrder(b, a));
  for (const grant of order) {
    if (left <= 0n) break;
    const drew = drawnBefore.get(grant.id) ?? 0n;
    if (drew <= 0n) continue;
    const give = drew < left ? drew : left;
    back.set(grant.id, give);
    left -= give;
  }
  return {
    postings: [
      { ledgerAccount: 'customer', amount: left, ...of },
      ...[...back].map(([grantId, give]): PostingInput => ({ ledgerAccount: 'grant', amount: give, grantId, ...of })),
      { ledgerAccount: 'revenue', amount: -amount, ...of },
    ],
    after: grants.map((g) => ({ ...g, remaining: g.remaining + (back.get(g.id) ?? 0n) })),
  };
}
