// POST /v1/clock/advance (issue 16, fault 10): a `to` years ahead used to hold the request,
// and the server, while it billed every day until then. One advance moves at most 366 days;
// one past 31 midnights answers 202 at once and goes on in the background, with progress.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ clockStart: '2026-11-02T12:00:00Z' });
});
afterAll(() => h.close());

describe('advancing the simulated clock', () => {
  it('refuses to move more than 366 days at once, by `to` or by `seconds`, and the clock stays', async () => {
    const far = await h.call('POST', '/v1/clock/advance', { to: '2036-01-01T00:00:00Z' });
    expect(far.status).toBe(400);
    expect(far.body).toMatchObject({ code: 'validation_failed', field: '/to' });
    const long = await h.call('POST', '/v1/clock/advance', { seconds: 367 * 86_400 });
    expect(long.status).toBe(400);
    expect(long.body).toMatchObject({ code: 'validation_failed', field: '/seconds' });
    expect((await h.call('GET', '/v1/clock')).body.now).toBe('2026-11-02T12:00:00.000Z');
  });

  it('answers a short advance with its runs, as before', async () => {
    const short = await h.call('POST', '/v1/clock/advance', { to: '2026-11-04T00:00:00Z' });
    expect(short.status).toBe(200);
    expect(short.body.runs.map((r: { boundary: string }) => r.boundary)).toEqual(['2026-11-03T00:00:00.000Z', '2026-11-04T00:00:00.000Z']);
  });

  it('answers a long one at once with where to follow it, while the server keeps answering', async () => {
    const started = await h.call('POST', '/v1/clock/advance', { to: '2027-01-04T00:00:00Z' }); // 61 midnights
    expect(started.status).toBe(202);
    expect(started.headers.location).toBe(`/v1/clock/advances/${started.body.id}`);
    expect(started.body).toMatchObject({ status: 'running', from: '2026-11-04T00:00:00.000Z', to: '2027-01-04T00:00:00.000Z', boundaries_total: 61 });
    expect((await h.call('GET', '/v1/accounts')).status).toBe(200); // not held by the advance

    let progress = started.body;
    const seen = new Set<number>();
    while (progress.status === 'running') {
      seen.add(progress.boundaries_done);
      await new Promise((resolve) => setImmediate(resolve)); // let the advance go on; no timer
      progress = (await h.call('GET', started.headers.location as string)).body;
    }
    expect(progress).toMatchObject({ status: 'completed', boundaries_done: 61, now: '2027-01-04T00:00:00.000Z' });
    expect(seen.size).toBeGreaterThan(1); // it was seen part way
    const runs = (await h.call('GET', '/v1/billing-runs?limit=200')).body.data as { boundary: string }[];
    expect(runs.filter((r) => r.boundary > '2026-11-04T00:00:00.000Z')).toHaveLength(61);
  });

  it('knows no advance it did not start', async () => {
    expect((await h.call('GET', '/v1/clock/advances/999')).status).toBe(404);
  });
});
