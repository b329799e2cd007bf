import { describe, expect, it } from 'vitest';
import { type ActiveSubscription, type EntitlementInputs, type FeatureAnswer, answerFor, computeEntitlements } from './compute.js';

const item = (service: string, fallback = 0) => ({ service, unit_price: '1', tier_mode: 'flat' as const, included: 0, min: 0, max: null, default: fallback, decrease: 'refund' as const });

const starter: ActiveSubscription = { definition: { quotas: { users: 5, sites: 2 }, features: ['sso'], items: [] }, quantities: {} };
const devices: ActiveSubscription = { definition: { quotas: {}, features: [], items: [item('cpe_devices', 10), item('public_ip')] }, quantities: { cpe_devices: 100 } };

const inputs = (over: Partial<EntitlementInputs> = {}): EntitlementInputs => ({
  account: { status: 'active', type: 'billing' },
  subscriptions: [starter],
  counts: {},
  ...over,
});

const feature = (input: EntitlementInputs, name: string): FeatureAnswer => answerFor(computeEntitlements(input), name);

describe('computeEntitlements', () => {
  const cases: { name: string; input: EntitlementInputs; feature: string; expected: FeatureAnswer }[] = [
    {
      name: 'an active plan allows API access, unlimited',
      input: inputs(),
      feature: 'api',
      expected: { feature: 'api', allowed: true, limit: null, used: 0, remaining: null },
    },
    {
      name: 'no active subscription refuses API access (SPEC 3)',
      input: inputs({ subscriptions: [] }),
      feature: 'api',
      expected: { feature: 'api', allowed: false, limit: null, used: 0, remaining: null, reason: 'no_active_plan' },
    },
    {
      name: 'a quota below its limit is allowed, with what is left',
      input: inputs({ counts: { users: 3 } }),
      feature: 'users',
      expected: { feature: 'users', allowed: true, limit: 5, used: 3, remaining: 2 },
    },
    {
      name: 'a quota at its limit is refused: one more would exceed it',
      input: inputs({ counts: { users: 5 } }),
      feature: 'users',
      expected: { feature: 'users', allowed: false, limit: 5, used: 5, remaining: 0, reason: 'quota_reached' },
    },
    {
      name: 'a count over the limit (plan lowered) shows no negative remainder',
      input: inputs({ counts: { sites: 7 } }),
      feature: 'sites',
      expected: { feature: 'sites', allowed: false, limit: 2, used: 7, remaining: 0, reason: 'quota_reached' },
    },
    {
      name: 'a metric never reported counts as 0 used',
      input: inputs(),
      feature: 'sites',
      expected: { feature: 'sites', allowed: true, limit: 2, used: 0, remaining: 2 },
    },
    {
      name: 'quotas add up across active subscriptions',
      input: inputs({ subscriptions: [starter, starter], counts: { users: 9 } }),
      feature: 'users',
      expected: { feature: 'users', allowed: true, limit: 10, used: 9, remaining: 1 },
    },
    {
      name: 'a plan item limits its metric by the configured quantity',
      input: inputs({ subscriptions: [devices], counts: { cpe_devices: 99 } }),
      feature: 'cpe_devices',
      expected: { feature: 'cpe_devices', allowed: true, limit: 100, used: 99, remaining: 1 },
    },
    {
      name: 'an item with no configured quantity falls back to its default',
      input: inputs({ subscriptions: [{ ...devices, quantities: {} }] }),
      feature: 'cpe_devices',
      expected: { feature: 'cpe_devices', allowed: true, limit: 10, used: 0, remaining: 10 },
    },
    {
      name: 'an item configured at 0 allows nothing',
      input: inputs({ subscriptions: [devices] }),
      feature: 'public_ip',
      expected: { feature: 'public_ip', allowed: false, limit: 0, used: 0, remaining: 0, reason: 'quota_reached' },
    },
    {
      name: 'an explicit quota wins over the item of the same code within one plan',
      input: inputs({ subscriptions: [{ definition: { quotas: { cpe_devices: 3 }, items: [item('cpe_devices')] }, quantities: { cpe_devices: 50 } }] }),
      feature: 'cpe_devices',
      expected: { feature: 'cpe_devices', allowed: true, limit: 3, used: 0, remaining: 3 },
    },
    {
      name: 'item quantities and quotas of different plans add up',
      input: inputs({ subscriptions: [devices, { definition: { quotas: { cpe_devices: 5 } }, quantities: {} }], counts: { cpe_devices: 104 } }),
      feature: 'cpe_devices',
      expected: { feature: 'cpe_devices', allowed: true, limit: 105, used: 104, remaining: 1 },
    },
    {
      name: 'a feature flag is allowed without a limit',
      input: inputs(),
      feature: 'sso',
      expected: { feature: 'sso', allowed: true, limit: null, used: 0, remaining: null },
    },
    {
      name: 'a flag in one plan lifts a quota of the same name in another',
      input: inputs({ subscriptions: [starter, { definition: { features: ['users'] }, quantities: {} }], counts: { users: 50 } }),
      feature: 'users',
      expected: { feature: 'users', allowed: true, limit: null, used: 50, remaining: null },
    },
    {
      name: 'a feature no active plan names is refused, not unknown',
      input: inputs({ counts: { mailboxes: 4 } }),
      feature: 'mailboxes',
      expected: { feature: 'mailboxes', allowed: false, limit: 0, used: 4, remaining: 0, reason: 'not_in_plan' },
    },
    ...(['blocked', 'closed', 'pending_verification', 'suspended'] as const).flatMap((status) => [
      {
        name: `a ${status} account may not use the API`,
        input: inputs({ account: { status, type: 'billing' } }),
        feature: 'api',
        expected: { feature: 'api', allowed: false, limit: null, used: 0, remaining: null, reason: `account_${status}` as const },
      },
      {
        name: `a ${status} account may not use a flag of its plan`,
        input: inputs({ account: { status, type: 'billing' } }),
        feature: 'sso',
        expected: { feature: 'sso', allowed: false, limit: null, used: 0, remaining: null, reason: `account_${status}` as const },
      },
      {
        name: `a ${status} account is refused for its status before its quota`,
        input: inputs({ account: { status, type: 'billing' }, counts: { users: 1 } }),
        feature: 'users',
        expected: { feature: 'users', allowed: false, limit: 5, used: 1, remaining: 4, reason: `account_${status}` as const },
      },
      {
        name: `a ${status} account names its status for features outside its plan too`,
        input: inputs({ account: { status, type: 'billing' } }),
        feature: 'nothing',
        expected: { feature: 'nothing', allowed: false, limit: 0, used: 0, remaining: 0, reason: `account_${status}` as const },
      },
    ]),
    {
      name: 'a blocked account with no plan names the block, not the missing plan',
      input: inputs({ account: { status: 'blocked', type: 'billing' }, subscriptions: [] }),
      feature: 'api',
      expected: { feature: 'api', allowed: false, limit: null, used: 0, remaining: null, reason: 'account_blocked' },
    },
    {
      name: 'a trial cap lowers the plan quota',
      input: inputs({ account: { status: 'active', type: 'trial' }, trial: { quotas: { users: 2 }, denied_features: [] }, counts: { users: 2 } }),
      feature: 'users',
      expected: { feature: 'users', allowed: false, limit: 2, used: 2, remaining: 0, reason: 'trial_limit' },
    },
    {
      name: 'a trial cap above the plan quota changes nothing',
      input: inputs({ account: { status: 'active', type: 'trial' }, trial: { quotas: { users: 50 }, denied_features: [] }, counts: { users: 5 } }),
      feature: 'users',
      expected: { feature: 'users', allowed: false, limit: 5, used: 5, remaining: 0, reason: 'quota_reached' },
    },
    {
      name: 'a trial cap limits an otherwise unlimited flag',
      input: inputs({ account: { status: 'active', type: 'trial' }, trial: { quotas: { sso: 1 }, denied_features: [] } }),
      feature: 'sso',
      expected: { feature: 'sso', allowed: true, limit: 1, used: 0, remaining: 1 },
    },
    {
      name: 'a feature denied to trials is refused for a trial account',
      input: inputs({ account: { status: 'active', type: 'trial' }, trial: { quotas: {}, denied_features: ['sso'] } }),
      feature: 'sso',
      expected: { feature: 'sso', allowed: false, limit: null, used: 0, remaining: null, reason: 'trial_account' },
    },
    {
      name: 'upgrading to billing lifts the trial limits',
      input: inputs({ account: { status: 'active', type: 'billing' }, trial: { quotas: { users: 1 }, denied_features: ['sso'] }, counts: { users: 3 } }),
      feature: 'users',
      expected: { feature: 'users', allowed: true, limit: 5, used: 3, remaining: 2 },
    },
    {
      name: 'a trial cap on a metric no plan names does not grant it',
      input: inputs({ account: { status: 'active', type: 'trial' }, trial: { quotas: { public_ip: 1 }, denied_features: [] } }),
      feature: 'public_ip',
      expected: { feature: 'public_ip', allowed: false, limit: 0, used: 0, remaining: 0, reason: 'not_in_plan' },
    },
    {
      name: "a plan's stop budget reached turns off what only that plan gives",
      input: inputs({ subscriptions: [{ ...starter, plan: 'starter' }, { ...devices, plan: 'devices' }], budgetStops: ['starter'], counts: { users: 1 } }),
      feature: 'sso',
      expected: { feature: 'sso', allowed: false, limit: 0, used: 0, remaining: 0, reason: 'budget_reached' },
    },
    {
      name: "a plan's stop budget leaves what another active plan gives",
      input: inputs({ subscriptions: [{ ...starter, plan: 'starter' }, { ...devices, plan: 'devices' }], budgetStops: ['starter'] }),
      feature: 'cpe_devices',
      expected: { feature: 'cpe_devices', allowed: true, limit: 100, used: 0, remaining: 100 },
    },
    {
      name: "a plan's stop budget leaves API access while another plan runs",
      input: inputs({ subscriptions: [{ ...starter, plan: 'starter' }, { ...devices, plan: 'devices' }], budgetStops: ['starter'] }),
      feature: 'api',
      expected: { feature: 'api', allowed: true, limit: null, used: 0, remaining: null },
    },
    {
      name: 'API access answers budget_reached once every active plan is stopped by its budget',
      input: inputs({ subscriptions: [{ ...starter, plan: 'starter' }], budgetStops: ['starter'] }),
      feature: 'api',
      expected: { feature: 'api', allowed: false, limit: null, used: 0, remaining: null, reason: 'budget_reached' },
    },
  ];

  it.each(cases)('$name', ({ input, feature: name, expected }) => {
    expect(feature(input, name)).toEqual(expected);
  });

  it('lists api first, then every feature the active plans name, by name', () => {
    const result = computeEntitlements(inputs({ subscriptions: [starter, devices] }));
    expect(result.features.map((f) => f.feature)).toEqual(['api', 'cpe_devices', 'public_ip', 'sites', 'sso', 'users']);
    expect(result.status).toBe('active');
    expect(result.type).toBe('billing');
  });

  it('lists only api when no plan is active', () => {
    expect(computeEntitlements(inputs({ subscriptions: [] })).features.map((f) => f.feature)).toEqual(['api']);
  });

  it('a plan cannot redefine api: API access depends on status and plans only', () => {
    const result = computeEntitlements(inputs({ subscriptions: [{ definition: { quotas: { api: 0 } }, quantities: {} }] }));
    expect(result.features.filter((f) => f.feature === 'api')).toEqual([{ feature: 'api', allowed: true, limit: null, used: 0, remaining: null }]);
  });

  it('tolerates stored definitions without the optional sections', () => {
    expect(computeEntitlements(inputs({ subscriptions: [{ definition: {}, quantities: {} }] })).features).toHaveLength(1);
  });

  it('an allowed answer never carries a reason, a refused one always does', () => {
    const all = [inputs(), inputs({ subscriptions: [] }), inputs({ account: { status: 'suspended', type: 'trial' } }), inputs({ counts: { users: 5 } })].flatMap(
      (input) => computeEntitlements(input).features,
    );
    for (const answer of all) expect(answer.allowed).toBe(answer.reason === undefined);
  });
});
