// `kassa grants ...`: credit grants (SPEC 4) given, listed and voided through a running server
// (KASSA_URL, KASSA_API_KEY), so they run on its clock, under its idempotency keys and in its
// audit log like the same calls over HTTP. Amounts are integer minor units, as in the API.
import { randomUUID } from 'node:crypto';
import { type Command, InvalidArgumentError } from 'commander';
import type { CliContext } from './context.js';
import { CliError, instant, serverCaller } from './server.js';

const wholeNumber = (what: string, least: 0 | 1) => (value: string) => {
  if (!(least === 0 ? /^(0|[1-9][0-9]*)$/ : /^[1-9][0-9]*$/).test(value.trim())) throw new InvalidArgumentError(`${what} is a whole number, ${least} or more`);
  return value.trim();
};
const positiveInteger = (what: string) => wholeNumber(what, 1);
const minorUnits = (what: string) => (value: string) => {
  if (!/^(0|[1-9][0-9]*)$/.test(value.trim())) throw new InvalidArgumentError(`${what} is in integer minor units of the account currency (1000 for 10.00 EUR)`);
  return value.trim();
};

interface GrantAnswer {
  id: number;
  kind: string;
  status: string;
  amount: string;
  remaining: string;
  currency: string;
  priority: number;
  scope: string[] | null;
  expires_at: string | null;
  reason: string;
}

/** One line per grant: id, kind, status, what is left of the face value, priority, scope, expiry, reason. */
const grantLine = (g: GrantAnswer) =>
  [g.id, g.kind, g.status, `${g.remaining}/${g.amount} ${g.currency}`, `priority ${g.priority}`, g.scope ? `scope ${g.scope.join(',')}` : 'any charge', g.expires_at ? `expires ${g.expires_at}` : 'never expires', g.reason].join('\t');

export function addGrantCommands(program: Command, { print }: CliContext, env: NodeJS.ProcessEnv): void {
  const server = serverCaller(env);
  /** A grant made or changed: its status, then its line. */
  const printGrant = (grant: GrantAnswer, account: string) => {
    print(`grant ${grant.id} on account ${account}: ${grant.status}`);
    print(grantLine(grant));
  };
  const grants = program.command('grants').description('credit grants: credit given or sold to an account, through a running server (KASSA_URL, KASSA_API_KEY)');
  grants
    .command('create')
    .description('give (promotional) or sell (paid) credit to an account; drawn before its paid balance')
    .requiredOption('--account <id>', 'the account', positiveInteger('--account'))
    .requiredOption('--amount <minor>', 'face value, in integer minor units (1000 for 10.00)', minorUnits('--amount'))
    .requiredOption('--reason <text>', 'why, shown to the customer and in the audit log')
    .option('--kind <kind>', 'promotional (given) or paid (bought)', 'promotional')
    .option('--cost-basis <minor>', 'paid grants: what the customer pays for it, in minor units', minorUnits('--cost-basis'))
    .option('--pending', "paid grants: its price is still to come (it waits, and counts down from 'kassa grants paid')")
    .option('--priority <n>', 'drawn lower first (default 100)', wholeNumber('--priority', 0))
    .option('--scope <codes>', 'comma-separated plan and meter codes it may pay (default: any charge)')
    .option('--effective-at <time>', 'ISO 8601 time it takes effect (default: now)', instant)
    .option('--expires-at <time>', 'ISO 8601 time what is left is written off', instant)
    .option('--expires-in-days <n>', 'or: days after it takes effect', positiveInteger('--expires-in-days'))
    .option('--idempotency-key <key>', 'the same key again answers the first grant instead of making another (default: a new one)')
    .action(async (o: { account: string; amount: string; reason: string; kind: string; costBasis?: string; pending?: boolean; priority?: string; scope?: string; effectiveAt?: Date; expiresAt?: Date; expiresInDays?: string; idempotencyKey?: string }) => {
      if (o.expiresAt && o.expiresInDays) throw new CliError('give --expires-at or --expires-in-days, not both');
      const body = {
        kind: o.kind,
        amount: o.amount,
        reason: o.reason,
        ...(o.costBasis !== undefined && { cost_basis: o.costBasis }),
        ...(o.pending && { purchase: 'pending' }),
        ...(o.priority !== undefined && { priority: Number(o.priority) }),
        ...(o.scope !== undefined && { scope: o.scope.split(',').map((code) => code.trim()) }),
        ...(o.effectiveAt && { effective_at: o.effectiveAt.toISOString() }),
        ...(o.expiresAt && { expires_at: o.expiresAt.toISOString() }),
        ...(o.expiresInDays !== undefined && { expires_in_days: Number(o.expiresInDays) }),
      };
      const grant: GrantAnswer = await server('POST', `/v1/accounts/${o.account}/grants`, body, { 'idempotency-key': o.idempotencyKey ?? randomUUID() });
      printGrant(grant, o.account);
    });
  grants
    .command('list')
    .description("list an account's grants, newest first, with what each holds")
    .requiredOption('--account <id>', 'the account', positiveInteger('--account'))
    .option('--status <status>', 'only awaiting_payment, scheduled, active, voided or expired')
    .action(async (o: { account: string; status?: string }) => {
      let cursor: string | null = null;
      do {
        const query = new URLSearchParams({ limit: '100', ...(o.status && { status: o.status }), ...(cursor && { cursor }) });
        const answer: { data: GrantAnswer[]; next_cursor: string | null } = await server('GET', `/v1/accounts/${o.account}/grants?${query}`);
        for (const grant of answer.data) print(grantLine(grant));
        cursor = answer.next_cursor;
      } while (cursor);
    });
  grants
    .command('void')
    .description('void a grant: what it still holds is written off by a reversing ledger transaction')
    .requiredOption('--account <id>', 'the account', positiveInteger('--account'))
    .requiredOption('--grant <id>', 'the grant', positiveInteger('--grant'))
    .requiredOption('--reason <text>', 'why, in the audit log')
    .option('--idempotency-key <key>', 'the same key again answers the first void (default: a new one)')
    .action(async (o: { account: string; grant: string; reason: string; idempotencyKey?: string }) => {
      const grant: GrantAnswer = await server('POST', `/v1/accounts/${o.account}/grants/${o.grant}/void`, { reason: o.reason }, { 'idempotency-key': o.idempotencyKey ?? randomUUID() });
      printGrant(grant, o.account);
    });
  grants
    .command('paid')
    .description("record a paid grant's price received: it takes effect and counts down from now")
    .requiredOption('--account <id>', 'the account', positiveInteger('--account'))
    .requiredOption('--grant <id>', 'the grant', positiveInteger('--grant'))
    .option('--idempotency-key <key>', 'the same key again answers the first call (default: a new one)')
    .action(async (o: { account: string; grant: string; idempotencyKey?: string }) => {
      const grant: GrantAnswer = await server('POST', `/v1/accounts/${o.account}/grants/${o.grant}/paid`, undefined, { 'idempotency-key': o.idempotencyKey ?? randomUUID() });
      printGrant(grant, o.account);
    });
}
