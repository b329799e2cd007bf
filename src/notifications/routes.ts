// The mail queue for the provider's staff: every mail Kassa queued, its text and delivery state.
// With no SMTP server configured this is where a verification or reset link can be read.
import { Type } from 'typebox';
import type { KassaApp } from '../http/kassa-app.js';
import { PageQuery, pageOf } from '../shared/pagination.js';
import { problemResponses } from '../shared/problem.js';
import { listMails } from './read.js';

const tags = ['mails'];
const Id = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
const State = Type.Union([Type.Literal('pending'), Type.Literal('sent'), Type.Literal('failed')]);
const Time = Type.String({ format: 'date-time' });
const Nullable = <T extends ReturnType<typeof Type.String> | ReturnType<typeof Type.Integer>>(t: T) => Type.Union([t, Type.Null()]);

export const MailSchema = Type.Object(
  {
    id: Type.Integer(),
    account_id: Nullable(Type.Integer()),
    user_id: Nullable(Type.Integer()),
    to: Type.String(),
    template: Type.String({ description: 'verify_email, reset_password, password_expiry_notice, invitation, low_balance, subscription_suspended...' }),
    subject: Type.String(),
    text: Type.String({ description: 'the plain-text body; it may hold single-use secret links' }),
    state: Type.Union([Type.Literal('pending'), Type.Literal('sent'), Type.Literal('failed')], {
      description: 'pending: queued or retrying (no SMTP server configured keeps it here); sent; failed: given up after retries',
    }),
    attempts: Type.Integer({ minimum: 0, description: 'delivery attempts so far' }),
    next_attempt_at: Nullable(Type.String({ format: 'date-time', description: 'when a pending mail is tried next' })),
    last_error: Nullable(Type.String({ description: "the mail server's answer to the last failed attempt" })),
    sent_at: Nullable(Time),
    created_at: Time,
  },
  {
    examples: [
      {
        id: 7,
        account_id: 2,
        user_id: 3,
        to: 'ada@acme.example',
        template: 'verify_email',
        subject: 'Verify your e-mail address',
        text: 'Welcome to Kassa.\n\nConfirm your address within 24 hours:\nhttp://localhost:3000/verify?token=kassa_vt_example\n',
        state: 'pending',
        attempts: 0,
        next_attempt_at: '2026-11-02T13:00:00.000Z',
        last_error: null,
        sent_at: null,
        created_at: '2026-11-02T13:00:00.000Z',
      },
    ],
  },
);

export async function mailRoutes(app: KassaApp) {
  app.get(
    '/mails',
    {
      // No config.access: the provider's staff only (mail bodies hold secret links).
      schema: {
        tags,
        summary: 'List queued and sent mails with their text, oldest first (staff only)',
        description:
          'Every mail Kassa queued (verification, reset, invitation, notices) with its delivery state. ' +
          'Without SMTP_URL mails stay pending here, so the links can still be followed.',
        querystring: Type.Intersect([
          PageQuery,
          Type.Object({
            to: Type.Optional(Type.String({ minLength: 1, maxLength: 320, description: 'only mails to this address (case-insensitive)' })),
            state: Type.Optional(State),
            account_id: Type.Optional(Id),
          }),
        ]),
        response: { 200: pageOf(MailSchema), ...problemResponses(403) },
      },
    },
    async (request) => {
      const { account_id: accountId, ...rest } = request.query;
      return listMails(app.kassa.db, { ...rest, accountId });
    },
  );
}
