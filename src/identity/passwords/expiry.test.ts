import { describe, expect, it } from 'vitest';
import { dueNotice, isPasswordExpired, passwordExpiresAt } from './expiry.js';

const changed = new Date('2026-01-01T00:00:00Z');
const expires = passwordExpiresAt(changed, 180)!;
const before = (days: number, ms = 0) => new Date(expires.getTime() - days * 86_400_000 + ms);

describe('password expiry', () => {
  it('expires 180 days after the change, never with a max age of 0', () => {
    expect(expires.toISOString()).toBe('2026-06-30T00:00:00.000Z');
    expect(passwordExpiresAt(changed, 0)).toBeNull();
    expect(isPasswordExpired(changed, 0, new Date('2099-01-01'))).toBe(false);
    expect(isPasswordExpired(changed, 180, before(0, -1))).toBe(false);
    expect(isPasswordExpired(changed, 180, expires)).toBe(true);
  });

  it.each([
    [before(15), null],
    [before(14, -1), null],
    [before(14), 14],
    [before(8), 14],
    [before(7), 7],
    [before(2), 7],
    [before(1), 1],
    [before(0, -1), 1],
    [expires, null],
  ])('at %s the due heads-up is %s', (now, days) => {
    expect(dueNotice(expires, now)).toBe(days);
  });
});
