// The `kassa` command line: keys, ledger verification, migrations, the simulated clock.
import { Command, InvalidArgumentError } from 'commander';
import { createApiKey, listApiKeys, revokeApiKey } from '../auth/api-keys.js';
import { configFromEnv } from '../config.js';
import { openDatabase } from '../db/client.js';
import { verifyLedger } from '../ledger/verify.js';
import { addMailCommands } from './mail.js';
import { addOperatorCommands } from '../identity/operators/cli.js';

const config = configFromEnv();
const open = () => openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 2 });

const program = new Command()
  .name('kassa')
  .description('Kassa: prepaid billing and accounts. Uses DATABASE_URL, or the PGlite data in KASSA_DATA_DIR (./data); with PGlite, stop the server first.');

const keys = program.command('keys').description('provider API keys');
keys
  .command('create')
  .description('create an API key; the secret is shown once')
  .requiredOption('--name <name>', 'what the key is for')
  .action(async ({ name }: { name: string }) => {
    const database = await open();
    const key = await createApiKey(database.db, name, new Date());
    console.log(`Created key ${key.id} (${key.name}). Keep this secret; it is not shown again:\n${key.secret}`);
    await database.close();
  });
keys
  .command('list')
  .description('list API keys (prefixes only)')
  .action(async () => {
    const database = await open();
    for (const k of await listApiKeys(database.db)) {
      console.log(`${k.id}\t${k.prefix}…\t${k.name}\t${k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : 'active'}\tlast used ${k.lastUsedAt?.toISOString() ?? 'never'}`);
    }
    await database.close();
  });
keys
  .command('revoke')
  .description('revoke an API key')
  .argument('<id>', 'key id', (v) => {
    if (!/^[0-9]+$/.test(v)) throw new InvalidArgumentError('an id is a number');
    return Number(v);
  })
  .action(async (id: number) => {
    const database = await open();
    const revoked = await revokeApiKey(database.db, id, new Date());
    await database.close();
    if (!revoked) {
      console.error(`no key ${id}`);
      process.exitCode = 1;
    } else console.log(`revoked key ${id}`);
  });

program
  .command('verify')
  .description('check every ledger invariant on the database; exits 1 if one fails')
  .option('--json', 'print the checks as JSON')
  .action(async ({ json }: { json?: boolean }) => {
    const database = await open();
    const report = await verifyLedger(database.db);
    await database.close();
    if (json) console.log(JSON.stringify(report, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
    else for (const check of report.checks) console.log(`${check.ok ? 'ok  ' : check.advisory ? 'note' : 'FAIL'} ${check.name}${check.ok ? '' : ` (${check.violations} violations, e.g. ${JSON.stringify(check.examples.slice(0, 3), (_k, v) => (typeof v === 'bigint' ? v.toString() : v))})`}`);
    process.exitCode = report.ok ? 0 : 1;
  });

program
  .command('migrate')
  .description('apply database migrations (the server also does this at start)')
  .action(async () => {
    const database = await open();
    await database.close();
    console.log(`migrated (${database.backend})`);
  });

/** An expected failure: printed as one line, exit 1, no stack trace. */
class CliError extends Error {}

const nonNegative = (what: string) => (value: string) => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${what} is a number, 0 or more`);
  return n;
};
const instant = (value: string) => {
  const time = new Date(value);
  if (Number.isNaN(time.getTime())) throw new InvalidArgumentError('give an ISO 8601 time, e.g. 2026-11-04T00:00:00Z');
  return time;
};

const clock = program.command('clock').description('the simulated clock of a running server (KASSA_URL, KASSA_API_KEY)');
clock
  .command('advance')
  .description('move the simulated clock forward, running every billing boundary it passes')
  .option('--to <time>', 'ISO 8601 time to move to', instant)
  .option('--days <n>', 'or: days to move', nonNegative('--days'))
  .option('--seconds <n>', 'or: seconds to move (added to --days)', nonNegative('--seconds'))
  .action(async (options: { to?: Date; days?: number; seconds?: number }) => {
    const by = options.days !== undefined || options.seconds !== undefined;
    if ((options.to !== undefined) === by) throw new CliError('give --to, or --days and/or --seconds');
    const seconds = (options.seconds ?? 0) + (options.days ?? 0) * 86_400;
    if (!Number.isInteger(seconds)) throw new CliError(`the clock moves by whole seconds; ${seconds} is not one`);
    const answer = await callServer('POST', '/v1/clock/advance', options.to ? { to: options.to.toISOString() } : { seconds });
    console.log(`clock now ${answer.now}; ${answer.runs.length} billing run(s)`);
    for (const run of answer.runs) {
      const trouble = run.status === 'completed' ? '' : ` (${run.status}${run.errors.length ? `: ${run.errors.join('; ')}` : ''})`;
      console.log(`  ${run.boundary}: billed ${run.billed}, suspended ${run.suspended}, charged ${run.total_charged}${trouble}`);
    }
  });
clock
  .command('show')
  .description("print the server's time")
  .action(async () => console.log((await callServer('GET', '/v1/clock')).now));

// Answers of the running server, read field by field; their shapes are the API's schemas.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function callServer(method: string, path: string, body?: unknown): Promise<any> {
  const base = process.env.KASSA_URL || `http://localhost:${config.port}`;
  const key = process.env.KASSA_API_KEY;
  if (!key) throw new CliError('set KASSA_API_KEY to a provider key');
  let response: Response;
  try {
    response = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new CliError(`cannot reach Kassa at ${base} (${cause?.code ?? cause?.message ?? (error as Error).message}); set KASSA_URL`);
  }
  const text = await response.text();
  let answer;
  try {
    answer = JSON.parse(text);
  } catch {
    throw new CliError(`${base}${path} answered ${response.status} without JSON: is KASSA_URL a Kassa server?`);
  }
  if (!response.ok) throw new CliError(answer?.code ? `${answer.code}: ${answer.detail}` : `${base}${path} answered ${response.status}`);
  return answer;
}

addMailCommands(program, open);
addOperatorCommands(program, open);

try {
  await program.parseAsync();
} catch (error) {
  if (!(error instanceof CliError)) throw error;
  console.error(`kassa: ${error.message}`);
  process.exitCode = 1;
}
