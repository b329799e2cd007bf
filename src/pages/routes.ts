// The pages behind the links Kassa mails (verification, password reset, invitation, password
// expiry, "you already have an account"), same origin, until the dashboard exists. Opening a
// link only shows a form: nothing is spent until the person presses its button, so a mail
// scanner that prefetches the link consumes nothing. Each form POSTs back to its page with a
// CSRF token (@fastify/csrf-protection: a secret in an HttpOnly SameSite=Strict cookie, and a
// token derived from it in the form), and answers a page saying what happened.
import csrfProtection from '@fastify/csrf-protection';
import formBody from '@fastify/formbody';
import rateLimit from '@fastify/rate-limit';
import type { FastifyBaseLogger, FastifyReply } from 'fastify';
import { Type } from 'typebox';
import type { Kassa } from '../context.js';
import type { KassaApp } from '../http/kassa-app.js';
import { changeExpiredPassword, changePassword } from '../identity/passwords/change.js';
import { confirmPasswordReset, requestPasswordReset } from '../identity/passwords/reset.js';
import { RATE_LIMITS } from '../identity/routes.js';
import { type Client, setSessionCookie, userActor } from '../identity/sessions/create-session.js';
import { type SignedIn, login } from '../identity/sessions/login.js';
import { identitySettings } from '../identity/sessions/settings.js';
import { setDeviceCookie } from '../identity/sessions/trusted-device.js';
import { verifyEmail } from '../identity/signup/verify-email.js';
import { acceptInvitation } from '../members/accept.js';
import { paypalFor } from '../payments/paypal/client.js';
import { capturePayPalTopUp } from '../payments/paypal/paypal-top-up.js';
import { type Result, failureStatus } from '../shared/result.js';
import { type Field, form, page, paragraph } from './html.js';

export const FORM_COOKIE = 'kassa_form';

type Values = Record<string, string | undefined>;
type Outcome = Result<{ message: string; signedIn?: SignedIn }>;

interface LinkPage {
  path: string;
  title: string;
  intro: string;
  /** Whether the page needs the mailed link's `?token=`. */
  token: boolean;
  fields: Field[];
  button: string;
  limit: { max: number; timeWindow: number };
  submit: (kassa: Kassa, values: Values, client: Client, log: FastifyBaseLogger) => Promise<Outcome>;
}

const email: Field = { name: 'email', label: 'E-mail address', type: 'email', autocomplete: 'email' };
const password: Field = { name: 'password', label: 'Password', type: 'password', autocomplete: 'current-password' };
const currentPassword: Field = { ...password, name: 'current_password', label: 'Current password' };
const newPassword: Field = { name: 'new_password', label: 'New password (at least 12 characters)', type: 'password', autocomplete: 'new-password' };
const code: Field = { name: 'code', label: 'Code from your authenticator app, or a recovery code (if you turned two-factor on)', type: 'text', autocomplete: 'one-time-code', required: false };

/** The second factor as login takes it: six digits are an app's code, anything else a recovery code. */
function secondFactor(values: Values) {
  const given = values.code?.trim();
  if (!given) return {};
  return /^\d{6}$/.test(given) ? { totp_code: given } : { recovery_code: given };
}

const done = (message: string, signedIn?: SignedIn): Outcome => ({ ok: true, value: { message, signedIn } });

export const LINK_PAGES: LinkPage[] = [
  {
    path: '/verify',
    title: 'Confirm your e-mail address',
    intro: 'Press the button to confirm this address and open your Kassa account.',
    token: true,
    fields: [],
    button: 'Confirm my address',
    limit: RATE_LIMITS.verify,
    submit: async (kassa, values, client) => {
      const verified = await verifyEmail(kassa, values.token!, client.ip);
      return verified.ok ? done(`${verified.value.email} is confirmed. You can sign in now.`) : verified;
    },
  },
  {
    path: '/reset-password',
    title: 'Choose a new password',
    intro: 'The new password replaces the old one and signs you out everywhere.',
    token: true,
    fields: [newPassword],
    button: 'Set the new password',
    limit: RATE_LIMITS.resetConfirm,
    submit: async (kassa, values, client) => {
      const reset = await confirmPasswordReset(kassa, values.token!, values.new_password ?? '', client.ip);
      return reset.ok ? done('Your password is changed and every session is signed out. Sign in with the new password.') : reset;
    },
  },
  {
    path: '/forgot-password',
    title: 'Forgot your password?',
    intro: 'Give your address: if it has a Kassa account, we mail it a link to choose a new password, valid one hour.',
    token: false,
    fields: [email],
    button: 'Mail me a link',
    limit: RATE_LIMITS.reset,
    submit: async (kassa, values, client, log) => {
      // As the API does: the same answer in the same time for any address.
      kassa.background.run('password reset request', () => requestPasswordReset(kassa, values.email ?? '', client.ip), log);
      return done('If the address can receive one, a mail with a link is on its way.');
    },
  },
  {
    path: '/invitations/accept',
    title: 'Accept the invitation',
    intro: 'Sign in with the address the invitation was sent to, and you join the account with the role it gives. No account yet? Sign up with that address first.',
    token: true,
    fields: [email, password, code],
    button: 'Sign in and join',
    limit: RATE_LIMITS.login,
    submit: async (kassa, values, client) => {
      const signedIn = await login(kassa, { email: values.email ?? '', password: values.password ?? '', ...secondFactor(values) }, client);
      if (!signedIn.ok) return signedIn;
      const { user, session } = signedIn.value;
      const joined = await acceptInvitation(kassa, userActor(user, session.id), values.token!, client.ip, kassa.clock.now());
      return joined.ok ? done(`You joined account ${joined.value.account_id} as ${joined.value.role}, and you are signed in.`, signedIn.value) : joined;
    },
  },
  {
    path: '/change-password',
    title: 'Change your password',
    intro: 'Choose a new password before the old one expires. Your other sessions are signed out.',
    token: false,
    fields: [email, currentPassword, newPassword, code],
    button: 'Change the password',
    limit: RATE_LIMITS.login,
    submit: async (kassa, values, client) => {
      const current = values.current_password ?? '';
      const next = values.new_password ?? '';
      const signedIn = await login(kassa, { email: values.email ?? '', password: current, ...secondFactor(values) }, client);
      if (!signedIn.ok && signedIn.failure.code === 'password_expired') {
        const changed = await changeExpiredPassword(kassa, String(signedIn.failure.extra?.change_token), next, client);
        return changed.ok ? done('Your expired password is replaced, and you are signed in.', changed.value) : changed;
      }
      if (!signedIn.ok) return signedIn;
      const changed = await changePassword(kassa, signedIn.value.user.id, signedIn.value.session.id, current, next, client);
      return changed.ok ? done('Your password is changed, and your other sessions are signed out.', signedIn.value) : changed;
    },
  },
];

const FormFields = Type.Record(Type.String({ maxLength: 40 }), Type.String({ maxLength: 1000 }));
const LinkQuery = Type.Object({ token: Type.Optional(Type.String({ maxLength: 200 })) }, { additionalProperties: false });

export async function linkPages(parent: KassaApp) {
  const kassa = parent.kassa;
  await parent.register(async (app) => {
    await app.register(formBody, { bodyLimit: 16_384 });
    await app.register(rateLimit, { global: false });
    await app.register(csrfProtection, {
      cookieKey: FORM_COOKIE,
      cookieOpts: { path: '/', sameSite: 'strict', httpOnly: true, secure: identitySettings(kassa).cookieSecure },
    });
    // The app parses cookies only where it needs them; these pages need the CSRF secret's.
    app.addHook('onRequest', (request, _reply, done) => {
      request.cookies = request.headers.cookie === undefined ? {} : app.parseCookie(request.headers.cookie);
      done();
    });
    app.setErrorHandler((error, request, reply) => {
      const e = error as { code?: string; statusCode?: number; validation?: unknown };
      if (e.code === 'FST_CSRF_MISSING_SECRET' || e.code === 'FST_CSRF_INVALID_TOKEN') {
        return html(reply, 403, page('This form has expired', paragraph('The form was not sent from this page, or too long ago. Open the link from your mail again.', 'problem')));
      }
      if (e.code === 'FST_ERR_RATE_LIMITED' || e.statusCode === 429) return html(reply, 429, page('Too many attempts', paragraph('Wait a few minutes, then open the link from your mail again.', 'problem')));
      if (e.validation || (e.statusCode && e.statusCode < 500)) return html(reply, 400, page('This form could not be read', paragraph('Open the link from your mail again and fill the form in.', 'problem')));
      request.log.error({ err: error }, 'unexpected error on a page');
      return html(reply, 500, page('Something went wrong', paragraph('It has been logged. Try again in a while.', 'problem')));
    });

    for (const linkPage of LINK_PAGES) {
      const config = { rateLimit: linkPage.limit };
      app.get(linkPage.path, { schema: { hide: true, querystring: LinkQuery } }, async (request, reply) => {
        const { token } = request.query as { token?: string };
        if (linkPage.token && !token) return html(reply, 400, page(linkPage.title, paragraph('This link is incomplete: open it from your mail again, whole.', 'problem')));
        return html(reply, 200, formPage(linkPage, reply, token));
      });
      app.post(linkPage.path, { config, preHandler: app.csrfProtection, schema: { hide: true, querystring: LinkQuery, body: FormFields } }, async (request, reply) => {
        const values = request.body as Values;
        const token = (request.query as { token?: string }).token ?? values.token;
        if (linkPage.token && !token) return html(reply, 400, page(linkPage.title, paragraph('This link is incomplete: open it from your mail again, whole.', 'problem')));
        const client = { ip: request.ip ?? null, userAgent: request.headers['user-agent'] ?? null };
        const outcome = await linkPage.submit(kassa, { ...values, token }, client, request.log);
        if (!outcome.ok) return html(reply, failureStatus[outcome.failure.code], formPage(linkPage, reply, token, outcome.failure.detail, values.email));
        const { message, signedIn } = outcome.value;
        if (signedIn) {
          setSessionCookie(kassa, reply, signedIn.session.secret);
          if (signedIn.device) setDeviceCookie(kassa, reply, signedIn.device);
        }
        return html(reply, 200, page(linkPage.title, paragraph(message, 'done')));
      });
    }

    // Where a payment provider's page sends the customer back when no other address was given.
    // Nothing is credited here: the balance grows when the provider's webhook confirms the money.
    const TopUpParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });
    app.get('/top-ups/:id/paid', { schema: { hide: true, params: TopUpParams } }, async (_request, reply) =>
      html(reply, 200, page('Thank you', paragraph('Your payment is being confirmed. The balance grows as soon as the payment provider confirms it, usually within a minute; a mail tells you when.', 'done'))),
    );
    // PayPal's buyer comes back here having approved: the order is captured now (once; PayPal's
    // CHECKOUT.ORDER.APPROVED webhook would do it otherwise).
    app.get('/top-ups/:id/paypal-return', { schema: { hide: true, params: TopUpParams } }, async (request, reply) => {
      const paypal = await paypalFor(kassa);
      if (!paypal.ok) return html(reply, 422, page('PayPal is not available', paragraph(paypal.failure.detail, 'problem')));
      const captured = await capturePayPalTopUp(kassa, paypal.value, (request.params as { id: number }).id, kassa.clock.now());
      if (!captured.ok) {
        request.log.warn({ top_up: (request.params as { id: number }).id, failure: captured.failure }, 'paypal capture on return');
        return html(reply, failureStatus[captured.failure.code], page('The payment is not complete', paragraph(`${captured.failure.detail}. Nothing was taken into the balance.`, 'problem')));
      }
      const done = captured.value.status === 'succeeded';
      return html(reply, 200, page('Thank you', paragraph(done ? 'Your payment arrived: the balance has grown.' : 'Your payment is being confirmed by PayPal; the balance grows as soon as it is, and a mail tells you.', 'done')));
    });
    app.get('/top-ups/:id/cancelled', { schema: { hide: true, params: TopUpParams } }, async (_request, reply) =>
      html(reply, 200, page('Payment cancelled', paragraph('Nothing was charged. You can start a new top-up at any time.'))),
    );
  });
}

function formPage(linkPage: LinkPage, reply: FastifyReply, token: string | undefined, problem?: string, typedEmail?: string): string {
  const hidden: Record<string, string> = { _csrf: reply.generateCsrf() };
  if (token) hidden.token = token;
  const fields = linkPage.fields.map((f) => (f.name === 'email' && typedEmail ? { ...f, value: typedEmail } : f));
  const intro = problem ? paragraph(problem, 'problem') : paragraph(linkPage.intro);
  return page(linkPage.title, `${intro}\n${form(linkPage.path, hidden, fields, linkPage.button)}`);
}

function html(reply: FastifyReply, status: number, body: string) {
  // A page may carry a CSRF token or follow a live link: never cached, never sent on as a referrer.
  return reply.code(status).header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').type('text/html; charset=utf-8').send(body);
}
