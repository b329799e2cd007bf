// Secrets never reach the log (issue 16, fault 8). An unexpected error is logged with the SQL
// of the statement that failed, never its parameters (a sign-up's password hash, a token's
// hash), and a database error without the message that quotes the value at fault.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { query } from '../src/db/client.js';
import type { KassaApp } from '../src/http/kassa-app.js';
import { serializeError } from '../src/http/logging.js';
import { type Harness, logCapture, startHarness } from './support/harness.js';

const SECRET = '$scrypt$N=16384$a-password-hash-that-must-stay-out';
let h: Harness;
let app: KassaApp;
const { stream: logStream, lines } = logCapture();

beforeAll(async () => {
  h = await startHarness();
  app = await buildApp(h.kassa, { logger: { level: 'info' }, logDestination: logStream });
  // A statement that fails with a secret among its parameters, as a failing sign-up's insert would.
  app.post('/failing-statement', async () => query(h.kassa.db, sql`select ${SECRET}::int as n`));
  app.get('/logs-a-body', async (request) => {
    request.log.info({ body: { email: 'a@example.test', password: 'hunter22', token: 'kassa_pat_x' } }, 'a body');
    return {};
  });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await h.close();
});

describe('the log', () => {
  it('names the failed statement but not its parameters, nor the value the database quotes', async () => {
    const reply = await app.inject({ method: 'POST', url: '/failing-statement', headers: { authorization: 'Bearer x' } });
    expect(reply.statusCode).toBe(500);
    expect(reply.json()).toMatchObject({ code: 'internal_error' });
    const logged = lines.join('');
    expect(logged).toContain('unexpected error');
    expect(logged).toContain('select $1::int as n'); // the SQL, to find the fault
    expect(logged).toContain('22P02'); // invalid_text_representation, from the database
    expect(logged).not.toContain('a-password-hash-that-must-stay-out');
  });

  it('redacts known secret fields wherever they are logged', async () => {
    await app.inject({ method: 'GET', url: '/logs-a-body' });
    const entry = lines.map((l) => JSON.parse(l) as { msg?: string; body?: Record<string, string> }).find((l) => l.msg === 'a body')!;
    expect(entry.body).toEqual({ email: 'a@example.test', password: '[redacted]', token: '[redacted]' });
  });

  it('serialises an error that is not one, and causes, without leaking either', () => {
    expect(serializeError('a string with a secret')).toEqual({ type: 'string', message: '[a thrown non-error, not logged]' });
    const wrapped = new Error('outer', { cause: new Error(`Failed query: select $1\nparams: ${SECRET}`) });
    expect(JSON.stringify(serializeError(wrapped))).not.toContain(SECRET);
  });
});
