// Migrations are incremental and never edited once released (AGENTS.md): a deployed database
// upgrades by applying the files it has not seen yet. The released files are pinned by hash
// here; a database built by the first migration, with data in it, migrates to the current
// schema with its data intact (on PGlite in a data folder, or a fresh PostgreSQL database).
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { createApiKey } from '../src/auth/api-keys.js';
import { defaultBillingSettings } from '../src/config.js';
import { type Db, query } from '../src/db/client.js';
import { verifyLedger } from '../src/ledger/verify.js';
import { openKassa } from '../src/kassa.js';
import { createTestDatabase } from './support/harness.js';

const folder = fileURLToPath(new URL('../drizzle', import.meta.url));

/** Every released migration and the SHA-256 of its text as released. Add a line per release; never change one. */
const RELEASED: Record<string, string> = {
  '0000_init.sql': '5b246478c0b4bb5cd24eac0a8d401f4e0a132473e2d326e8af3d84991fad6a36',
  '0001_outbox_provider_events.sql': 'd80826f03fcdc7ff869800909abf193c535fa7eaad856e709477d1cbf6fc6b1e',
  '0002_top_ups.sql': 'de720f471abd20f9baaa1f7670886bcb262f0281d7f1bf3ac8aa9b5d99271bec',
  '0003_bank_statements.sql': 'c26eb7966779f7364cd1d0e73b76f6b3211baaab250049af92f141e976ce2521',
  '0004_card_payments.sql': '7120bcd3d4f37e2ee3c62d41f1964c79cd845cb191af85fb6ca632bee818c641',
  '0005_auto_top_up.sql': 'c8f89137fa2c5910625a450425eef8af2723dc5bdacdb455b5f1dade34468723',
  '0006_payment_event_inbox.sql': '16a0875d72b480780df8036cdf9a01062cf71aaf1e0a58aa4e61e5b88b5bdcbe',
  '0007_usage_events.sql': '5376f97d049ccda2a054f63cbd3663b486438218e1722908f53701ab55131359',
  '0008_seat_paid_mark.sql': 'aa7b180dc137a9208527944b7425c613cf243660fad4af85150e4450b5eb5423',
  '0009_usage_rating.sql': '6f4d1262be001b2963c6f84b49d118370ad66904ba2f14a9670bd65994fe24a8',
  '0010_usage_reservations.sql': '3216748042b302e526c2982ea8b7cd3ab37696877c464f016d87b29204371330',
  '0011_usage_unrated.sql': 'd41be4fcee208b8d93ce3eccaad4c4f61e2e5ccb838d1629ed5a4c547c165996',
  '0012_credit_grants.sql': '7c85cb3150abc9a18e198c965c382f945bd3b32b02a81876594d9ce1011a5169',
  '0013_ledger_posting_service.sql': '3f44238266af735882d1f11e72aed0d5a2b06400432dcc41bb46ad5f05fe4b74',
  '0014_budgets.sql': '5ab655ae795fbcba47c6985e26440ab62b1ad75cd99fcd51e583214ac0ee2745',
  '0015_subscription_period_discount.sql': '22c9a481df6a73578a73ccc7c6045df887898c4712c02a74227b4ed3ccdd0fd3',
  '0016_subscriptions_in_arrears_index.sql': '0097e61071858cfc1313387df74c84b8fb2704c239fb16782f404ad22841d6f3',
  '0017_outbox_payload_json.sql': '07548bf784125df020e1937bc661d4fb318f6b675541343f999c30e021631017',
  '0018_accounts_fillfactor.sql': '470300140d326cf6744ca62497635b8b64358cfd1da026aa11051cddfd46c142',
  '0019_billing_run_batches.sql': 'd7e26f9479cdeab03b56457e00cbb10356d8491dabdcc4e62641546899bcda0e',
  '0020_document_counters.sql': 'd2d33e678d570d9dc4ae3549e2bd9d5d6d141eb4ec6b19fcbbf73a8bf7defb9e',
  '0021_account_billing_details.sql': '8d9be48d4891aacc49a27013f1122afd0acbcb7ee544c47123603d52b0410075',
  '0022_documents.sql': '4b5f28b0af71fb7f2a4c45ff01c86213ba84a6781581fc460e9caca4ef793a07',
  '0023_document_files.sql': '6b707527d53319376fdd0890af74b34a82b7823aa0ce403ec7b31a782d63c6fe',
  '0024_webhook_endpoints.sql': '77dc30e9c705d0f7064a135f1bf908aa6353fb23b2fb5a78ca9094dc9b28f3d0',
  '0025_webhook_deliveries.sql': 'd1212f8b6bb8552115aa81101946b4d929261bd14c96d3d4d867aa962ebc2dfb',
  '0026_webhook_endpoint_health.sql': '236ef0daf7bfa596d82db79f00194c78d5033072326cd110d2186b24e70a1593',
  '0027_attempt_counts.sql': 'ac0d55f3b08f7136a6ba6ab999cedc81c06b0e90a68a3af388a1cb23a0dc2f32',
};

interface Journal {
  entries: { idx: number; tag: string; when: number }[];
}
const journal = JSON.parse(readFileSync(join(folder, 'meta/_journal.json'), 'utf8')) as Journal;

describe('the migrations', () => {
  it('keep every released file byte for byte as released', () => {
    for (const [file, hash] of Object.entries(RELEASED)) {
      expect(createHash('sha256').update(readFileSync(join(folder, file))).digest('hex'), file).toBe(hash);
    }
  });

  it('are one journal entry per file, in order, each later than the one before', () => {
    const files = readdirSync(folder).filter((f) => f.endsWith('.sql')).sort();
    expect(journal.entries.map((e) => `${e.tag}.sql`)).toEqual(files);
    expect(journal.entries.map((e) => e.idx)).toEqual(files.map((_, i) => i));
    for (let i = 1; i < journal.entries.length; i++) expect(journal.entries[i]!.when).toBeGreaterThan(journal.entries[i - 1]!.when);
    expect(files[0]).toBe('0000_init.sql');
  });
});

describe('a database built by the first migration', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  /** A migrations folder holding only the first migration, as a database of that release saw it. */
  function firstReleaseFolder(): string {
    const dir = mkdtempSync(join(tmpdir(), 'kassa-first-release-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    mkdirSync(join(dir, 'meta'));
    cpSync(join(folder, '0000_init.sql'), join(dir, '0000_init.sql'));
    writeFileSync(join(dir, 'meta/_journal.json'), JSON.stringify({ ...journal, entries: journal.entries.slice(0, 1) }));
    return dir;
  }

  /** An account with 50.00 EUR credited through one balanced ledger transaction, in the first schema. */
  async function seedFirstRelease(db: Db): Promise<void> {
    const at = new Date('2026-11-02T10:00:00Z');
    const [account] = await query<{ id: bigint | number }>(db, sql`insert into accounts (name, currency, balance, created_at) values ('Acme GmbH', 'EUR', 5000, ${at}) returning id`);
    const [credit] = await query<{ id: bigint | number }>(db, sql`insert into ledger_transactions (account_id, kind, description, customer_amount, created_at) values (${account!.id}, 'adjustment', 'bank transfer', 5000, ${at}) returning id`);
    await query(db, sql`insert into ledger_postings (transaction_id, line, account_id, ledger_account, amount) values (${credit!.id}, 1, ${account!.id}, 'customer', 5000), (${credit!.id}, 2, ${account!.id}, 'adjustments', -5000)`);
    expect([account!.id, credit!.id].map(Number)).toEqual([1, 1]);
  }

  it('migrates to the current schema with its data intact, and Kassa serves it', async () => {
    const first = firstReleaseFolder();
    const database = await createTestDatabase({ empty: true });
    cleanups.push(database.drop);
    let dataDir = 'memory://';
    if (database.url) {
      const pool = new pg.Pool({ connectionString: database.url, max: 1 });
      const db = drizzlePg(pool) as unknown as Db;
      await migratePg(db as never, { migrationsFolder: first });
      await seedFirstRelease(db);
      await pool.end();
    } else {
      dataDir = mkdtempSync(join(tmpdir(), 'kassa-upgrade-'));
      cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
      const client = await PGlite.create(dataDir);
      const db = drizzlePglite(client) as unknown as Db;
      await migratePglite(db as never, { migrationsFolder: first });
      await seedFirstRelease(db);
      await client.close();
    }

    // Opening Kassa applies every later migration.
    const { kassa, database: opened } = await openKassa({ databaseUrl: database.url, dataDir, clock: 'simulated', clockStart: new Date('2026-11-03T00:00:00Z'), billing: defaultBillingSettings });
    cleanups.push(() => opened.close());
    const applied = await query<{ count: bigint }>(kassa.db, sql`select count(*) as count from drizzle.__drizzle_migrations`);
    expect(Number(applied[0]!.count)).toBe(journal.entries.length);
    const app = await buildApp(kassa);
    cleanups.push(() => app.close());
    const { secret } = await createApiKey(kassa.db, 'upgrade test', kassa.clock.now());
    const balance = await app.inject({ method: 'GET', url: '/v1/accounts/1/balance', headers: { authorization: `Bearer ${secret}` } });
    expect(balance.statusCode).toBe(200);
    expect(balance.json()).toMatchObject({ currency: 'EUR', balance: '5000' });
    expect((await verifyLedger(kassa.db)).ok).toBe(true);
    // The sequences carry on after the old rows.
    const created = await app.inject({ method: 'POST', url: '/v1/accounts', headers: { authorization: `Bearer ${secret}` }, payload: { name: 'Globex', currency: 'EUR' } });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json().id).toBe(2);
  });
});
