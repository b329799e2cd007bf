// `kassa mail ...`: the mail queue, read straight from the database. Without SMTP_URL mails
// stay queued, and this is how a newcomer reads the verification link.
import { type Command, InvalidArgumentError } from 'commander';
import { type MailState, type MailView, latestMails } from '../notifications/read.js';
import type { CliContext } from './context.js';

const STATES: MailState[] = ['pending', 'sent', 'failed'];

function positive(max: number) {
  return (value: string) => {
    if (!/^[0-9]+$/.test(value) || Number(value) < 1 || Number(value) > max) throw new InvalidArgumentError(`a number from 1 to ${max}`);
    return Number(value);
  };
}

export function formatMail(mail: MailView): string {
  const state = mail.state === 'pending' && mail.attempts > 0 ? `pending (${mail.attempts} failed attempt(s): ${mail.last_error ?? ''})` : mail.state;
  return [
    `#${mail.id}  ${mail.created_at}  ${state}`,
    `To: ${mail.to}`,
    `Subject: ${mail.subject}`,
    '',
    mail.text.trimEnd(),
    '',
  ].join('\n');
}

/** Adds the `mail` command group to the program. */
export function addMailCommands(program: Command, { open, print }: CliContext): Command {
  const mail = program.command('mail').description('the mail queue (SMTP_URL unset: mails wait here, links and all)');
  mail
    .command('list')
    .description('print the latest mails with their text, oldest first')
    .option('--to <address>', 'only mails to this address')
    .option('--state <state>', `only mails in this state (${STATES.join(', ')})`, (v: string) => {
      if (!STATES.includes(v as MailState)) throw new InvalidArgumentError(`one of ${STATES.join(', ')}`);
      return v as MailState;
    })
    .option('--account <id>', 'only mails about this account', positive(Number.MAX_SAFE_INTEGER))
    .option('--limit <n>', 'how many (default 20)', positive(1000), 20)
    .option('--json', 'print them as JSON')
    .action(async (options: { to?: string; state?: MailState; account?: number; limit: number; json?: boolean }) => {
      const database = await open();
      try {
        const listed = await latestMails(database.db, { limit: options.limit, to: options.to, state: options.state, accountId: options.account });
        if (options.json) print(JSON.stringify(listed, null, 2));
        else if (listed.length === 0) print('no mails');
        else print(listed.map(formatMail).join('\n'));
      } finally {
        await database.close();
      }
    });
  return mail;
}
