import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decimalToMinor, parseStatement } from './bank-statement.js';

const fixture = (name: string) => readFileSync(path.resolve(import.meta.dirname, '../../test/fixtures', name), 'utf8');

describe('decimalToMinor', () => {
  it.each([
    ['125.50', 'EUR', 12550n],
    ['125.5', 'EUR', 12550n],
    ['40', 'EUR', 4000n],
    ['0.01', 'EUR', 1n],
    ['1500', 'JPY', 1500n],
    ['1.234', 'KWD', 1234n],
  ])('%s %s is %i minor units', (text, currency, minor) => expect(decimalToMinor(text, currency)).toBe(minor));

  it.each([['1.234', 'EUR'], ['1.5', 'JPY'], ['-5', 'EUR'], ['1e3', 'EUR'], ['12,50', 'EUR'], ['10', 'XYZ']])('refuses %s %s', (text, currency) => expect(decimalToMinor(text, currency)).toBeUndefined());
});

describe('parseStatement: camt.053', () => {
  it('reads the credit entries with their amounts, references, payers and bank references; debits are left out', () => {
    const parsed = parseStatement(fixture('camt053-two-credits.xml'));
    expect(parsed).toEqual({
      ok: true,
      value: {
        id: 'camt.053:STMT-2026-11-04-001',
        format: 'camt.053',
        lines: [
          { line: 1, bookedOn: '2026-11-04', amount: 12550n, currency: 'EUR', reference: 'RF18539007547034', counterparty: 'Acme GmbH', bankRef: 'BANK-REF-0001' },
          { line: 3, bookedOn: '2026-11-04', amount: 4000n, currency: 'EUR', reference: 'invoice rf18 5390 0754 7034 thanks', counterparty: 'Someone Else', bankRef: 'STMT-2026-11-04-001:3' },
        ],
      },
    });
  });

  it.each([
    ['not XML', '<Document><BkToCstmrStmt>', 'not well-formed XML'],
    ['another ISO 20022 message', '<Document><CstmrCdtTrfInitn/></Document>', 'not an ISO 20022 camt.053'],
    ['an amount with too many decimals', fixture('camt053-two-credits.xml').replace('125.50', '125.505'), 'not an amount'],
  ])('refuses %s', (_why, text, detail) => {
    const parsed = parseStatement(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.failure).toMatchObject({ code: 'invalid_statement', detail: expect.stringContaining(detail) });
  });
});

describe('parseStatement: CSV', () => {
  const csv = 'date,amount,currency,reference,counterparty\n2026-11-04,125.50,EUR,RF18 5390 0754 7034,Acme GmbH\n2026-11-04,-9.99,EUR,fee,Bank\n';

  it('reads credits, leaves debits out, and names the statement by its content', () => {
    const parsed = parseStatement(csv);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value.format).toBe('csv');
    expect(parsed.value.id).toMatch(/^csv:[0-9a-f]{64}$/);
    expect(parsed.value.lines).toEqual([{ line: 1, bookedOn: '2026-11-04', amount: 12550n, currency: 'EUR', reference: 'RF18 5390 0754 7034', counterparty: 'Acme GmbH', bankRef: expect.stringMatching(/^csv:.+:1$/) }]);
    const again = parseStatement(csv.replace(/\n/g, '\r\n'));
    expect(again.ok && again.value.id).toBe(parsed.value.id);
  });

  it.each([
    ['no header', '2026-11-04,125.50,EUR,RF18,Acme\n', 'starts with the header'],
    ['a bad date', 'date,amount,currency,reference,counterparty\n04.11.2026,1,EUR,x,y\n', 'is not a date'],
    ['a bad amount', 'date,amount,currency,reference,counterparty\n2026-11-04,12;50,EUR,x,y\n', 'not an amount'],
    ['a short line', 'date,amount,currency,reference,counterparty\n2026-11-04,1,EUR\n', 'neither camt.053 XML nor CSV'],
  ])('refuses %s', (_why, text, detail) => {
    const parsed = parseStatement(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.failure.detail).toContain(detail);
  });
});
