import { describe, expect, it } from 'vitest';
import { FORGET_AFTER_MS, delayAfter, waitLeft } from './login-slowdown.js';

const MIN = 60_000;

describe('delayAfter', () => {
  it.each([
    [0, 0],
    [4, 0],
    [5, 1 * MIN], // the first slowed attempt: one minute
    [6, 2 * MIN],
    [7, 4 * MIN],
    [8, 8 * MIN],
    [9, 15 * MIN], // 16 min, capped at 15
    [50, 15 * MIN],
  ])('after %i wrong passwords the next waits %i ms', (count, delay) => expect(delayAfter(count)).toBe(delay));
});

describe('waitLeft', () => {
  it.each([
    ['nothing counted', undefined, 0, 0],
    ['under the free attempts', { count: 3, lastAt: 0 }, 1, 0],
    ['just slowed', { count: 5, lastAt: 0 }, 1_000, MIN - 1_000],
    ['waited enough', { count: 5, lastAt: 0 }, MIN, 0],
    ['forgotten a day later', { count: 40, lastAt: 0 }, FORGET_AFTER_MS, 0],
  ])('%s', (_name, entry, now, left) => expect(waitLeft(entry, now)).toBe(left));
});
