// What each command group (program.ts, mail.ts, operators.ts) is handed.
import type { Database } from '../db/client.js';

/** What each command group is handed: the database to open, and where to print lines. */
export interface CliContext {
  open(): Promise<Database>;
  print(line: string): void;
  /** A refusal: the line (if any) goes to stderr; the command line then exits 1. */
  fail(line?: string): void;
}
