// `kassa operators ...`: the provider's staff, managed from the command line (the API has no
// route that makes an operator, so no stolen session can mint one).
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { createOperator, listOperators, revokeOperator } from '../identity/operators/create-operator.js';

export function addOperatorCommands(program: Command, { open, print, fail }: CliContext): void {
  const operators = program.command('operators').description("the provider's staff: people who act across accounts");
  operators
    .command('create')
    .description('create an operator with a verified address and a random initial password, shown once (changed at first login)')
    .requiredOption('--email <email>', 'their e-mail address (the login)')
    .requiredOption('--name <name>', 'their name')
    .action(async ({ email, name }: { email: string; name: string }) => {
      const database = await open();
      const created = await createOperator(database.db, { email, name }, new Date());
      await database.close();
      if (!created.ok) {
        fail(created.failure.detail);
        return;
      }
      const { id, initialPassword } = created.value;
      print(`Created operator ${id} (${created.value.email}). Initial password, shown once; it must be changed at first login:\n${initialPassword}`);
    });
  operators
    .command('list')
    .description('list operators')
    .action(async () => {
      const database = await open();
      for (const o of await listOperators(database.db)) print(`${o.id}\t${o.email}\t${o.name}\t${o.status}\tsince ${o.createdAt.toISOString()}`);
      await database.close();
    });
  operators
    .command('revoke')
    .description("take a user's operator rights away")
    .requiredOption('--email <email>', 'their e-mail address')
    .action(async ({ email }: { email: string }) => {
      const database = await open();
      const revoked = await revokeOperator(database.db, email, new Date());
      await database.close();
      if (!revoked.ok) {
        fail(revoked.failure.detail);
      } else print(`${email} is no longer an operator`);
    });
}
