// Reading the mail queue with no SMTP server configured: GET /v1/mails for the provider's
// staff (never for account members: mail bodies hold secret links) and `kassa mail list`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harnessDatabase, kassaInProcess } from './support/cli.js';
import type { SimulatedClock } from '../src/time/clock.js';
import { memberships, users } from '../src/db/schema.js';
import { PERMISSIONS } from '../src/auth/permissions.js';
import { createPersonalToken } from '../src/identity/tokens/create.js';
import { deliverDue } from '../src/notifications/delivery.js';
import { queueMail } from '../src/notifications/queue-mail.js';
import { type Harness, startHarness } from './support/harness.js';
import { addPerson } from './members-people.js';

let h: Harness;
let acme: number;
let other: number;
const ids: number[] = [];

async function userToken(email: string, operator: boolean, accountId?: number) {
  const now = h.kassa.clock.now();
  const [user] = await h.kassa.db.insert(users).values({ email, emailVerifiedAt: now, operator, createdAt: now }).returning({ id: users.id });
  if (accountId !== undefined) await h.kassa.db.insert(memberships).values({ accountId, userId: user!.id, role: 'owner', createdAt: now });
  return (await createPersonalToken(h.kassa.db, user!.id, { name: 'test', scopes: PERMISSIONS }, now)).secret;
}

beforeAll(async () => {
  h = await startHarness({ clockStart: '2026-11-02T10:00:00Z' });
  acme = (await h.call('POST', '/v1/accounts', { name: 'Acme', currency: 'EUR' })).body.id;
  other = (await h.call('POST', '/v1/accounts', { name: 'Other', currency: 'EUR' })).body.id;
  const clock = h.kassa.clock as SimulatedClock;
  const q = (to: string, accountId: number | undefined, link: string) =>
    h.kassa.db.transaction((tx) => queueMail(tx, { to, template: 'verify_email', data: { link }, accountId, at: clock.now() }));
  ids.push(await q('ada@acme.example', acme, 'http://localhost:3000/verify?token=kassa_vt_first'));
  clock.set(new Date('2026-11-02T10:05:00Z'));
  ids.push(await q('bob@other.example', other, 'http://localhost:3000/verify?token=kassa_vt_second'));
  ids.push(await q('Ada@Acme.example', acme, 'http://localhost:3000/verify?token=kassa_vt_third'));
  await deliverDue(h.kassa, undefined, clock.now());
});
afterAll(() => h.close());

describe('GET /v1/mails', () => {
  it('lists pending mails with their text for the provider', async () => {
    const all = await h.call('GET', '/v1/mails');
    expect(all.status).toBe(200);
    expect(all.body.next_cursor).toBeNull();
    expect(all.body.data.map((m: { id: number }) => m.id)).toEqual(ids);
    expect(all.body.data[0]).toEqual({
      id: ids[0],
      account_id: acme,
      user_id: null,
      to: 'ada@acme.example',
      template: 'verify_email',
      subject: 'Verify your e-mail address',
      text: 'Welcome to Kassa.\n\nConfirm your address within 24 hours:\nhttp://localhost:3000/verify?token=kassa_vt_first\n',
      state: 'pending',
      attempts: 0,
      next_attempt_at: '2026-11-02T10:00:00.000Z',
      last_error: null,
      sent_at: null,
      created_at: '2026-11-02T10:00:00.000Z',
    });
  });

  it('filters by address (any case), state and account, and pages by cursor', async () => {
    const to = await h.call('GET', '/v1/mails?to=ADA@acme.example');
    expect(to.body.data.map((m: { id: number }) => m.id)).toEqual([ids[0], ids[2]]);
    const byAccount = await h.call('GET', `/v1/mails?account_id=${other}`);
    expect(byAccount.body.data.map((m: { to: string }) => m.to)).toEqual(['bob@other.example']);
    expect((await h.call('GET', '/v1/mails?state=sent')).body.data).toEqual([]);
    expect((await h.call('GET', '/v1/mails?state=pending')).body.data).toHaveLength(3);
    const first = await h.call('GET', '/v1/mails?limit=2');
    const second = await h.call('GET', `/v1/mails?limit=2&cursor=${first.body.next_cursor}`);
    expect([...first.body.data, ...second.body.data].map((m: { id: number }) => m.id)).toEqual(ids);
    expect(second.body.next_cursor).toBeNull();
  });

  it('refuses bad filters', async () => {
    for (const q of ['state=lost', 'account_id=0', 'limit=0', 'cursor=abc', 'to=']) {
      const r = await h.call('GET', `/v1/mails?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.body.code).toBe('validation_failed');
    }
  });

  it('is for staff only: an account owner gets 403, an operator signed in the list, an operator token 403, no one else 401', async () => {
    const owner = await userToken('owner@acme.example', false, acme);
    const mine = await h.call('GET', `/v1/mails?account_id=${acme}`, undefined, { authorization: `Bearer ${owner}` });
    expect(mine.status).toBe(403);
    expect(JSON.stringify(mine.body)).not.toContain('kassa_vt_');
    const operatorToken = await userToken('staff@provider.example', true);
    // A personal token carries only its scopes: no staff credential, even an operator's.
    expect((await h.call('GET', '/v1/mails', undefined, { authorization: `Bearer ${operatorToken}` })).status).toBe(403);
    const operator = await addPerson(h, 'ops@provider.example', { operator: true });
    expect((await operator.call('GET', '/v1/mails')).body.data).toHaveLength(3);
    const anonymous = await h.app.inject({ method: 'GET', url: '/v1/mails' });
    expect(anonymous.statusCode).toBe(401);
    expect(h.app.routeList).toContainEqual({ route: 'GET /v1/mails', access: 'staff', fieldAccess: {} });
  });

  it('is in the OpenAPI document with its filters and errors', async () => {
    const doc = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const op = doc.paths['/v1/mails'].get;
    expect(op.tags).toEqual(['mails']);
    expect(op.summary).toMatch(/mails/);
    expect(op.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['account_id', 'cursor', 'limit', 'state', 'to']);
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403']));
  });
});

describe('kassa mail list', () => {
  async function run(...args: string[]): Promise<string> {
    const run = await kassaInProcess(['mail', 'list', ...args], {}, harnessDatabase(h));
    if (run.code !== 0) throw new Error(run.stderr);
    return run.stdout.trimEnd();
  }

  it('prints the latest mails with their links, so a newcomer can click one', async () => {
    const out = await run();
    expect(out).toContain(`#${ids[0]}  2026-11-02T10:00:00.000Z  pending`);
    expect(out).toContain('To: ada@acme.example');
    expect(out).toContain('Subject: Verify your e-mail address');
    for (const token of ['kassa_vt_first', 'kassa_vt_second', 'kassa_vt_third']) expect(out).toContain(`http://localhost:3000/verify?token=${token}`);
    expect(out.indexOf('kassa_vt_first')).toBeLessThan(out.indexOf('kassa_vt_third'));
  });

  it('filters by address and keeps the newest n', async () => {
    const out = await run('--to', 'ada@ACME.example', '--limit', '1');
    expect(out).toContain('kassa_vt_third');
    expect(out).not.toContain('kassa_vt_first');
    expect(out).not.toContain('bob@other.example');
    expect(JSON.parse(await run('--account', String(other), '--json')).map((m: { to: string }) => m.to)).toEqual(['bob@other.example']);
    expect(await run('--state', 'failed')).toBe('no mails');
  });

  it('refuses a bad limit', async () => {
    await expect(run('--limit', 'lots')).rejects.toThrow(/number from 1/);
  });
});
