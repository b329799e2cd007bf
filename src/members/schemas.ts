// Request and response schemas of the members API.
import { Type } from 'typebox';
import { ROLES } from './rules.js';

const Id = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });

export const RoleSchema = Type.Union(
  [Type.Literal(ROLES[0]), Type.Literal(ROLES[1]), Type.Literal(ROLES[2]), Type.Literal(ROLES[3]), Type.Literal(ROLES[4])],
  { description: 'owner, admin, billing, member or viewer (docs/permissions.md says what each may do)' },
);

export const AccountParams = Type.Object({ id: Id });
export const MemberParams = Type.Object({ id: Id, user_id: Id });
export const InvitationParams = Type.Object({ id: Id, invitation_id: Id });

const memberExample = { user_id: 7, email: 'ada@acme.example', name: 'Ada', role: 'admin', two_factor_enabled: true, joined_at: '2026-11-02T13:00:00.000Z' };

export const MemberSchema = Type.Object(
  {
    user_id: Type.Integer(),
    email: Type.String(),
    name: Type.String(),
    role: RoleSchema,
    two_factor_enabled: Type.Boolean(),
    joined_at: Type.String({ format: 'date-time' }),
  },
  { title: 'Member', examples: [memberExample] },
);

export const MemberListSchema = Type.Object({ data: Type.Array(MemberSchema) }, { title: 'MemberList', examples: [{ data: [{ ...memberExample, user_id: 3, email: 'owner@acme.example', name: 'Grace', role: 'owner' }, memberExample] }] });

export const InvitationSchema = Type.Object(
  {
    id: Type.Integer(),
    email: Type.String(),
    role: RoleSchema,
    created_at: Type.String({ format: 'date-time' }),
    expires_at: Type.String({ format: 'date-time', description: 'the link works once, until then (7 days)' }),
  },
  { title: 'Invitation', examples: [{ id: 12, email: 'bob@acme.example', role: 'member', created_at: '2026-11-02T13:00:00.000Z', expires_at: '2026-11-09T13:00:00.000Z' }] },
);

export const InvitationListSchema = Type.Object({ data: Type.Array(InvitationSchema) }, { title: 'InvitationList', examples: [{ data: [{ id: 12, email: 'bob@acme.example', role: 'member', created_at: '2026-11-02T13:00:00.000Z', expires_at: '2026-11-09T13:00:00.000Z' }] }] });

export const InviteBody = Type.Object(
  { email: Type.String({ format: 'email', maxLength: 254 }), role: RoleSchema },
  { additionalProperties: false, examples: [{ email: 'bob@acme.example', role: 'member' }] },
);

export const AcceptBody = Type.Object(
  { token: Type.String({ minLength: 16, maxLength: 200, description: 'the token of the mailed link' }) },
  { additionalProperties: false, examples: [{ token: 'q3J8yV0bXl5m2Zr7W1tS0aH4nC6eK9dP-uF3gB8iL2o' }] },
);

export const AcceptedSchema = Type.Object(
  { account_id: Type.Integer(), ...MemberSchema.properties },
  { examples: [{ account_id: 2, ...memberExample, role: 'member' }] },
);

export const RoleBody = Type.Object({ role: RoleSchema }, { additionalProperties: false, examples: [{ role: 'billing' }] });

export const TransferBody = Type.Object({ user_id: Id }, { additionalProperties: false, examples: [{ user_id: 7 }] });

const seatExample = { service: 'users', name: 'Users', unit: 'user', created: 12, included_in_plan: 10, additional: 2, paid_this_period: 11 };

export const PlanViewSchema = Type.Object(
  {
    account_id: Type.Integer(),
    subscriptions: Type.Array(Type.Object({ subscription_id: Type.Integer(), plan_id: Type.Integer(), plan_name: Type.String() })),
    seats: Type.Array(
      Type.Object({
        service: Type.String({ description: 'service code' }),
        name: Type.String(),
        unit: Type.String(),
        created: Type.Integer({ description: 'units created: the object count the provider reported' }),
        included_in_plan: Type.Integer({ description: 'units the active plans include: the configured quantities, billed whatever is created (minimum billing)' }),
        additional: Type.Integer({ description: 'units created beyond those included' }),
        paid_this_period: Type.Integer({ description: 'units paid through the current period: the highest configured in it, since a seat removed inside a paid period stays paid until the period ends' }),
      }),
    ),
  },
  { examples: [{ account_id: 2, subscriptions: [{ subscription_id: 4, plan_id: 1, plan_name: 'Team' }], seats: [seatExample] }] },
);
