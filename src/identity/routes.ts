// Sign-up, e-mail verification, login sessions and passwords over HTTP. The routes people use
// before they are signed in are public and rate limited per client address; the rest need
// a session (and its CSRF token on writes).
import rateLimit from '@fastify/rate-limit';
import { attemptCountStore } from './rate-limit-store.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { KassaApp } from '../http/kassa-app.js';
import { problemResponses, sendProblem } from '../shared/problem.js';
import { FailureSignal, type Result } from '../shared/result.js';
import {
  AcceptedSchema,
  ChangeExpiredBody,
  ChangePasswordBody,
  EmailBody,
  LoginBody,
  LoginSchema,
  MeSchema,
  PasswordChangedSchema,
  ResetConfirmBody,
  SignUpBody,
  LogoutAllBody,
  SignedOutSchema,
  TokenQuery,
  VerifiedSchema,
} from './auth-schemas.js';
import { changeExpiredPassword, changePassword } from './passwords/change.js';
import { prepareDummyHash } from './passwords/hash.js';
import { confirmPasswordReset, requestPasswordReset } from './passwords/reset.js';
import { clearSessionCookie, setSessionCookie } from './sessions/create-session.js';
import { type SignedIn, login } from './sessions/login.js';
import { logout } from './sessions/logout.js';
import { forgetPersonalTokens } from './tokens/authenticate.js';
import { describeMe, userJson } from './sessions/me.js';
import { resendVerification } from './signup/resend.js';
import { signUp } from './signup/sign-up.js';
import { verifyEmail } from './signup/verify-email.js';
import { sessionUser } from './tokens/session-only.js';
import { deviceCookieOf, setDeviceCookie } from './sessions/trusted-device.js';

const tags = ['sign-up and sessions'];
const MINUTE_MS = 60_000;

/** Per client address. Small on purpose: people do not sign up or reset ten times an hour. */
export const RATE_LIMITS = {
  signup: { max: 5, timeWindow: 10 * MINUTE_MS },
  resend: { max: 3, timeWindow: 10 * MINUTE_MS },
  verify: { max: 20, timeWindow: 10 * MINUTE_MS },
  login: { max: 10, timeWindow: MINUTE_MS },
  reset: { max: 5, timeWindow: 10 * MINUTE_MS },
  resetConfirm: { max: 10, timeWindow: 10 * MINUTE_MS },
} as const;

const ACCEPTED = { status: 'accepted' as const, detail: 'if the address can receive one, a mail with a link is on its way' };

const client = (request: FastifyRequest) => ({ ip: request.ip ?? null, userAgent: request.headers['user-agent'] ?? null });

export async function identityRoutes(parent: KassaApp) {
  prepareDummyHash();
  // Its own scope, so the limiter (and its error) applies to these routes only.
  await parent.register(async (child) => {
    const app = child as KassaApp;
    await app.register(rateLimit, {
      global: false,
      // Counted in the database: one limit across every API process.
      store: attemptCountStore(parent.kassa.db),
      errorResponseBuilder: (_request, context) =>
        new FailureSignal({ code: 'rate_limited', detail: `too many attempts from this address; try again in ${context.after}`, extra: { retry_after_seconds: Math.ceil(context.ttl / 1000) } }),
    });
    routes(app);
  });
}

function routes(app: KassaApp) {
  const kassa = app.kassa;
  const open = (limit: (typeof RATE_LIMITS)[keyof typeof RATE_LIMITS]) => ({ access: 'public' as const, rateLimit: limit });

  app.post(
    '/auth/signup',
    {
      config: open(RATE_LIMITS.signup),
      schema: {
        tags,
        security: [],
        summary: 'Sign up: a user and a trial account they own, activated by the mailed verification link',
        description: 'Always 202 with the same body, whether the address is new, unverified (the link is sent again) or already has an account (a mail says so), so the form does not reveal who has an account.',
        body: SignUpBody,
        response: { 202: AcceptedSchema, ...problemResponses(429) },
      },
    },
    async (request, reply) => {
      const done = await signUp(kassa, request.body, request.ip);
      if (!done.ok) return sendProblem(reply, done.failure);
      return reply.code(202).send(ACCEPTED);
    },
  );

  app.post(
    '/auth/verify/resend',
    {
      config: open(RATE_LIMITS.resend),
      schema: { tags, security: [], summary: 'Send the verification link again (202 whatever the address)', body: EmailBody, response: { 202: AcceptedSchema, ...problemResponses(429) } },
    },
    async (request, reply) => {
      await resendVerification(kassa, request.body.email, request.ip);
      return reply.code(202).send(ACCEPTED);
    },
  );

  const verify = async (request: FastifyRequest<{ Querystring: { token: string } }>, reply: FastifyReply) => {
    const verified = await verifyEmail(kassa, request.query.token, request.ip);
    if (!verified.ok) return sendProblem(reply, verified.failure);
    return { status: 'verified' as const, email: verified.value.email };
  };
  // POST only: the mailed link opens the /verify page (src/pages/), whose button posts, so a mail
  // scanner's prefetch spends nothing.
  app.post(
    '/auth/verify',
    {
      config: open(RATE_LIMITS.verify),
      schema: {
        tags,
        security: [],
        summary: 'Spend a verification token (the ?token= of the mailed link): proves the address and activates the account',
        querystring: TokenQuery,
        response: { 200: VerifiedSchema, ...problemResponses(429) },
      },
    },
    verify,
  );

  app.post(
    '/auth/login',
    {
      config: open(RATE_LIMITS.login),
      schema: {
        tags,
        security: [],
        summary: 'Sign in: sets the session cookie and answers the CSRF token for writes',
        description:
          'invalid_credentials for a wrong address or password alike; second_factor_required when 2FA is on and no code was sent; password_expired (403) with a short-lived change_token once the password is older than the provider allows.',
        body: LoginBody,
        response: { 200: LoginSchema, ...problemResponses(403, 429) },
      },
    },
    async (request, reply) => {
      const signedIn = await login(kassa, { ...request.body, device: deviceCookieOf(request) }, client(request));
      return signedInReply(reply, signedIn);
    },
  );

  app.post(
    '/auth/logout',
    { config: { access: 'authenticated' }, schema: { tags, summary: 'Sign out this session', response: { 200: SignedOutSchema, ...problemResponses(403) } } },
    async (request, reply) => signOut(request, reply, false),
  );

  app.post(
    '/auth/logout-all',
    {
      config: { access: 'authenticated' },
      schema: { tags, summary: 'Sign out every session of the signed-in user, everywhere; with revoke_tokens, their personal access tokens too', body: LogoutAllBody, response: { 200: SignedOutSchema, ...problemResponses(403) } },
    },
    async (request, reply) => signOut(request, reply, true, (request.body as { revoke_tokens?: boolean } | undefined)?.revoke_tokens === true),
  );

  app.get(
    '/me',
    { config: { access: 'authenticated' }, schema: { tags, summary: 'The signed-in user and their accounts, with the role and permissions in each', response: { 200: MeSchema, ...problemResponses(403) } } },
    async (request, reply) => {
      const principal = request.principal;
      if (principal.kind !== 'user') return sendProblem(reply, { code: 'forbidden', detail: 'a provider key is not a person: sign in, or use a personal access token' });
      const me = await describeMe(kassa, principal.userId);
      if (!me) return sendProblem(reply, { code: 'unauthorized', detail: 'this user no longer exists' });
      return me;
    },
  );

  app.post(
    '/auth/password/reset',
    {
      config: open(RATE_LIMITS.reset),
      schema: { tags, security: [], summary: 'Forgot the password: mails a reset link valid one hour (202 whatever the address)', body: EmailBody, response: { 202: AcceptedSchema, ...problemResponses(429) } },
    },
    async (request, reply) => {
      // The same answer in the same time whether the address is known or not: the link, mail
      // and audit row of a known one are written after it.
      const { email } = request.body;
      kassa.background.run('password reset request', () => requestPasswordReset(kassa, email, request.ip), request.log);
      return reply.code(202).send(ACCEPTED);
    },
  );

  app.post(
    '/auth/password/reset/confirm',
    {
      config: open(RATE_LIMITS.resetConfirm),
      schema: { tags, security: [], summary: 'Set a new password with the mailed reset link; ends every session of the user', body: ResetConfirmBody, response: { 200: PasswordChangedSchema, ...problemResponses(429) } },
    },
    async (request, reply) => {
      const reset = await confirmPasswordReset(kassa, request.body.token, request.body.new_password, request.ip);
      if (!reset.ok) return sendProblem(reply, reset.failure);
      return { status: 'password_changed' as const, revoked_sessions: reset.value.revokedSessions };
    },
  );

  app.post(
    '/auth/password/change-expired',
    {
      config: open(RATE_LIMITS.login),
      schema: {
        tags,
        security: [],
        summary: 'Replace an expired password with the change_token of the login answer; signs in',
        body: ChangeExpiredBody,
        response: { 200: LoginSchema, ...problemResponses(429) },
      },
    },
    async (request, reply) => {
      const changed = await changeExpiredPassword(kassa, request.body.token, request.body.new_password, client(request));
      return signedInReply(reply, changed);
    },
  );

  app.post(
    '/auth/password/change',
    {
      config: { access: 'authenticated' },
      schema: { tags, summary: 'Change the password, knowing the current one; ends the other sessions', body: ChangePasswordBody, response: { 200: PasswordChangedSchema, ...problemResponses(403) } },
    },
    async (request, reply) => {
      const person = sessionUser(request.principal);
      if (!person.ok) return sendProblem(reply, person.failure);
      const changed = await changePassword(kassa, person.value.userId, person.value.sessionId!, request.body.current_password, request.body.new_password, client(request));
      if (!changed.ok) return sendProblem(reply, changed.failure);
      return { status: 'password_changed' as const, revoked_sessions: changed.value.revokedSessions };
    },
  );

  function signedInReply(reply: FastifyReply, signedIn: Result<SignedIn>) {
    if (!signedIn.ok) return sendProblem(reply, signedIn.failure);
    const { user, session, device } = signedIn.value;
    setSessionCookie(kassa, reply, session.secret);
    if (device) setDeviceCookie(kassa, reply, device);
    reply.header('cache-control', 'no-store');
    return reply.send({ user: userJson(kassa, user), csrf_token: session.csrfToken, session_expires_at: session.expiresAt.toISOString() });
  }

  async function signOut(request: FastifyRequest, reply: FastifyReply, everywhere: boolean, revokeTokens = false) {
    const person = sessionUser(request.principal);
    if (!person.ok) return sendProblem(reply, person.failure);
    const revoked = await logout(kassa, { ...person.value, sessionId: person.value.sessionId! }, everywhere, request.ip, revokeTokens);
    if (revoked.tokens > 0) forgetPersonalTokens(kassa, person.value.userId); // refused at once, not after the cache's check
    clearSessionCookie(kassa, reply);
    return { status: 'signed_out' as const, revoked_sessions: revoked.sessions, revoked_tokens: revoked.tokens };
  }
}
