import { describe, expect, it } from 'vitest';
import type { PlanDefinition } from '../catalog/plan-definition.js';
import { limitsOf, overLimitCrossings, quotaBlockers, summedLimits } from './quotas.js';

const plan = (quotas: Record<string, number>, items: string[] = []): Pick<PlanDefinition, 'quotas' | 'items'> => ({
  quotas,
  items: items.map((service) => ({ service, unit_price: '1', tier_mode: 'flat', included: 0, min: 0, max: null, default: 1, decrease: 'refund' })),
});

describe('the limits of a subscription', () => {
  it('are its plan quotas, then the quantities of items no quota names', () => {
    const limits = limitsOf({ definition: plan({ sites: 5, seats: 2 }, ['seats', 'users']), quantities: { seats: 10, users: 7 } });
    expect(Object.fromEntries(limits)).toEqual({ sites: 5, seats: 2, users: 7 });
  });
  it('add up over subscriptions', () => {
    const total = summedLimits([{ definition: plan({ sites: 5 }), quantities: {} }, { definition: plan({ sites: 3, users: 1 }), quantities: {} }]);
    expect(Object.fromEntries(total)).toEqual({ sites: 8, users: 1 });
  });
});

describe('the quotas that block a change', () => {
  const small = { definition: plan({ sites: 5, users: 10, ips: 1 }), quantities: {} };
  it.each([
    ['none when every count fits (at the limit is fine)', { sites: 5, users: 10 }, []],
    ['every metric over its limit, by name', { sites: 8, users: 12, ips: 1, other: 99 }, [
      { quota: 'sites', limit: 5, current: 8 },
      { quota: 'users', limit: 10, current: 12 },
    ]],
  ])('%s', (_name, counts, expected) => {
    expect(quotaBlockers(small, [], counts)).toEqual(expected);
  });
  it('counts the other active subscriptions of the account', () => {
    expect(quotaBlockers(small, [{ definition: plan({ sites: 5 }), quantities: {} }], { sites: 8 })).toEqual([]);
  });
});

describe('over-limit crossings', () => {
  const limits = new Map([['contacts', 100]]);
  it.each([
    ['under to over: one crossing', { contacts: 100 }, { contacts: 101 }, ['contacts']],
    ['over and further over: not again', { contacts: 101 }, { contacts: 150 }, []],
    ['back under, then over again: a new crossing', { contacts: 90 }, { contacts: 120 }, ['contacts']],
    ['never reported before, now over', {}, { contacts: 101 }, ['contacts']],
    ['a metric no plan limits: never', {}, { other: 1_000 }, []],
  ])('%s', (_name, previous, next, expected) => {
    expect(overLimitCrossings(limits, previous as Record<string, number>, next as Record<string, number>).map((c) => c.metric)).toEqual(expected);
  });
});
