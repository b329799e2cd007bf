// Request and response shapes of sign-up, verification, login sessions and passwords.
import { Type } from 'typebox';
import { MAX_LENGTH, MIN_LENGTH } from './passwords/policy.js';

const Email = Type.String({ format: 'email', minLength: 3, maxLength: 254, description: 'compared case-insensitively' });
const Password = Type.String({ minLength: 1, maxLength: MAX_LENGTH * 4, description: `at least ${MIN_LENGTH} characters, two kinds of characters, not a common word` });
const Secret = Type.String({ minLength: 1, maxLength: 200, description: 'the token from the mailed link' });
const DateTime = Type.String({ format: 'date-time' });

export const SignUpBody = Type.Object(
  {
    email: Email,
    password: Password,
    name: Type.String({ minLength: 1, maxLength: 200, description: 'your name' }),
    account_name: Type.String({ minLength: 1, maxLength: 200, description: "the organisation's name" }),
    currency: Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217, for the life of the account' }),
  },
  { additionalProperties: false, examples: [{ email: 'ada@example.com', password: 'sunny-meadow-42', name: 'Ada Lovelace', account_name: 'Analytical Engines Ltd', currency: 'EUR' }] },
);

export const EmailBody = Type.Object({ email: Email }, { title: 'EmailAddress', additionalProperties: false, examples: [{ email: 'ada@example.com' }] });

export const TokenQuery = Type.Object({ token: Secret });

export const LoginBody = Type.Object(
  {
    email: Email,
    password: Type.String({ minLength: 1, maxLength: MAX_LENGTH * 4 }),
    totp_code: Type.Optional(Type.String({ minLength: 1, maxLength: 16, description: 'the current code of the authenticator app, when 2FA is on' })),
    recovery_code: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'or: an unused recovery code (spent by this login)' })),
  },
  { additionalProperties: false, examples: [{ email: 'ada@example.com', password: 'sunny-meadow-42' }, { email: 'ada@example.com', password: 'sunny-meadow-42', totp_code: '492039' }] },
);

export const ResetConfirmBody = Type.Object(
  { token: Secret, new_password: Password },
  { additionalProperties: false, examples: [{ token: 'mJ1c3Q4dG9rZW4tZnJvbS10aGUtbWFpbC1saW5rLXh4', new_password: 'quiet-harbour-77' }] },
);

export const ChangeExpiredBody = Type.Object(
  { token: Type.String({ minLength: 1, maxLength: 200, description: 'the change_token of the password_expired answer' }), new_password: Password },
  { additionalProperties: false, examples: [{ token: 'Zm9yY2VkLWNoYW5nZS10b2tlbi1mcm9tLWxvZ2luLXh4', new_password: 'quiet-harbour-77' }] },
);

export const ChangePasswordBody = Type.Object(
  { current_password: Type.String({ minLength: 1, maxLength: MAX_LENGTH * 4 }), new_password: Password },
  { additionalProperties: false, examples: [{ current_password: 'sunny-meadow-42', new_password: 'quiet-harbour-77' }] },
);

export const AcceptedSchema = Type.Object(
  { status: Type.Literal('accepted'), detail: Type.String() },
  { title: 'Accepted', examples: [{ status: 'accepted', detail: 'if the address can receive one, a mail with a link is on its way' }] },
);

export const VerifiedSchema = Type.Object(
  { status: Type.Literal('verified'), email: Type.String() },
  { examples: [{ status: 'verified', email: 'ada@example.com' }] },
);

const userExample = {
  id: 7,
  email: 'ada@example.com',
  name: 'Ada Lovelace',
  operator: false,
  email_verified_at: '2026-11-02T13:05:00.000Z',
  two_factor_enabled: false,
  password_changed_at: '2026-11-02T13:00:00.000Z',
  password_expires_at: '2027-05-01T13:00:00.000Z',
};

export const UserSchema = Type.Object(
  {
    id: Type.Integer(),
    email: Type.String(),
    name: Type.String(),
    operator: Type.Boolean({ description: "one of the provider's staff" }),
    email_verified_at: Type.Union([DateTime, Type.Null()]),
    two_factor_enabled: Type.Boolean(),
    password_changed_at: Type.Union([DateTime, Type.Null()]),
    password_expires_at: Type.Union([DateTime, Type.Null()], { description: 'null when passwords never expire' }),
  },
  { examples: [userExample] },
);

export const LoginSchema = Type.Object(
  {
    user: UserSchema,
    csrf_token: Type.String({ description: 'send it as the x-csrf-token header on every write made with the session cookie' }),
    session_expires_at: Type.String({ format: 'date-time', description: 'at the latest; 12 idle hours end it sooner' }),
  },
  { title: 'SignedIn', examples: [{ user: userExample, csrf_token: 'c3RhdGljLWNzcmYtdG9rZW4tZXhhbXBsZS14eHh4eHh4', session_expires_at: '2026-11-09T13:05:00.000Z' }] },
);

export const SignedOutSchema = Type.Object(
  { status: Type.Literal('signed_out'), revoked_sessions: Type.Integer(), revoked_tokens: Type.Integer({ description: 'personal access tokens revoked (logout-all with revoke_tokens)' }) },
  { title: 'SignedOut', examples: [{ status: 'signed_out', revoked_sessions: 1, revoked_tokens: 0 }] },
);

/** Optional: no body at all signs out the sessions only. */
export const LogoutAllBody = Type.Union([
  Type.Object(
    { revoke_tokens: Type.Optional(Type.Boolean({ description: 'revoke every personal access token of the user too (they survive otherwise)' })) },
    { additionalProperties: false },
  ),
  Type.Null(),
], { examples: [{ revoke_tokens: true }] });

export const PasswordChangedSchema = Type.Object(
  { status: Type.Literal('password_changed'), revoked_sessions: Type.Integer({ description: 'sessions ended by the change' }) },
  { title: 'PasswordChanged', examples: [{ status: 'password_changed', revoked_sessions: 2 }] },
);

export const MeSchema = Type.Object(
  {
    user: UserSchema,
    memberships: Type.Array(
      Type.Object({
        account_id: Type.Integer(),
        account_name: Type.String(),
        account_type: Type.String({ description: 'trial or billing' }),
        account_status: Type.String(),
        role: Type.String({ description: 'owner, admin, billing, member or viewer' }),
        permissions: Type.Array(Type.String(), { description: 'what the role allows in this account' }),
      }),
    ),
  },
  { title: 'Me',
    examples: [
      {
        user: userExample,
        memberships: [
          {
            account_id: 3,
            account_name: 'Analytical Engines Ltd',
            account_type: 'trial',
            account_status: 'active',
            role: 'owner',
            permissions: ['account:read', 'account:write', 'billing:read', 'billing:write', 'credit:write', 'subscriptions:read', 'subscriptions:write', 'plan:read', 'members:read', 'members:write', 'security:write'],
          },
        ],
      },
    ],
  },
);
