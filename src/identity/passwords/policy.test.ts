import { describe, expect, it } from 'vitest';
import { passwordProblem } from './policy.js';

describe('the password policy', () => {
  it.each([
    ['correct horse battery', undefined],
    ['Tr0ub4dor&3xyz', undefined],
    ['sunny-meadow-42', undefined],
    ['Zürich Bahnhof 9', undefined],
    ['blue-Ocean-lamp', undefined],
  ])('accepts %j', (password, expected) => {
    expect(passwordProblem(password, { email: 'ada@example.com', name: 'Ada Lovelace' })).toBe(expected);
  });

  it.each([
    ['short1!A', /at least 12 characters/],
    ['a'.repeat(129), /at most 128/],
    ['onlylowercaseletters', /two kinds/],
    ['ONLYUPPERCASELETTERS', /two kinds/],
    ['123456789012345', /two kinds/],
    ['aaaaaaaaaaaa1', /5 different/],
    ['abababab12121212', /5 different/],
    ['Password1234', /too common/],
    ['P@ssw0rd!!!!', /too common/],
    ['qwerty123456', /too common/],
    ['abcdefghij12', /sequence/],
    ['ada.lovelace1984', /e-mail/],
    ['xxAdaLovelace77', /your name/],
  ])('refuses %j', (password, reason) => {
    expect(passwordProblem(password, { email: 'ada.lovelace@example.com', name: 'Ada Lovelace' })).toMatch(reason);
  });
});
