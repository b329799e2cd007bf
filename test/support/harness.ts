// Starts a Kassa on a fresh database for one test file: PGlite in memory by default, a new
// PostgreSQL database when DATABASE_URL is set (so runs never collide), on a simulated clock.
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { inject } from 'vitest';
import { buildApp } from '../../src/app.js';
import type { KassaApp } from '../../src/http/kassa-app.js';
import { createApiKey } from '../../src/auth/api-keys.js';
import { defaultBillingSettings, type BillingSettings, type PaymentSettings, type WebhookSettings } from '../../src/config.js';
import type { Kassa } from '../../src/context.js';
import { openKassa } from '../../src/kassa.js';
import { checkOutboxAgainstCatalogue } from './event-schemas.js';
import { adminQuery, databaseUrl } from './postgres-admin.js';
import { replyBody } from './reply-body.js';

export interface Harness {
  app: KassaApp;
  kassa: Kassa;
  apiKey: string;
  databaseUrl: string | undefined;
  /** Calls the API with the provider key. Bodies are JSON; the response JSON is parsed. */
  // Tests read response bodies field by field; typing every shape here would only restate the schemas.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  call(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Record<string, unknown> }>;
  close(): Promise<void>;
}

/** The run's migrated PGlite template, read once per test worker. */
let template: Blob | undefined;
const pgliteTemplate = () => (template ??= new Blob([readFileSync(inject('pgliteTemplate'))]));

/**
 * A fresh database for one test file, already migrated: on PostgreSQL a copy of the run's
 * template database (test/support/global-setup.ts); on PGlite `loadDataDir`, the template's
 * dump for an in-memory database (`dataDir: 'memory://'`). `empty`: no schema at all.
 */
export async function createTestDatabase(options: { empty?: boolean } = {}): Promise<{ url: string | undefined; loadDataDir?: Blob; drop(): Promise<void> }> {
  const base = process.env.DATABASE_URL;
  if (!base) return { url: undefined, loadDataDir: options.empty ? undefined : pgliteTemplate(), drop: async () => {} };
  const name = `kassa_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const template = options.empty ? undefined : inject('postgresTemplate');
  await adminQuery(base, `create database ${name}${template ? ` template ${template}` : ''}`);
  return { url: databaseUrl(base, name), drop: () => adminQuery(base, `drop database if exists ${name} with (force)`) };
}

/** A log destination for buildApp's `logDestination` that keeps every line it is given. */
export function logCapture(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({ write: (chunk, _encoding, done) => { lines.push(String(chunk)); done(); } });
  return { stream, lines };
}

/**
 * A new PGlite data folder holding the run's migrated template: what `kassa migrate` leaves in
 * an empty folder, copied in milliseconds instead of seconds of initdb and migrations. For a
 * process that opens a folder (a CLI run, a crash test's child, `npm start`) and tests
 * something else than the first migration. The caller removes it.
 */
export function migratedDataFolder(prefix: string): string {
  const folder = mkdtempSync(join(tmpdir(), prefix));
  cpSync(inject('pgliteTemplateFolder'), folder, { recursive: true });
  return folder;
}

export async function startHarness(options: { clockStart?: string; billing?: Partial<BillingSettings>; payments?: PaymentSettings; webhooks?: WebhookSettings } = {}): Promise<Harness> {
  const database = await createTestDatabase();
  const { kassa, database: opened } = await openKassa({
    databaseUrl: database.url,
    dataDir: 'memory://',
    loadDataDir: database.loadDataDir,
    poolSize: 4,
    clock: 'simulated',
    clockStart: new Date(options.clockStart ?? '2026-11-02T00:00:00Z'),
    billing: { ...defaultBillingSettings, ...options.billing },
    payments: options.payments,
    // As in production unless a test says otherwise: https only, public addresses only.
    webhooks: options.webhooks ?? { allowHttp: false, allowPrivate: false },
  });
  const app = await buildApp(kassa);
  const { secret } = await createApiKey(kassa.db, 'tests', kassa.clock.now());
  return {
    app,
    kassa,
    apiKey: secret,
    databaseUrl: database.url,
    async call(method, url, body, headers = {}) {
      const response = await app.inject({
        method: method as 'GET',
        url,
        headers: { authorization: `Bearer ${secret}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        payload: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      return { status: response.statusCode, body: replyBody(response), headers: response.headers };
    },
    async close() {
      // Before anything closes, so a payload that drifts from the catalogue fails its file.
      await checkOutboxAgainstCatalogue(kassa.db);
      await app.close();
      await opened.close();
      await database.drop();
    },
  };
}
