// The `kassa` command line: the server's roles (serve, work), keys, ledger verification, migrations, the simulated clock, bank
// statements, credit grants, mail and operators. `runCli` runs one command line in this process and answers its exit code, so
// the binary (src/cli/index.ts) and the tests share every line of it.
import { readFile } from 'node:fs/promises';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import packageJson from '../../package.json' with { type: 'json' };
import { createApiKey, listApiKeys, revokeApiKey } from '../auth/api-keys.js';
import { ConfigError, type Roles, configFromEnv } from '../config.js';
import { type Database, NoDatabase, openDatabase } from '../db/client.js';
import { DataFolderBusy } from '../db/data-folder-lock.js';
import { addOperatorCommands } from './operators.js';
import { verifyLedger } from '../ledger/verify.js';
import type { CliContext } from './context.js';
import { addMailCommands } from './mail.js';
import { addGrantCommands } from './grants.js';
import { addBackupCommands } from './backup.js';
import { CliError, instant, nonNegative, serverCaller } from './server.js';

/** Where a command line reads its settings and writes its output. */
export interface CliIo {
  env: NodeJS.ProcessEnv;
  out(text: string): void;
  err(text: string): void;
  /** The database to use instead of the one `env` names (a process that holds it already). */
  open?: () => Promise<Database>;
}

export const processIo: CliIo = {
  env: process.env,
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
};

/** Runs `kassa ...args`; answers the exit code. Unexpected errors are thrown, not printed. */
export async function runCli(args: string[], io: CliIo = processIo): Promise<number> {
  let exitCode = 0;
  let command = 'kassa';
  const cli: CliContext = {
    open: io.open ?? (() => openForCommand(command, io)),
    print: (line) => io.out(`${line}\n`),
    fail: (line) => {
      if (line !== undefined) io.err(`${line}\n`);
      exitCode = 1;
    },
  };
  const program = buildProgram(cli, io).hook('preAction', (_program, action) => {
    command = commandPath(action);
  });
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof ConfigError) {
      io.err(`kassa: ${error.message}\n`);
      return 2;
    }
    if (error instanceof DataFolderBusy || error instanceof NoDatabase) {
      io.err(`kassa: ${error.message}\n`);
      return 1;
    }
    if (!(error instanceof CliError)) throw error;
    io.err(`kassa: ${error.message}\n`);
    return 1;
  }
  return exitCode;
}

/** "keys create" for `kassa keys create ...`. */
function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * The database the settings name, said on stderr before anything is done to it. Only
 * `kassa migrate` creates an embedded database; the other commands refuse a folder without
 * one rather than work on a new empty database while the real one is elsewhere. Beside a
 * running server on the same data folder, they work through its socket; `migrate` refuses.
 */
async function openForCommand(command: string, io: CliIo): Promise<Database> {
  const config = configFromEnv(io.env);
  const creates = command === 'kassa migrate';
  if (config.databaseUrl) {
    const url = new URL(config.databaseUrl);
    io.err(`kassa: using PostgreSQL at ${url.host}${url.pathname}\n`);
  } else io.err(`kassa: using the embedded database in ${config.dataDir}\n`);
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    poolSize: 2,
    owner: command,
    mustExist: !creates,
    beside: !creates,
  });
  if (database.through) io.err(`kassa: through ${database.through}, which owns it\n`);
  return database;
}

function buildProgram(cli: CliContext, io: CliIo): Command {
  // Subcommands inherit these settings when they are added, so they come first.
  const program = new Command()
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .name('kassa')
    .version(packageJson.version, '-v, --version', 'print the version of Kassa')
    .description('Kassa: prepaid billing and accounts. Uses DATABASE_URL, or the PGlite data in KASSA_DATA_DIR (./data): beside a server running on that folder, commands work through it.');
  addServerCommands(program, io.env);
  addSecretCommands(program, cli, io.env);
  addBackupCommands(program, cli, io.env);
  addKeyCommands(program, cli);
  addDatabaseCommands(program, cli);
  addClockCommands(program, cli, io.env);
  addBankCommands(program, cli, io.env);
  addGrantCommands(program, cli, io.env);
  addMailCommands(program, cli);
  addOperatorCommands(program, cli);
  return program;
}

/** The long-running processes: the roles of `npm start` one at a time (SPEC 14). */
function addServerCommands(program: Command, env: NodeJS.ProcessEnv): void {
  const start = async (roles: Roles) => (await import('../start.js')).startKassa(env, roles);
  program
    .command('start')
    .description('what `npm start` runs: the roles KASSA_ROLES names (api,worker by default); runs until SIGTERM')
    .action(async () => (await import('../start.js')).startKassa(env));
  program
    .command('serve')
    .description('serve the API (KASSA_ROLES=api), leaving billing runs, jobs, mail and webhooks to `kassa work`; runs until SIGTERM')
    .action(() => start({ api: true, worker: false }));
  program
    .command('work')
    .description('run billing runs, scheduled jobs, mail and webhook delivery (KASSA_ROLES=worker), with /healthz, /readyz and /metrics on PORT; runs until SIGTERM')
    .action(() => start({ api: false, worker: true }));
}

function addSecretCommands(program: Command, { open, print }: CliContext, env: NodeJS.ProcessEnv): void {
  const secrets = program.command('secrets').description('the secrets stored sealed in the database (TOTP, webhook signing secrets)');
  secrets
    .command('rotate')
    .description('re-seal every stored secret under KASSA_SECRET_KEY; the keys in KASSA_SECRET_KEY_PREVIOUS may go afterwards')
    .action(async () => {
      const keys = configFromEnv(env).secretKeys;
      if (!keys.current) throw new CliError('set KASSA_SECRET_KEY to the new key, and KASSA_SECRET_KEY_PREVIOUS to the one it replaces');
      const [{ SecretBox, parseSecretKey }, { rotateStoredSecrets, storedKeys }] = await Promise.all([import('../shared/secret-box.js'), import('../secrets-at-rest.js')]);
      const box = new SecretBox(parseSecretKey(keys.current), keys.previous.map(parseSecretKey));
      const database = await open();
      try {
        const resealed = await rotateStoredSecrets(database.db, box);
        const held = [...(await storedKeys(database.db)).entries()].map(([key, n]) => `${n} under key ${key}`).join(', ') || 'none stored';
        print(`re-sealed ${resealed} secret(s) under key ${box.currentKeyId}; now ${held}`);
      } finally {
        await database.close();
      }
    });
}

function addKeyCommands(program: Command, { open, print, fail }: CliContext): void {
  const keys = program.command('keys').description('provider API keys');
  keys
    .command('create')
    .description('create an API key; the secret is shown once')
    .requiredOption('--name <name>', 'what the key is for')
    .action(async ({ name }: { name: string }) => {
      const database = await open();
      const key = await createApiKey(database.db, name, new Date());
      print(`Created key ${key.id} (${key.name}). Keep this secret; it is not shown again:\n${key.secret}`);
      await database.close();
    });
  keys
    .command('list')
    .description('list API keys (prefixes only)')
    .action(async () => {
      const database = await open();
      for (const k of await listApiKeys(database.db)) {
        print(`${k.id}\t${k.prefix}…\t${k.name}\t${k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : 'active'}\tlast used ${k.lastUsedAt?.toISOString() ?? 'never'}`);
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
      if (!revoked) fail(`no key ${id}`);
      else if (revoked.revoked === 'already') print(`key ${id} was revoked already, at ${revoked.at.toISOString()}`);
      else print(`revoked key ${id}`);
    });
}

const bigintsAsStrings = (_key: string, value: unknown) => (typeof value === 'bigint' ? value.toString() : value);

function addDatabaseCommands(program: Command, { open, print, fail }: CliContext): void {
  program
    .command('verify')
    .description('check every ledger invariant on the database; exits 1 if one fails')
    .option('--json', 'print the checks as JSON')
    .action(async ({ json }: { json?: boolean }) => {
      const database = await open();
      const report = await verifyLedger(database.db);
      await database.close();
      if (json) print(JSON.stringify(report, bigintsAsStrings));
      else {
        for (const check of report.checks) {
          const mark = check.ok ? 'ok  ' : check.advisory ? 'note' : 'FAIL';
          const detail = check.ok ? '' : ` (${check.violations} violations, e.g. ${JSON.stringify(check.examples.slice(0, 3), bigintsAsStrings)})`;
          print(`${mark} ${check.name}${detail}`);
        }
      }
      if (!report.ok) fail();
    });

  program
    .command('migrate')
    .description('apply database migrations (the server also does this at start)')
    .action(async () => {
      const database = await open();
      await database.close();
      print(`migrated (${database.backend})`);
    });
}

function addClockCommands(program: Command, { print }: CliContext, env: NodeJS.ProcessEnv): void {
  const server = serverCaller(env);
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
      const answer = await server('POST', '/v1/clock/advance', { ...(options.to ? { to: options.to.toISOString() } : { seconds }), wait: true });
      print(`clock now ${answer.now}; ${answer.runs.length} billing run(s)`);
      for (const run of answer.runs) {
        const trouble = run.status === 'completed' ? '' : ` (${run.status}${run.errors.length ? `: ${run.errors.join('; ')}` : ''})`;
        print(`  ${run.boundary}: billed ${run.billed}, suspended ${run.suspended}, charged ${run.total_charged}${trouble}`);
      }
    });
  clock
    .command('show')
    .description("print the server's time")
    .action(async () => print((await server('GET', '/v1/clock')).now));
}

function addBankCommands(program: Command, { print }: CliContext, env: NodeJS.ProcessEnv): void {
  const server = serverCaller(env);
  const bank = program.command('bank').description('bank transfers, through a running server (KASSA_URL, KASSA_API_KEY)');
  bank
    .command('import')
    .description('import a bank statement (camt.053 XML, or CSV: date,amount,currency,reference,counterparty); credits the pending transfers it pays')
    .argument('<file>', 'the statement file')
    .action(async (file: string) => {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        throw new CliError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      }
      const type = text.trimStart().startsWith('<') ? 'application/xml' : 'text/csv';
      const answer = await server('POST', '/v1/bank-statements', { raw: text, type });
      if (answer.already_imported) {
        print(`statement ${answer.statement_id} was imported before: nothing done`);
        return;
      }
      print(`statement ${answer.statement_id}: ${answer.lines} credit line(s), ${answer.matched} matched, ${answer.unmatched} unmatched`);
      for (const credit of answer.credited) print(`  top-up ${credit.top_up_id} of account ${credit.account_id}: credited ${credit.amount}`);
    });
}
