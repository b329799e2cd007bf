// The served /openapi.json is good enough to build clients from (issue 16, item 4): Redocly's
// recommended rules find no error in it, and TypeScript types generated from it with
// openapi-typescript type-check a small openapi-fetch client, refusing what the API refuses.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './support/harness.js';

const ROOT = path.resolve(import.meta.dirname, '..');
let h: Harness;
let dir: string;
let document: string;
beforeAll(async () => {
  h = await startHarness();
  document = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).body;
  // Under node_modules, so the client below resolves openapi-fetch as an application would.
  mkdirSync(path.join(ROOT, 'node_modules/.cache'), { recursive: true });
  dir = mkdtempSync(path.join(ROOT, 'node_modules/.cache/kassa-client-'));
  writeFileSync(path.join(dir, 'openapi.json'), document);
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await h.close();
});

describe('the OpenAPI document', () => {
  it('passes Redocly lint with its recommended rules: no error', async () => {
    const cli = path.join(ROOT, 'node_modules/@redocly/cli/bin/cli.js');
    const run = await promisify(execFile)(process.execPath, [cli, 'lint', path.join(dir, 'openapi.json'), '--format', 'json'], { cwd: dir, timeout: 60_000 }).catch(
      (error: { stdout?: string; stderr?: string }) => ({ stdout: error.stdout ?? '', stderr: error.stderr ?? '' }),
    );
    const report = JSON.parse(run.stdout) as { totals: { errors: number; warnings: number }; problems: { ruleId: string; severity: string; message: string }[] };
    expect(report.problems.filter((p) => p.severity === 'error')).toEqual([]);
    expect(report.totals.errors).toBe(0);
  }, 90_000);

  it('generates types that a client type-checks against, and that refuse a wrong call', async () => {
    writeFileSync(path.join(dir, 'kassa-api.d.ts'), astToString(await openapiTS(JSON.parse(document))));
    writeFileSync(
      path.join(dir, 'client.ts'),
      `import createClient from 'openapi-fetch';
import type { components, paths } from './kassa-api';

type Account = components['schemas']['Account'];
const kassa = createClient<paths>({ baseUrl: 'http://localhost:3000', headers: { authorization: 'Bearer kassa_sk_example' } });

export async function topUp(accountId: number): Promise<string | undefined> {
  const created = await kassa.POST('/v1/accounts', { body: { currency: 'EUR', name: 'Acme' } });
  const account: Account | undefined = created.data;
  const credited = await kassa.POST('/v1/accounts/{id}/adjustments', {
    params: { path: { id: account?.id ?? accountId }, header: { 'idempotency-key': 'top-up-1' } },
    body: { direction: 'credit', amount: '5000', reason: 'bank transfer' },
  });
  if (credited.error) return credited.error.code;
  const balance: string = credited.data.balance;
  const check = await kassa.GET('/v1/accounts/{id}/entitlements/{feature}', { params: { path: { id: accountId, feature: 'cpe_devices' } } });
  const allowed: boolean | undefined = check.data?.allowed;
  return allowed ? balance : undefined;
}

export async function refused(accountId: number) {
  // @ts-expect-error amounts are strings of minor units, never numbers
  await kassa.POST('/v1/accounts/{id}/adjustments', { params: { path: { id: accountId }, header: { 'idempotency-key': 'k' } }, body: { direction: 'credit', amount: 5000, reason: 'x' } });
  // @ts-expect-error a call that moves money needs its Idempotency-Key
  await kassa.POST('/v1/accounts/{id}/adjustments', { params: { path: { id: accountId } }, body: { direction: 'credit', amount: '5000', reason: 'x' } });
  // @ts-expect-error there is no such operation
  await kassa.DELETE('/v1/accounts/{id}', { params: { path: { id: accountId } } });
}
`,
    );
    const program = ts.createProgram([path.join(dir, 'client.ts')], {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      skipLibCheck: true,
      types: [],
    });
    const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(problems).toEqual([]);
  }, 90_000);
});
