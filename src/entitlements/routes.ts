// "May account A use feature F, and how much is left?" The provider's product asks this on
// every request, so the handlers only read the in-process cache (a miss costs one query)
// and leave serialization to the compiled response schemas.
import { Type } from 'typebox';
import type { KassaApp } from '../http/kassa-app.js';
import { problemResponses, sendProblem } from '../shared/problem.js';
import { Exact } from '../money/money.js';
import { type AccountEntitlements, type DenialReason, allAnswers, answerFor } from './compute.js';
import { entitlementChecks } from '../operations/metrics.js';

const denialReasons: DenialReason[] = [
  'account_pending_verification',
  'account_suspended',
  'account_blocked',
  'account_closed',
  'no_active_plan',
  'not_in_plan',
  'trial_account',
  'trial_limit',
  'quota_reached',
  'insufficient_funds',
  'budget_reached',
];

// Plain `type: [..., 'null']` rather than anyOf: the serializer then needs no branch tests.
const nullableCount = (description: string) => Type.Unsafe<number | null>({ type: ['integer', 'null'], description });

export const FeatureAnswerSchema = Type.Object(
  {
    feature: Type.String({ description: '`api` (API access), a feature flag, or a quota metric' }),
    allowed: Type.Boolean(),
    limit: nullableCount('the summed limit of the active plans (trial-capped); null when unlimited'),
    used: Type.Integer({ description: 'the object count last reported for this metric; 0 when none' }),
    remaining: nullableCount('max(limit - used, 0); null when unlimited'),
    reason: Type.Optional(Type.Unsafe<DenialReason>({ type: 'string', enum: denialReasons, description: 'why it is not allowed; absent when allowed' })),
    meter: Type.Optional(
      Type.Object(
        {
          month: Type.String({ description: 'the UTC month the figures are of, YYYY-MM' }),
          used: Type.String({ description: "this month's usage as rated so far, exact decimal" }),
          free_remaining: Type.String({ description: "the month's included units left plus the once-free units left, exact decimal" }),
          available: Type.String({ description: 'available funds (balance plus credit line), integer minor units' }),
          quantity: Type.Optional(Type.String({ description: 'the quantity asked about (?quantity=)' })),
          cost: Type.Optional(Type.String({ description: 'what that quantity would cost now, after the free units, integer minor units' })),
        },
        { additionalProperties: false, description: 'present for a metered service an active plan prices' },
      ),
    ),
  },
  { title: 'FeatureAnswer',
    additionalProperties: false,
    examples: [
      { feature: 'cpe_devices', allowed: true, limit: 150, used: 0, remaining: 150 },
      { feature: 'call_recording', allowed: false, limit: 0, used: 0, remaining: 0, reason: 'not_in_plan' },
      { feature: 'emails', allowed: true, limit: null, used: 1200, remaining: null, meter: { month: '2026-12', used: '1200', free_remaining: '1300', available: '500', quantity: '3000', cost: '170' } },
    ],
  },
);

export const EntitlementsSchema = Type.Object(
  {
    account_id: Type.Integer(),
    status: Type.String({ enum: ['pending_verification', 'active', 'suspended', 'blocked', 'closed'] }),
    type: Type.String({ enum: ['trial', 'billing'] }),
    features: Type.Array(FeatureAnswerSchema, { description: '`api` first, then every feature the active plans name, by name' }),
  },
  { title: 'Entitlements',
    additionalProperties: false,
    examples: [
      {
        account_id: 2,
        status: 'active',
        type: 'trial',
        features: [
          { feature: 'api', allowed: true, limit: null, used: 0, remaining: null },
          { feature: 'cpe_devices', allowed: true, limit: 150, used: 0, remaining: 150 },
          { feature: 'sites', allowed: true, limit: 5, used: 3, remaining: 2 },
        ],
      },
    ],
  },
);

// Asked on every request of the provider's product: two log lines per check would cost more
// than the check itself. Failures are still logged by the error handler.
const HOT_PATH_LOG_LEVEL = 'warn';

const AccountParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) });
const FeatureQuery = Type.Object({
  quantity: Type.Optional(Type.String({ pattern: '^(0|[1-9][0-9]{0,14})(\\.[0-9]{1,6})?$', description: 'for a meter: may the account use this much more? An exact decimal' })),
});
// The UTC month of a check, YYYY-MM: worked out again only when the clock leaves the month (every check asks).
let monthOfChecks = { from: 0, until: 0, month: '' };
const currentMonth = (at: Date): string => {
  const t = at.getTime();
  if (t < monthOfChecks.from || t >= monthOfChecks.until) {
    const year = at.getUTCFullYear();
    const month = at.getUTCMonth();
    monthOfChecks = { from: Date.UTC(year, month, 1), until: Date.UTC(year, month + 1, 1), month: at.toISOString().slice(0, 7) };
  }
  return monthOfChecks.month;
};

/** The whole list's answer, as GET /v1/accounts/:id/entitlements gives it (here and in ./hot-path.ts). */
export function listAnswer(now: Date, accountId: number, entitlements: AccountEntitlements) {
  const features = allAnswers(entitlements, currentMonth(now));
  listChecks.inc(); // once worked out: an answer that throws is asked again by the route (./hot-path.ts)
  return { account_id: accountId, status: entitlements.status, type: entitlements.type, features };
}

/** One feature's answer, as GET /v1/accounts/:id/entitlements/:feature gives it (here and in ./hot-path.ts). */
export function featureAnswer(now: Date, entitlements: AccountEntitlements, feature: string, quantity: string | undefined) {
  const answer = answerFor(entitlements, feature, { month: currentMonth(now), quantity: quantity === undefined ? undefined : new Exact(quantity) });
  (answer.allowed ? allowedChecks : refusedChecks).inc();
  return answer;
}
const listChecks = entitlementChecks.labels('list');
const allowedChecks = entitlementChecks.labels('allowed');
const refusedChecks = entitlementChecks.labels('refused');

const FeatureParams = Type.Object({
  id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
  feature: Type.String({ pattern: '^[a-z][a-z0-9_.]{0,62}$' }),
});

export async function entitlementRoutes(app: KassaApp) {
  const { kassa } = app;
  const entitlementsOf = (accountId: number): AccountEntitlements | Promise<AccountEntitlements | undefined> =>
    kassa.entitlements.peek(accountId) ?? kassa.entitlements.get(kassa.db, accountId);

  app.get(
    '/accounts/:id/entitlements',
    { config: { access: 'subscriptions:read' },
      logLevel: HOT_PATH_LOG_LEVEL,
      schema: {
        tags: ['entitlements'],
        summary: 'Everything the account may do right now',
        description:
          'Every feature the active plans name, with its limit, current count and what is left, plus `api` (API access). ' +
          'Answered from memory; never stale after a change Kassa made.',
        params: AccountParams,
        response: { 200: EntitlementsSchema, ...problemResponses(404) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const entitlements = await entitlementsOf(id);
      if (!entitlements) return sendProblem(reply, { code: 'not_found', detail: `no account ${id}` });
      return listAnswer(kassa.clock.now(), id, entitlements);
    },
  );

  app.get(
    '/accounts/:id/entitlements/:feature',
    { config: { access: 'subscriptions:read' },
      logLevel: HOT_PATH_LOG_LEVEL,
      schema: {
        tags: ['entitlements'],
        summary: 'May the account use this feature, and how much is left?',
        description:
          'A feature no active plan names answers `allowed: false` with reason `not_in_plan` (not 404). ' +
          'Reasons are checked in a fixed order: account status, no active plan (for `api`), not in plan, trial, quota. ' +
          'For a metered service, `?quantity=` asks whether the free units and the available funds cover that much more (`insufficient_funds` when not).',
        params: FeatureParams,
        querystring: FeatureQuery,
        response: { 200: FeatureAnswerSchema, ...problemResponses(404) },
      },
    },
    async (request, reply) => {
      const { id, feature } = request.params;
      const entitlements = await entitlementsOf(id);
      if (!entitlements) return sendProblem(reply, { code: 'not_found', detail: `no account ${id}` });
      return featureAnswer(kassa.clock.now(), entitlements, feature, request.query.quantity);
    },
  );
}
