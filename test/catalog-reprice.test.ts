// A price change reaches running subscriptions from the boundary it becomes effective at:
// repriceSubscriptions moves them to the new version and recomputes their period amount.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repriceSubscriptions, repriceSubscriptionsDetailed } from '../src/catalog/reprice.js';
import { type SubscriptionStatus, accounts, subscriptions } from '../src/db/schema.js';
import { type Harness, startHarness } from './support/harness.js';

let h: Harness;
let planId: number;
let v1: number;
let accountId: number;

const starter = (base: string) => ({
  base_price: base,
  items: [{ service: 'cpe_devices', unit_price: '0.02', included: 100, default: 100 }],
});
const addVersion = async (base: string, effectiveFrom: string) =>
  (await h.call('POST', `/v1/plans/${planId}/versions`, { currency: 'EUR', definition: starter(base), effective_from: effectiveFrom })).body.id as number;

async function subscribe(status: SubscriptionStatus, devices: number, versionId = v1) {
  const now = h.kassa.clock.now();
  const [row] = await h.kassa.db
    .insert(subscriptions)
    .values({ accountId, planId, planVersionId: versionId, status, cadence: 'daily', timing: 'in_advance', anchorDay: 2, quantities: { cpe_devices: devices }, periodAmount: 0n, createdAt: now, statusChangedAt: now })
    .returning();
  return row!.id;
}
const subscription = async (id: number) => (await h.kassa.db.select().from(subscriptions).where(eq(subscriptions.id, id)))[0]!;

beforeAll(async () => {
  h = await startHarness({ clockStart: '2026-11-02T13:00:00Z' });
  await h.call('POST', '/v1/services', { code: 'cpe_devices', name: 'CPE devices', unit: 'device' });
  const plan = await h.call('POST', '/v1/plans', { code: 'dms', name: 'DMS', kind: 'preset', cadence: 'daily', timing: 'in_advance', prices: [{ currency: 'EUR', definition: starter('2.40') }] });
  planId = plan.body.id;
  v1 = plan.body.versions[0].id;
  const [account] = await h.kassa.db.insert(accounts).values({ name: 'Acme', currency: 'EUR', createdAt: h.kassa.clock.now() }).returning();
  accountId = account!.id;
});
afterAll(() => h.close());

describe('repricing running subscriptions', () => {
  let active: number;
  let disabled: number;
  let cancelled: number;
  beforeAll(async () => {
    active = await subscribe('active', 250);
    disabled = await subscribe('disabled', 100);
    cancelled = await subscribe('cancelled', 250);
  });

  it('changes nothing while no newer version is effective', async () => {
    expect(await repriceSubscriptions(h.kassa.db, h.kassa.clock.now())).toBe(0);
    await addVersion('2.90', '2026-11-03T00:00:00Z');
    expect(await repriceSubscriptions(h.kassa.db, new Date('2026-11-02T23:59:59Z'))).toBe(0);
    expect((await subscription(active)).planVersionId).toBe(v1);
  });

  it('moves every subscription not cancelled to the version effective at the boundary', async () => {
    expect(await repriceSubscriptions(h.kassa.db, new Date('2026-11-03T00:00:00Z'))).toBe(2);
    const v2 = (await h.call('GET', `/v1/plans/${planId}`)).body.versions[1].id;
    // 2.90 + (250 - 100) x 0.02 = 2.90 + 3.00 = 5.90
    expect(await subscription(active)).toMatchObject({ planVersionId: v2, periodAmount: 590n });
    // 100 devices are all included: 2.90
    expect(await subscription(disabled)).toMatchObject({ planVersionId: v2, periodAmount: 290n });
    // a cancelled subscription keeps what it had
    expect(await subscription(cancelled)).toMatchObject({ planVersionId: v1, periodAmount: 0n });
  });

  it('does nothing the second time', async () => {
    expect(await repriceSubscriptions(h.kassa.db, new Date('2026-11-03T00:00:00Z'))).toBe(0);
  });

  it('jumps straight to the latest effective version, past ones it never ran on', async () => {
    await addVersion('3.00', '2026-11-04T00:00:00Z');
    const v4 = await addVersion('3.10', '2026-11-05T00:00:00Z');
    expect(await repriceSubscriptions(h.kassa.db, new Date('2026-11-05T00:00:00Z'))).toBe(2);
    // 3.10 + 150 x 0.02 = 6.10
    expect(await subscription(active)).toMatchObject({ planVersionId: v4, periodAmount: 610n });
  });
});

describe('repricing in batches', () => {
  it('walks every outdated subscription batch by batch and names the accounts touched', async () => {
    const current = (await h.call('GET', `/v1/plans/${planId}`)).body.versions.at(-1).id as number;
    const ids = [];
    for (let devices = 100; devices < 105; devices++) ids.push(await subscribe('active', devices, current));
    await addVersion('4', '2026-11-06T00:00:00Z');
    const outcome = await repriceSubscriptionsDetailed(h.kassa.db, new Date('2026-11-06T00:00:00Z'), { batchSize: 2 });
    // the five new ones plus the two moved before
    expect(outcome).toEqual({ changed: 7, accountIds: [accountId] });
    // 4 + (104 - 100) x 0.02 = 4.08
    expect((await subscription(ids[4]!)).periodAmount).toBe(408n);
  });
});
