// Issue 3: "tests that use a real SMTP receiver and follow the mailed links". Every mail here
// travels through Kassa's delivery over SMTP to a receiver on a loopback port; the test reads
// the received message, opens its link's page and fills its form in, as a person would.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliverDue } from '../src/notifications/delivery.js';
import { type Browser, anon, freshIp, linkIn, logIn, signUpBody, submitPage } from './support/identity.js';
import { type Harness, startHarness } from './support/harness.js';
import { type SmtpReceiver, startSmtpReceiver } from './support/smtp-receiver.js';

let h: Harness;
let smtp: SmtpReceiver;
beforeAll(async () => {
  h = await startHarness({ clockStart: '2026-11-02T09:00:00Z' });
  smtp = await startSmtpReceiver();
});
afterAll(async () => {
  await smtp.close();
  await h.close();
});

/** Delivers what is due over SMTP and answers the last mail the receiver got for `to`. */
async function lastMailTo(to: string, subject: RegExp) {
  await deliverDue(h.kassa, smtp.transport(), h.kassa.clock.now());
  const mail = smtp.to(to).filter((m) => subject.test(m.subject)).pop();
  if (!mail) throw new Error(`no mail "${subject}" to ${to}; got: ${smtp.to(to).map((m) => m.subject).join(', ')}`);
  return mail;
}

async function signUpThroughTheMail(email: string, password: string): Promise<void> {
  const ip = freshIp();
  expect((await anon(h, 'POST', '/v1/auth/signup', signUpBody(email, password), { ip })).status).toBe(202);
  const mail = await lastMailTo(email, /verify/i);
  const { submitted } = await submitPage(h, linkIn(mail.text), {}, ip);
  expect(submitted.status).toBe(200);
  expect(submitted.html).toContain(`${email} is confirmed`);
}

const write = (as: Browser, method: string, url: string, body?: unknown) => anon(h, method, url, body, as);

describe('mailed links, end to end over SMTP', () => {
  it('verification: the link in the received mail activates the account, and then login works', async () => {
    await signUpThroughTheMail('ada@example.test', 'sunny-meadow-42');
    const session = await logIn(h, 'ada@example.test', 'sunny-meadow-42');
    expect(session.answer.status).toBe(200);
    const me = await write(session, 'GET', '/v1/me');
    expect(me.body.memberships[0]).toMatchObject({ role: 'owner' });
  });

  it('password reset: the mailed link sets a new password; the old one no longer works', async () => {
    expect((await anon(h, 'POST', '/v1/auth/password/reset', { email: 'ada@example.test' }, { ip: freshIp() })).status).toBe(202);
    await h.kassa.background.settled();
    const mail = await lastMailTo('ada@example.test', /reset/i);
    const { submitted } = await submitPage(h, linkIn(mail.text), { new_password: 'violet-canyon-93' });
    expect(submitted.status).toBe(200);
    expect(submitted.html).toContain('Your password is changed');
    expect((await logIn(h, 'ada@example.test', 'sunny-meadow-42')).answer.status).toBe(401);
    expect((await logIn(h, 'ada@example.test', 'violet-canyon-93')).answer.status).toBe(200);
  });

  it('invitation: the mailed link lets the invited person join with the role given', async () => {
    const ada = await logIn(h, 'ada@example.test', 'violet-canyon-93');
    const accountId = (await write(ada, 'GET', '/v1/me')).body.memberships[0].account_id as number;
    await signUpThroughTheMail('bob@example.test', 'amber-forest-58');
    expect((await write(ada, 'POST', `/v1/accounts/${accountId}/invitations`, { email: 'bob@example.test', role: 'billing' })).status).toBe(201);
    const mail = await lastMailTo('bob@example.test', /invited/i);
    const { submitted } = await submitPage(h, linkIn(mail.text), { email: 'bob@example.test', password: 'amber-forest-58' });
    expect(submitted.status).toBe(200);
    expect(submitted.html).toContain(`You joined account ${accountId} as billing, and you are signed in.`);
    const bob = await logIn(h, 'bob@example.test', 'amber-forest-58');
    const memberships = (await write(bob, 'GET', '/v1/me')).body.memberships as { account_id: number; role: string }[];
    expect(memberships).toContainEqual(expect.objectContaining({ account_id: accountId, role: 'billing' }));
  });

  it('password expiry: the 14-day heads-up arrives by mail as the simulated clock passes it', async () => {
    // Bob set his password on 2026-11-02; it expires 180 days later, on 2027-05-01.
    const advanced = await h.call('POST', '/v1/clock/advance', { to: '2027-04-18T00:00:00Z', wait: true });
    expect(advanced.status).toBe(200);
    const mail = await lastMailTo('bob@example.test', /expires in 14 day/);
    const { submitted } = await submitPage(h, linkIn(mail.text), { email: 'bob@example.test', current_password: 'amber-forest-58', new_password: 'copper-valley-61' });
    expect(submitted.html).toContain('Your password is changed');
    expect((await logIn(h, 'bob@example.test', 'copper-valley-61')).answer.status).toBe(200);
  }, 120_000);
});
