import { describe, expect, it } from 'vitest';
import { BackgroundWork } from './background.js';

describe('BackgroundWork', () => {
  it('settles after every task started, including one started by another task', async () => {
    const work = new BackgroundWork();
    const done: string[] = [];
    const log = { error: () => {} };
    work.run('first', async () => {
      await Promise.resolve();
      done.push('first');
      work.run('second', async () => void done.push('second'), log);
    }, log);
    await work.settled();
    expect(done).toEqual(['first', 'second']);
    expect(work.started).toBe(2);
  });

  it('logs a failure with its name and goes on', async () => {
    const work = new BackgroundWork();
    const logged: string[] = [];
    work.run('reset request', async () => {
      throw new Error('boom');
    }, { error: (_object, message) => void logged.push(message) });
    await work.settled();
    expect(logged).toEqual(['reset request failed']);
  });
});
