// An account's statement for a period (SPEC 9, issue 9): the balance at the start, every
// ledger transaction of the period that moved the balance or the account's credit grants
// (top-ups, charges, refunds, adjustments, grants) with the numbers of the documents it is on,
// and the balance at the end. Read from the ledger alone: the closing balance is the opening
// one plus the entries, and equals the balance the account shows at that moment.
import { sql } from 'drizzle-orm';
import { type Db, query } from '../db/client.js';

export interface StatementEntry {
  transaction_id: number;
  at: string;
  kind: string;
  description: string;
  /** The change of the balance, integer minor units. */
  amount: string;
  /** The change of the account's credit grants (a grant given, a charge paid from one). */
  grants: string;
  /** The balance after it. */
  balance: string;
  /** The invoices, credit notes and receipts it is on (a charge waiting for its month's invoice: none yet). */
  documents: string[];
}

export interface Statement {
  account_id: number;
  currency: string;
  from: string;
  to: string;
  opening_balance: string;
  closing_balance: string;
  /** Money in (top-ups, credits, refunds to the balance) and out (charges, debits) over the period. */
  credits: string;
  debits: string;
  entries: StatementEntry[];
}

const DAY_MS = 86_400_000;

/** The statement of the UTC days from..to (both included). */
export async function accountStatement(db: Db, account: { id: number; currency: string }, from: string, to: string): Promise<Statement> {
  const start = new Date(`${from}T00:00:00Z`);
  const end = new Date(Date.parse(`${to}T00:00:00Z`) + DAY_MS);
  const [opening] = await query<{ balance: string }>(
    db,
    sql`select coalesce(sum(customer_amount), 0)::text as balance from ledger_transactions where account_id = ${account.id} and created_at < ${start}`,
  );
  const rows = await query<{ id: number | string; created_at: Date | string; kind: string; description: string; amount: string; grants: string }>(
    db,
    sql`select t.id, t.created_at, t.kind, t.description, t.customer_amount::text as amount,
               coalesce((select sum(p.amount) from ledger_postings p where p.transaction_id = t.id and p.ledger_account = 'grant'), 0)::text as grants
        from ledger_transactions t
        where t.account_id = ${account.id} and t.created_at >= ${start} and t.created_at < ${end}
        order by t.id`,
  );
  const moved = rows.filter((r) => r.amount !== '0' || r.grants !== '0');
  const ids = moved.map((r) => Number(r.id));
  const numbered = ids.length === 0 ? [] : await query<{ transaction_id: number | string; number: string }>(
    db,
    sql`select distinct x.transaction_id, d.number
        from document_lines l join documents d on d.id = l.document_id, unnest(l.transaction_ids) as x(transaction_id)
        where l.account_id = ${account.id} and d.number is not null and l.transaction_ids && ${`{${ids.join(',')}}`}::bigint[]
          and x.transaction_id = any(${`{${ids.join(',')}}`}::bigint[])
        order by d.number`,
  );
  const numbers = new Map<number, string[]>();
  for (const n of numbered) numbers.set(Number(n.transaction_id), [...(numbers.get(Number(n.transaction_id)) ?? []), n.number]);

  let balance = BigInt(opening!.balance);
  let credits = 0n;
  let debits = 0n;
  const entries = moved.map((r) => {
    const amount = BigInt(r.amount);
    balance += amount;
    if (amount > 0n) credits += amount;
    else debits -= amount;
    return {
      transaction_id: Number(r.id), at: new Date(r.created_at).toISOString(), kind: r.kind, description: r.description,
      amount: r.amount, grants: r.grants, balance: balance.toString(), documents: numbers.get(Number(r.id)) ?? [],
    };
  });
  return { account_id: account.id, currency: account.currency, from, to, opening_balance: opening!.balance, closing_balance: balance.toString(), credits: credits.toString(), debits: debits.toString(), entries };
}
