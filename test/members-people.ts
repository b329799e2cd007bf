// People for the members, operators, audit and account-status scenarios: users and
// memberships written straight to the database, and a signed-in caller per person through a
// real login session (cookie plus CSRF token), so every request goes through the one
// authorize rule as it does in production.
import type { Harness } from './support/harness.js';
import { memberships, type Role, users } from '../src/db/schema.js';
import { createSession } from '../src/identity/sessions/create-session.js';
import { replyBody } from './support/reply-body.js';

export interface Person {
  id: number;
  email: string;
  // Response bodies are read field by field, as with Harness.call.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  call(method: string, url: string, body?: unknown): Promise<{ status: number; body: any }>;
}

export async function addPerson(h: Harness, email: string, options: { operator?: boolean; verified?: boolean; name?: string } = {}): Promise<Person> {
  const now = h.kassa.clock.now();
  const [user] = await h.kassa.db
    .insert(users)
    .values({ email, name: options.name ?? email.split('@')[0]!, operator: options.operator ?? false, emailVerifiedAt: options.verified === false ? null : now, createdAt: now })
    .returning();
  return {
    id: user!.id,
    email,
    async call(method, url, body) {
      // A fresh session per call: scenarios move the simulated clock past a session's life.
      const session = await createSession(h.kassa.db, user!, h.kassa.clock.now(), { ip: '198.51.100.7', userAgent: 'vitest' });
      const response = await h.app.inject({
        method: method as 'GET',
        url,
        cookies: { kassa_session: session.secret },
        headers: { 'x-csrf-token': session.csrfToken, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        payload: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.statusCode, body: replyBody(response) };
    },
  };
}

export async function join(h: Harness, accountId: number, person: Person, role: Role): Promise<void> {
  await h.kassa.db.insert(memberships).values({ accountId, userId: person.id, role, createdAt: h.kassa.clock.now() });
}

export async function openAccount(h: Harness, name = 'Acme GmbH'): Promise<number> {
  const created = await h.call('POST', '/v1/accounts', { name, currency: 'EUR' });
  if (created.status !== 201) throw new Error(`account not created: ${JSON.stringify(created.body)}`);
  return created.body.id as number;
}
