import { describe, expect, it } from 'vitest';
import { lastOwnerRefusal, touchesOwner } from './rules.js';

describe('an account always keeps an owner', () => {
  const alone = [{ userId: 1, role: 'owner' as const }, { userId: 2, role: 'admin' as const }];
  const two = [...alone, { userId: 3, role: 'owner' as const }];
  it.each([
    ['removing the only owner', alone, 1, null, 'last_owner'],
    ['demoting the only owner', alone, 1, 'admin', 'last_owner'],
    ['keeping the only owner an owner', alone, 1, 'owner', undefined],
    ['removing one of two owners', two, 1, null, undefined],
    ['demoting one of two owners', two, 3, 'viewer', undefined],
    ['removing an admin', alone, 2, null, undefined],
  ] as const)('%s', (_name, members, userId, to, code) => {
    expect(lastOwnerRefusal(members, userId, to)?.code).toBe(code);
  });
});

describe('changes that need an owner', () => {
  it.each([
    ['admin', 'owner', true],
    ['owner', 'admin', true],
    ['owner', null, true],
    [null, 'owner', true],
    ['viewer', 'admin', false],
    [null, 'billing', false],
  ] as const)('%s to %s: %s', (from, to, needed) => {
    expect(touchesOwner(from, to)).toBe(needed);
  });
});
