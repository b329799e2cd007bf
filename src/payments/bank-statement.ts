// Reading a bank statement (SPEC 8): an ISO 20022 camt.053 XML statement, or a simple CSV
// (date, amount, currency, reference, counterparty), into credit lines with exact amounts in
// minor units. Debits are left out: only money coming in can settle a top-up. Pure.
import { createHash } from 'node:crypto';
import { parse as parseCsv } from 'csv-parse/sync';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { currencyExponent } from '../money/money.js';
import type { Minor } from '../money/money.js';
import type { Failure } from '../shared/result.js';

export interface StatementLine {
  /** 1-based position of the entry in the statement (debits counted too). */
  line: number;
  bookedOn: string;
  amount: Minor;
  currency: string;
  /** Free or structured remittance text: where a creditor reference is looked for. */
  reference: string;
  counterparty: string;
  /** The bank's own reference of the entry, or the statement and line when it gives none. */
  bankRef: string;
}

export interface Statement {
  /** What makes the same statement imported twice the same: its camt.053 id, or the CSV's hash. */
  id: string;
  format: 'camt.053' | 'csv';
  lines: StatementLine[];
}

type Parsed = { ok: true; value: Statement } | { ok: false; failure: Failure };
const refuse = (detail: string): Parsed => ({ ok: false, failure: { code: 'invalid_statement', detail, field: '/statement' } });

/** "125.50" EUR as 12550; undefined when the text has more decimals than the currency. */
export function decimalToMinor(text: string, currency: string): Minor | undefined {
  const exponent = currencyExponent(currency);
  const match = /^([0-9]{1,16})(?:\.([0-9]+))?$/.exec(text.trim());
  if (exponent === undefined || !match) return undefined;
  const fraction = match[2] ?? '';
  if (fraction.length > exponent) return undefined;
  return BigInt(match[1]!) * 10n ** BigInt(exponent) + BigInt(fraction.padEnd(exponent, '0') || '0');
}

export function parseStatement(text: string): Parsed {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('<')) return parseCamt053(trimmed);
  return parseCsvStatement(text);
}

const asArray = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the XML tree is read field by field
type Node = any;
const textOf = (node: Node): string => (node === undefined || node === null ? '' : typeof node === 'object' ? String(node['#text'] ?? '') : String(node));

function parseCamt053(xml: string): Parsed {
  if (XMLValidator.validate(xml) !== true) return refuse('the statement is not well-formed XML');
  const tree = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', removeNSPrefix: true, parseTagValue: false }).parse(xml) as Node;
  const report = tree?.Document?.BkToCstmrStmt;
  if (!report) return refuse('the XML is not an ISO 20022 camt.053 statement (no Document/BkToCstmrStmt)');
  const lines: StatementLine[] = [];
  const ids: string[] = [];
  let position = 0;
  for (const statement of asArray<Node>(report.Stmt)) {
    const statementId = textOf(statement.Id);
    if (!statementId) return refuse('a camt.053 statement has no Id');
    ids.push(statementId);
    for (const entry of asArray<Node>(statement.Ntry)) {
      position += 1;
      if (textOf(entry.CdtDbtInd) !== 'CRDT') continue;
      const currency = String(entry.Amt?.['@Ccy'] ?? '');
      const amount = decimalToMinor(textOf(entry.Amt), currency);
      if (amount === undefined || amount <= 0n) return refuse(`entry ${position}: ${textOf(entry.Amt)} ${currency} is not an amount of a known currency`);
      const details = asArray<Node>(entry.NtryDtls?.TxDtls)[0] ?? {};
      const remittance = details.RmtInf ?? {};
      const structured = asArray<Node>(remittance.Strd).map((s) => textOf(s?.CdtrRefInf?.Ref));
      const reference = [...structured, ...asArray<Node>(remittance.Ustrd).map(textOf)].filter(Boolean).join(' ');
      const counterparty = textOf(details.RltdPties?.Dbtr?.Nm ?? details.RltdPties?.Dbtr?.Pty?.Nm);
      const bankRef = textOf(entry.AcctSvcrRef) || textOf(details.Refs?.AcctSvcrRef) || `${statementId}:${position}`;
      lines.push({ line: position, bookedOn: textOf(entry.BookgDt?.Dt) || textOf(entry.BookgDt?.DtTm).slice(0, 10), amount, currency, reference, counterparty, bankRef });
    }
  }
  if (ids.length === 0) return refuse('the camt.053 document holds no statement');
  return { ok: true, value: { id: `camt.053:${ids.join('+')}`, format: 'camt.053', lines } };
}

const CSV_COLUMNS = ['date', 'amount', 'currency', 'reference', 'counterparty'];

function parseCsvStatement(text: string): Parsed {
  let rows: string[][];
  try {
    rows = parseCsv(text, { skip_empty_lines: true, trim: true, relax_column_count: false }) as string[][];
  } catch (error) {
    return refuse(`the statement is neither camt.053 XML nor CSV: ${(error as Error).message}`);
  }
  const [header, ...body] = rows;
  if (!header || header.map((h) => h.toLowerCase()).join(',') !== CSV_COLUMNS.join(',')) {
    return refuse(`a CSV statement starts with the header ${CSV_COLUMNS.join(',')}`);
  }
  const id = `csv:${createHash('sha256').update(text.replace(/\r\n/g, '\n').trim()).digest('hex')}`;
  const lines: StatementLine[] = [];
  for (const [i, [date, amountText, currency, reference, counterparty]] of body.entries()) {
    const position = i + 1;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date!)) return refuse(`line ${position}: ${date} is not a date (YYYY-MM-DD)`);
    if (amountText!.startsWith('-')) continue; // a debit
    const amount = decimalToMinor(amountText!, currency!.toUpperCase());
    if (amount === undefined || amount <= 0n) return refuse(`line ${position}: ${amountText} ${currency} is not an amount of a known currency`);
    lines.push({ line: position, bookedOn: date!, amount, currency: currency!.toUpperCase(), reference: reference!, counterparty: counterparty!, bankRef: `${id.slice(0, 20)}:${position}` });
  }
  return { ok: true, value: { id, format: 'csv', lines } };
}
