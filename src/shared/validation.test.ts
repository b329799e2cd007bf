import { describe, expect, it } from 'vitest';
import { unstorableTextAt } from './validation.js';

describe('unstorableTextAt', () => {
  it.each([
    ['plain text', { name: 'Acme GmbH' }, undefined],
    ['a complete surrogate pair (an emoji)', { name: 'Acme \ud83d\ude80' }, undefined],
    ['a NUL character', { name: 'a\u0000b' }, '/name'],
    ['a high surrogate alone', { name: 'a\ud800' }, '/name'],
    ['a low surrogate alone', { name: '\udc00b' }, '/name'],
    ['deep in arrays and objects', { prices: [{ definition: { quotas: { users: 1 } } }, { x: ['ok', 'a\u0000'] }] }, '/prices/1/x/1'],
    ['in a key, escaped as a JSON pointer', { quotas: { 'a/\u0000': 1 } }, '/quotas/a~1\u0000'],
    ['a bare string', 'a\u0000', '/'],
    ['numbers, booleans and null', { n: 1, b: true, z: null }, undefined],
  ])('%s', (_what, value, expected) => {
    expect(unstorableTextAt(value)).toBe(expected);
  });
});
