// The demo a fresh Kassa starts with: a catalog priced in EUR and USD, a customer with a
// balance and a working API key; seeded once, never twice.
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoPlans, demoServices } from '../src/catalog/demo-catalog.js';
import { definitionProblems } from '../src/catalog/plan-definition.js';
import { query } from '../src/db/client.js';
import { accounts } from '../src/db/schema.js';
import { seedDemo } from '../src/demo.js';
import { type Harness, startHarness } from './support/harness.js';

let h: Harness;
let apiKey: string | undefined;
beforeAll(async () => {
  h = await startHarness({ clockStart: '2026-11-02T13:00:00Z' });
  apiKey = (await seedDemo(h.kassa))?.apiKey;
});
afterAll(() => h.close());

const withDemoKey = (url: string) => h.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${apiKey}` } });
const quote = async (code: string, currency: string, quantities = '') => {
  const plans = (await h.call('GET', '/v1/plans?limit=200')).body.data as { id: number; code: string }[];
  const plan = plans.find((p) => p.code === code)!;
  return (await h.call('GET', `/v1/plans/${plan.id}/price?currency=${currency}&quantities=${quantities}`)).body;
};

describe('the demo', () => {
  it('returns an API key that works', async () => {
    expect(apiKey).toMatch(/^kassa_sk_/);
    const services = await withDemoKey('/v1/services?limit=200');
    expect(services.statusCode).toBe(200);
    expect(services.json().data.map((s: { code: string }) => s.code)).toEqual(demoServices.map((s) => s.code));
  });

  it('prices every plan in EUR and USD, each a definition the API itself would accept', async () => {
    for (const plan of demoPlans) {
      for (const [currency, definition] of Object.entries(plan.prices)) {
        expect(definitionProblems(definition)).toEqual([]);
        expect((await quote(plan.code, currency)).version).toBe(1);
      }
    }
  });

  it('makes a custom configuration cost more than the preset with the same devices (seed 000)', async () => {
    // preset: 2.40 with 100 devices included; custom: 100 x 0.03 = 3.00
    expect((await quote('dms_starter', 'EUR', 'cpe_devices:100')).period_amount).toBe('240');
    expect((await quote('dms_custom', 'EUR', 'cpe_devices:100')).period_amount).toBe('300');
  });

  it('gives the demo customer a balance, posted to the ledger as a balanced adjustment', async () => {
    const [account] = await h.kassa.db.select().from(accounts).where(eq(accounts.externalRef, 'demo'));
    expect(account).toMatchObject({ currency: 'EUR', type: 'billing', status: 'active', balance: 10_000n });
    const [ledger] = await query<{ total: bigint; customer: bigint; kinds: string }>(
      h.kassa.db,
      sql`select sum(p.amount)::int8 as total,
                 (sum(p.amount) filter (where p.ledger_account = 'customer'))::int8 as customer,
                 string_agg(distinct t.kind, ',') as kinds
          from ledger_postings p join ledger_transactions t on t.id = p.transaction_id
          where p.account_id = ${account!.id}`,
    );
    // PGlite hands small int8 aggregates back as numbers, node-postgres as bigint: compare as bigint.
    expect({ total: BigInt(ledger!.total), customer: BigInt(ledger!.customer), kinds: ledger!.kinds }).toEqual({ total: 0n, customer: 10_000n, kinds: 'adjustment' });
  });

  it('seeds only a fresh database: a restart adds nothing', async () => {
    const counts = async () =>
      BigInt((await query<{ n: bigint }>(h.kassa.db, sql`select (select count(*) from services) + (select count(*) from plan_versions) + (select count(*) from accounts) + (select count(*) from api_keys) as n`))[0]!.n);
    const before = await counts();
    expect(await seedDemo(h.kassa)).toBeUndefined();
    expect(await counts()).toBe(before);
  });
});
