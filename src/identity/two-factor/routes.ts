// Two-factor authentication over HTTP: the signed-in person's own 2FA under /v1/me/two-factor
// (reachable even where an account requires 2FA, so they can enrol), and the account-wide
// requirement under /v1/accounts/{id}/security.
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import type { KassaApp } from '../../http/kassa-app.js';
import { problemResponses, sendProblem } from '../../shared/problem.js';
import type { Result } from '../../shared/result.js';
import { sessionUser } from '../tokens/session-only.js';
import { recordAttempt, tooManyAttempts } from './attempts.js';
import { confirmEnrolment, disableTwoFactor, readAccountSecurity, regenerateRecoveryCodes, setRequireTwoFactor, startEnrolment, twoFactorStatus } from './manage.js';

const tags = ['two-factor authentication'];

const TotpCode = Type.String({ pattern: '^\\s*\\d{3}\\s?\\d{3}\\s*$', maxLength: 16, description: 'the 6-digit code the authenticator shows now' });
const CodeBody = Type.Object({ code: TotpCode }, { title: 'TwoFactorCode', additionalProperties: false, examples: [{ code: '492039' }] });
const DisableBody = Type.Object(
  { code: Type.String({ minLength: 6, maxLength: 64, description: 'a fresh 6-digit code, or an unused recovery code (xxxx-xxxx-xxxx-xxxx)' }) },
  { additionalProperties: false, examples: [{ code: '492039' }] },
);
const RecoveryCodes = Type.Array(Type.String(), { description: `one-time codes for when the authenticator is lost: shown this once, stored hashed` });

const StatusSchema = Type.Object(
  {
    enabled: Type.Boolean(),
    enabled_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    pending: Type.Boolean({ description: 'enrolled but not yet confirmed with a first code' }),
    recovery_codes_remaining: Type.Integer(),
  },
  { title: 'TwoFactorStatus', examples: [{ enabled: true, enabled_at: '2026-11-02T13:00:00.000Z', pending: false, recovery_codes_remaining: 9 }] },
);
const EnrolSchema = Type.Object(
  {
    secret: Type.String({ description: 'the shared secret, base32, for typing into an authenticator' }),
    otpauth_uri: Type.String({ description: 'the same as an otpauth:// URI, for a QR code' }),
  },
  { examples: [{ secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', otpauth_uri: 'otpauth://totp/Kassa:ada%40example.com?issuer=Kassa&secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&algorithm=SHA1&digits=6&period=30' }] },
);
const EnabledSchema = Type.Object(
  { enabled_at: Type.String({ format: 'date-time' }), recovery_codes: RecoveryCodes },
  { examples: [{ enabled_at: '2026-11-02T13:00:00.000Z', recovery_codes: ['ab3d-efgh-jk2m-np4q', '...'] }] },
);
const RegeneratedSchema = Type.Object({ recovery_codes: RecoveryCodes }, { examples: [{ recovery_codes: ['ab3d-efgh-jk2m-np4q', '...'] }] });
const DisabledSchema = Type.Object(
  { accounts_requiring_two_factor: Type.Array(Type.Integer(), { description: 'your accounts that require 2FA: they refuse you until it is on again' }) },
  { examples: [{ accounts_requiring_two_factor: [] }] },
);

const SecuritySchema = Type.Object(
  {
    account_id: Type.Integer(),
    require_two_factor: Type.Boolean({ description: 'members without 2FA get 403 two_factor_required on this account' }),
    members_without_two_factor: Type.Integer(),
  },
  { title: 'AccountSecurity', examples: [{ account_id: 2, require_two_factor: true, members_without_two_factor: 1 }] },
);
const SecurityBody = Type.Object({ require_two_factor: Type.Boolean() }, { additionalProperties: false, examples: [{ require_two_factor: true }] });
const AccountParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) });

function send<T>(reply: FastifyReply, result: Result<T>): T | FastifyReply {
  if (!result.ok) return sendProblem(reply, result.failure);
  return result.value;
}

export async function twoFactorRoutes(app: KassaApp) {
  const { kassa } = app;
  const me = { config: { access: 'authenticated' as const } };
  const noStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store');

  /**
   * Runs a code-checking operation under the per-user attempt limit. Only six-digit codes are
   * limited: a recovery code (xxxx-xxxx-xxxx-xxxx) cannot be guessed, and the owner must
   * always be able to use one.
   */
  async function withAttempts<T>(userId: number, now: Date, code: string, run: () => Promise<Result<T>>): Promise<Result<T>> {
    const guessable = /^\d{6}$/.test(code.trim());
    const limited = guessable ? await tooManyAttempts(kassa.db, userId, now) : undefined;
    if (limited) return { ok: false, failure: limited };
    const result = await run();
    if (guessable && (result.ok || result.failure.code === 'invalid_code')) await recordAttempt(kassa.db, userId, result.ok, now);
    return result;
  }

  app.get(
    '/me/two-factor',
    { ...me, schema: { tags, summary: 'Whether your two-factor authentication is on, and how many recovery codes remain', response: { 200: StatusSchema, ...problemResponses(403) } } },
    async (request, reply) => {
      const user = sessionUser(request.principal);
      if (!user.ok) return sendProblem(reply, user.failure);
      return twoFactorStatus(kassa.db, user.value.userId);
    },
  );

  app.post(
    '/me/two-factor/enrol',
    { ...me, schema: { tags, summary: 'Start enrolling an authenticator: a new secret, not yet in force until confirmed', response: { 200: EnrolSchema, ...problemResponses(403, 409) } } },
    async (request, reply) => {
      const user = sessionUser(request.principal);
      if (!user.ok) return sendProblem(reply, user.failure);
      return send(noStore(reply), await startEnrolment(kassa.db, kassa.secrets, user.value, kassa.clock.now(), request.ip));
    },
  );

  app.post(
    '/me/two-factor/confirm',
    { ...me, schema: { tags, summary: 'Confirm the authenticator with its current code: 2FA on, ten recovery codes shown once', body: CodeBody, response: { 200: EnabledSchema, ...problemResponses(403, 409, 422, 429) } } },
    async (request, reply) => {
      const user = sessionUser(request.principal);
      if (!user.ok) return sendProblem(reply, user.failure);
      const now = kassa.clock.now();
      return send(noStore(reply), await withAttempts(user.value.userId, now, request.body.code, () => confirmEnrolment(kassa.db, kassa.secrets, user.value, request.body.code, now, request.ip)));
    },
  );

  app.post(
    '/me/two-factor/recovery-codes',
    { ...me, schema: { tags, summary: 'Ten new recovery codes for a current code; the old ones stop working', body: CodeBody, response: { 200: RegeneratedSchema, ...problemResponses(403, 409, 422, 429) } } },
    async (request, reply) => {
      const user = sessionUser(request.principal);
      if (!user.ok) return sendProblem(reply, user.failure);
      const now = kassa.clock.now();
      return send(noStore(reply), await withAttempts(user.value.userId, now, request.body.code, () => regenerateRecoveryCodes(kassa.db, kassa.secrets, user.value, request.body.code, now, request.ip)));
    },
  );

  app.post(
    '/me/two-factor/disable',
    { ...me, schema: { tags, summary: 'Turn two-factor authentication off with a fresh code or a recovery code', body: DisableBody, response: { 200: DisabledSchema, ...problemResponses(403, 409, 422, 429) } } },
    async (request, reply) => {
      const user = sessionUser(request.principal);
      if (!user.ok) return sendProblem(reply, user.failure);
      const now = kassa.clock.now();
      return send(reply, await withAttempts(user.value.userId, now, request.body.code, () => disableTwoFactor(kassa.db, kassa.secrets, user.value, request.body.code, now, request.ip)));
    },
  );

  app.get(
    '/accounts/:id/security',
    { config: { access: 'account:read' }, schema: { tags, summary: "The account's security settings", params: AccountParams, response: { 200: SecuritySchema, ...problemResponses(403, 404) } } },
    async (request, reply) => send(reply, await readAccountSecurity(kassa.db, request.params.id)),
  );

  app.put(
    '/accounts/:id/security',
    {
      config: { access: 'security:write' },
      schema: {
        tags,
        summary: 'Require two-factor authentication of every member (owners): members without it are refused on this account until they enrol',
        params: AccountParams,
        body: SecurityBody,
        response: { 200: SecuritySchema, ...problemResponses(403, 404, 409) },
      },
    },
    async (request, reply) => send(reply, await setRequireTwoFactor(kassa.db, request.principal, request.params.id, request.body.require_two_factor, kassa.clock.now(), request.ip)),
  );
}
