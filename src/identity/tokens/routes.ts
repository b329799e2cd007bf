// Personal access tokens over HTTP: create (the secret shown once), list, revoke. Only for a
// signed-in person (session-only.ts); the tokens then work as `Authorization: Bearer` on the
// whole API, narrowed to their scopes and to their user's roles.
import { Type } from 'typebox';
import type { KassaApp } from '../../http/kassa-app.js';
import { inTransaction } from '../../accounts/transaction.js';
import { recordAudit } from '../../audit/record.js';
import { problemResponses, sendProblem } from '../../shared/problem.js';
import { abort } from '../../shared/result.js';
import { PERMISSIONS } from '../../auth/permissions.js';
import { forgetPersonalTokens } from './authenticate.js';
import { DEFAULT_EXPIRY_DAYS, MAX_EXPIRY_DAYS, MAX_LIVE_TOKENS, type TokenRow, countLiveTokens, createPersonalToken, listPersonalTokens, revokePersonalToken } from './create.js';
import { sessionUser } from './session-only.js';

const tags = ['personal access tokens'];

const Scope = Type.Union(
  PERMISSIONS.map((p) => Type.Literal(p)),
  { description: 'a permission (docs/permissions.md); the token never exceeds its user\'s role in an account' },
);

const CreateTokenBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100, pattern: '\\S', description: 'what the token is for' }),
    scopes: Type.Array(Scope, { minItems: 1, maxItems: PERMISSIONS.length, uniqueItems: true }),
    expires_in_days: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_EXPIRY_DAYS, default: DEFAULT_EXPIRY_DAYS, description: `${DEFAULT_EXPIRY_DAYS} unless given` })),
  },
  { additionalProperties: false, examples: [{ name: 'nightly export', scopes: ['billing:read'], expires_in_days: 30 }] },
);

const tokenExample = {
  id: 7,
  name: 'nightly export',
  prefix: 'kassa_pat_Xy3k9Q',
  scopes: ['billing:read'],
  created_at: '2026-11-02T13:00:00.000Z',
  expires_at: '2026-12-02T13:00:00.000Z',
  last_used_at: null,
  revoked_at: null,
};

const tokenProperties = {
  id: Type.Integer(),
  name: Type.String(),
  prefix: Type.String({ description: 'the first characters of the secret, to recognise it' }),
  scopes: Type.Array(Type.String()),
  created_at: Type.String({ format: 'date-time' }),
  expires_at: Type.String({ format: 'date-time' }),
  last_used_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'recorded at most once a minute' }),
  revoked_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
};

const TokenSchema = Type.Object(tokenProperties, { title: 'PersonalToken', description: 'a personal access token (never its secret)', examples: [tokenExample] });

const CreatedTokenSchema = Type.Object(
  { ...tokenProperties, token: Type.String({ description: 'the secret, shown this once: send it as `Authorization: Bearer ...`' }) },
  { title: 'CreatedPersonalToken', examples: [{ ...tokenExample, token: 'kassa_pat_Xy3k9Q...' }] },
);

const TokenList = Type.Object({ data: Type.Array(TokenSchema) });
const TokenParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) });

function tokenJson(row: TokenRow) {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes,
    created_at: row.createdAt.toISOString(),
    expires_at: row.expiresAt.toISOString(),
    last_used_at: row.lastUsedAt?.toISOString() ?? null,
    revoked_at: row.revokedAt?.toISOString() ?? null,
  };
}

export async function tokenRoutes(app: KassaApp) {
  const { kassa } = app;

  app.post(
    '/me/tokens',
    {
      config: { access: 'authenticated' },
      schema: {
        tags,
        summary: 'Create a personal access token (signed in only); its secret is shown this once',
        body: CreateTokenBody,
        response: { 201: CreatedTokenSchema, ...problemResponses(403, 422) },
      },
    },
    async (request, reply) => {
      const user = sessionUser(request.principal);
      if (!user.ok) return sendProblem(reply, user.failure);
      const now = kassa.clock.now();
      const created = await inTransaction(kassa.db, async (tx) => {
        const live = await countLiveTokens(tx, user.value.userId, now);
        if (live >= MAX_LIVE_TOKENS) {
          abort('quota_exceeded', `at most ${MAX_LIVE_TOKENS} live personal access tokens: revoke one first`, {
            extra: { quota: 'personal_access_tokens', limit: MAX_LIVE_TOKENS, current: live },
          });
        }
        const token = await createPersonalToken(tx, user.value.userId, { name: request.body.name, scopes: request.body.scopes, expiresInDays: request.body.expires_in_days }, now);
        await recordAudit(tx, user.value, {
          action: 'token.created',
          target: `token:${token.row.id}`,
          data: { name: token.row.name, prefix: token.row.prefix, scopes: token.row.scopes, expires_at: token.row.expiresAt.toISOString() },
          ip: request.ip,
          at: now,
        });
        return token;
      });
      if (!created.ok) return sendProblem(reply, created.failure);
      return reply.code(201).header('cache-control', 'no-store').send({ ...tokenJson(created.value.row), token: created.value.secret });
    },
  );

  app.get(
    '/me/tokens',
    {
      config: { access: 'authenticated' },
      schema: { tags, summary: 'Your personal access tokens, oldest first, revoked and expired ones included', response: { 200: TokenList, ...problemResponses(403) } },
    },
    async (request, reply) => {
      const user = sessionUser(request.principal);
      if (!user.ok) return sendProblem(reply, user.failure);
      return { data: (await listPersonalTokens(kassa.db, user.value.userId)).map(tokenJson) };
    },
  );

  app.delete(
    '/me/tokens/:id',
    {
      config: { access: 'authenticated' },
      schema: {
        tags,
        summary: 'Revoke one of your personal access tokens (at once; revoking twice is harmless)',
        params: TokenParams,
        response: { 204: Type.Null({ description: 'revoked; no body' }), ...problemResponses(403, 404) },
      },
    },
    async (request, reply) => {
      const user = sessionUser(request.principal);
      if (!user.ok) return sendProblem(reply, user.failure);
      const now = kassa.clock.now();
      const revoked = await inTransaction(kassa.db, async (tx) => {
        const result = await revokePersonalToken(tx, user.value.userId, request.params.id, now);
        // Another user's token is as absent as a missing one.
        if (!result) abort('not_found', `no personal access token ${request.params.id}`);
        if (result.revokedNow) {
          await recordAudit(tx, user.value, { action: 'token.revoked', target: `token:${result.row.id}`, data: { name: result.row.name, prefix: result.row.prefix }, ip: request.ip, at: now });
        }
        return result;
      });
      if (!revoked.ok) return sendProblem(reply, revoked.failure);
      forgetPersonalTokens(kassa, user.value.userId);
      return reply.code(204).send(null);
    },
  );
}
