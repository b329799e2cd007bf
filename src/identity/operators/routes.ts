// The provider's side of accounts (SPEC 1): blocking and unblocking (staff only), upgrading a
// trial to a billing account (its owner, or staff), and the provider settings for trial
// limits and upgrade on first credit (staff only). Registered from src/members/routes.ts.
import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import type { KassaApp } from '../../http/kassa-app.js';
import { AccountSchema, accountJson, accountView } from '../../accounts/representation.js';
import { inTransaction } from '../../accounts/transaction.js';
import { UPGRADE_ON_FIRST_CREDIT_SETTING, upgradeAccount } from '../../accounts/upgrade.js';
import { saveProviderSetting } from '../../audit/provider-setting.js';
import { problemResponses, sendProblem } from '../../shared/problem.js';
import { FailureSignal } from '../../shared/result.js';
import { blockAccount, unblockAccount } from './block.js';
import { readTrialLimits, setTrialLimits } from './trial-limits.js';

const AccountParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) });
const BlockBody = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 500, pattern: '\\S', description: 'why; kept in the audit log' }) },
  { title: 'BlockAccount', additionalProperties: false, examples: [{ reason: 'chargeback fraud under investigation' }] },
);
const Empty = Type.Object({}, { title: 'EmptyBody', additionalProperties: false, examples: [{}] });
const Metric = Type.String({ pattern: '^[a-z][a-z0-9_.]{0,62}$' });
const TrialLimitsSchema = Type.Object(
  {
    quotas: Type.Record(Metric, Type.Integer({ minimum: 0, maximum: 1_000_000_000 }), { description: 'per metric (or `subscriptions`: active subscriptions), the most a trial account may have' }),
    denied_features: Type.Array(Metric, { maxItems: 100, description: 'features trial accounts may not use at all' }),
  },
  { title: 'TrialLimits', additionalProperties: false, examples: [{ quotas: { subscriptions: 1, users: 5 }, denied_features: ['public_ip'] }] },
);
const UpgradeSettingSchema = Type.Object(
  { on_first_credit: Type.Boolean({ description: 'upgrade a trial account to billing when a credit is first posted to it' }) },
  { title: 'AccountUpgradeSetting', additionalProperties: false, examples: [{ on_first_credit: true }] },
);

/** Bodiless actions may be sent without a body; one with a body is held to the schema. */
const emptyBody = async (request: FastifyRequest) => {
  if (request.body === undefined) request.body = {};
};

export async function operatorRoutes(app: KassaApp) {
  const { kassa } = app;
  const tags = ['accounts'];

  app.post(
    '/accounts/:id/block',
    {
      schema: {
        tags,
        summary: "Block an account (staff): read only for its members, entitlements not allowed, no billing; the status it had is kept for unblocking",
        params: AccountParams,
        body: BlockBody,
        response: { 200: AccountSchema, ...problemResponses(403, 404, 409) },
      },
    },
    async (request, reply) => {
      const blocked = await blockAccount(kassa, request.principal, request.params.id, request.body.reason, request.ip, kassa.clock.now());
      if (!blocked.ok) return sendProblem(reply, blocked.failure);
      return accountJson(blocked.value);
    },
  );

  app.post(
    '/accounts/:id/unblock',
    { preValidation: emptyBody, schema: { tags, summary: 'Unblock an account (staff): it returns to the status the block replaced', params: AccountParams, body: Empty, response: { 200: AccountSchema, ...problemResponses(403, 404, 409) } } },
    async (request, reply) => {
      const unblocked = await unblockAccount(kassa, request.principal, request.params.id, request.ip, kassa.clock.now());
      if (!unblocked.ok) return sendProblem(reply, unblocked.failure);
      return accountView(kassa.db, unblocked.value);
    },
  );

  app.post(
    '/accounts/:id/upgrade',
    {
      config: { access: 'account_type:write' },
      preValidation: emptyBody,
      schema: { tags, summary: 'Upgrade a trial to a billing account (its owner, or staff): the trial limits are lifted at once', params: AccountParams, body: Empty, response: { 200: AccountSchema, ...problemResponses(403, 404, 409) } },
    },
    async (request, reply) => {
      const { id } = request.params;
      const upgraded = await inTransaction(kassa.db, async (tx) => {
        const result = await upgradeAccount(tx, request.principal, id, 'explicit', request.ip, kassa.clock.now());
        if (!result.ok) throw new FailureSignal(result.failure);
        return result.value;
      });
      if (!upgraded.ok) return sendProblem(reply, upgraded.failure);
      kassa.entitlements.invalidate(id);
      return accountView(kassa.db, upgraded.value);
    },
  );

  app.get(
    '/settings/trial-limits',
    { schema: { tags: ['settings'], summary: 'The stricter limits trial accounts are held to (staff)', response: { 200: TrialLimitsSchema, ...problemResponses(403) } } },
    async () => readTrialLimits(kassa.db),
  );

  app.put(
    '/settings/trial-limits',
    {
      schema: {
        tags: ['settings'],
        summary: 'Set the limits trial accounts are held to (staff); every cached entitlement is recomputed',
        body: TrialLimitsSchema,
        response: { 200: TrialLimitsSchema, ...problemResponses(403) },
      },
    },
    async (request, reply) => {
      const set = await setTrialLimits(kassa, request.principal, request.body, request.ip, kassa.clock.now());
      if (!set.ok) return sendProblem(reply, set.failure);
      return set.value;
    },
  );

  app.put(
    '/settings/account-upgrade',
    { schema: { tags: ['settings'], summary: 'Whether a trial account becomes a billing account on its first credit (staff)', body: UpgradeSettingSchema, response: { 200: UpgradeSettingSchema, ...problemResponses(403) } } },
    async (request) => {
      const value = request.body.on_first_credit;
      await saveProviderSetting(kassa.db, request.principal, { key: UPGRADE_ON_FIRST_CREDIT_SETTING, value, action: 'settings.account_upgrade_changed', data: { on_first_credit: value } }, request.ip, kassa.clock.now());
      return { on_first_credit: value };
    },
  );
}
