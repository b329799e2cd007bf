// SPEC 4 and 6: a subscription the billing run suspends stops granting its features at once,
// while every other account keeps answering from memory. After each batch the run reads again
// the cached answers of the accounts it suspended, and only theirs, in one query before the
// next batch starts: a check during a long run does not wait for a batch.
// 2026-11-02 is a Monday. The plan costs 24.00 a day (2400 minor units, 100 an hour) and grants `sso`.
import { beforeAll, describe, expect, it } from 'vitest';
import { billingScenario } from './support/scenario.js';

const s = billingScenario('2026-11-02T13:00:00Z');
let plan: number;

beforeAll(async () => {
  plan = await s.createPlan('24.00', { features: ['sso'] });
});

const sso = async (accountId: number) => (await s.call<{ allowed: boolean; reason?: string }>('GET', `/v1/accounts/${accountId}/entitlements/sso`)).body;

describe('entitlements across a billing run', () => {
  it('the run suspends the account that cannot pay, and only its answers are read again', async () => {
    const short = await s.fundedAccount('3000');
    await s.subscribe(short, plan); // 2400 x 11/24 = 1100 at once; 1900 left, under the next day's 2400
    const funded = await s.fundedAccount('100000');
    await s.subscribe(funded, plan);
    expect(await sso(short)).toMatchObject({ allowed: true });
    expect(await sso(funded)).toMatchObject({ allowed: true });
    const cache = s.kassa().entitlements;
    const loadsBefore = cache.loads;

    const [run] = await s.advanceTo('2026-11-03T00:00:00Z');
    expect(run).toMatchObject({ billed: 1, suspended: 1 });

    // Read again right after its batch, in one query, before any check asked.
    expect(cache.loads).toBe(loadsBefore + 1);
    expect(cache.peek(short)?.byFeature.has('sso')).toBe(false); // in memory, and no running plan grants it
    expect(await sso(short)).toMatchObject({ allowed: false });
    expect(await sso(funded)).toMatchObject({ allowed: true });
    expect(cache.loads).toBe(loadsBefore + 1); // both answered from memory
  });
});
