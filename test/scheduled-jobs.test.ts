// One list of scheduled jobs (src/jobs/scheduled.ts) serves both clocks: a job in it runs at
// every midnight a simulated-clock advance passes and at its target, and on each check of
// the real-clock scheduler, after the billing run in both cases.
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScheduler } from '../src/jobs/scheduler.js';
import { type ScheduledJob, scheduledJobs } from '../src/jobs/scheduled.js';
import { type Harness, startHarness } from './support/harness.js';

let h: Harness;
const seen: string[] = [];
const recorder: ScheduledJob = {
  name: 'recorder',
  run: async (kassa, at) => {
    const runs = await kassa.db.query.billingRuns.findMany();
    seen.push(`${at.toISOString()} after ${runs.length} run(s)`);
    return 1;
  },
};

beforeAll(async () => {
  h = await startHarness({ clockStart: '2026-11-02T13:00:00Z' });
  scheduledJobs.push(recorder);
});
afterAll(async () => {
  scheduledJobs.splice(scheduledJobs.indexOf(recorder), 1);
  await h.close();
});

describe('the scheduled jobs', () => {
  it('run at each midnight a simulated advance passes, after its billing run, and at the target', async () => {
    const moved = await h.call('POST', '/v1/clock/advance', { to: '2026-11-04T06:00:00Z' });
    expect(moved.status).toBe(200);
    expect(seen.splice(0)).toEqual([
      '2026-11-03T00:00:00.000Z after 1 run(s)',
      '2026-11-04T00:00:00.000Z after 2 run(s)',
      '2026-11-04T06:00:00.000Z after 2 run(s)',
    ]);
  });

  it('run on each check of the real-clock scheduler, after the billing run it does', async () => {
    const logged: string[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line).msg) });
    const scheduler = startScheduler(h.kassa, log);
    await scheduler.stop();
    expect(seen.splice(0)).toEqual(['2026-11-04T06:00:00.000Z after 2 run(s)']);
    expect(logged).toContain('recorder: 1');
  });
});
