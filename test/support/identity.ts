// Helpers for the identity scenarios: calls without the provider key (as a person, with the
// session cookie and CSRF header), the mails Kassa queued, and the tokens in their links.
import { asc, eq } from 'drizzle-orm';
import { mails } from '../../src/db/schema.js';
import type { Harness } from './harness.js';

export interface Browser {
  cookie?: string;
  csrf?: string;
  ip?: string;
  /** The `kassa_device` cookie of a browser that signed in before. */
  device?: string;
}

// Tests read response bodies field by field.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Answer = { status: number; body: any; headers: Record<string, unknown>; setCookie: string[] };

export async function anon(h: Harness, method: string, url: string, body?: unknown, as: Browser = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  const cookies = [as.cookie && `kassa_session=${as.cookie}`, as.device && `kassa_device=${as.device}`].filter(Boolean);
  if (cookies.length > 0) headers.cookie = cookies.join('; ');
  if (as.csrf) headers['x-csrf-token'] = as.csrf;
  const response = await h.app.inject({
    method: method as 'GET',
    url,
    headers,
    remoteAddress: as.ip ?? '127.0.0.1',
    payload: body === undefined ? undefined : JSON.stringify(body),
  });
  const raw = response.headers['set-cookie'];
  return {
    status: response.statusCode,
    body: response.body ? JSON.parse(response.body) : undefined,
    headers: response.headers,
    setCookie: raw === undefined ? [] : [raw].flat().map(String),
  };
}

export async function mailsTo(h: Harness, to: string) {
  return h.kassa.db.select().from(mails).where(eq(mails.to, to)).orderBy(asc(mails.id));
}

/** The `?token=` of the first link in a mail's text. */
export function tokenIn(text: string): string {
  const match = /https?:\/\/\S+\?token=([A-Za-z0-9_%-]+)/.exec(text);
  if (!match) throw new Error(`no link with a token in: ${text}`);
  return decodeURIComponent(match[1]!);
}

/** The path (and query) of the first link in a mail's text, to follow with inject. */
export function linkIn(text: string): string {
  const match = /https?:\/\/[^/\s]+(\/\S+)/.exec(text);
  if (!match) throw new Error(`no link in: ${text}`);
  return match[1]!;
}

export function sessionCookie(answer: Answer, name = 'kassa_session'): string | undefined {
  const line = answer.setCookie.find((c) => c.startsWith(`${name}=`));
  return line ? decodeURIComponent(line.slice(name.length + 1).split(';')[0]!) : undefined;
}

/** Spends a mailed verification link through the API (POST /v1/auth/verify?token=...). */
export function verifyByLink(h: Harness, mailText: string, as: Browser = {}): Promise<Answer> {
  return anon(h, 'POST', `/v1/auth/verify?token=${encodeURIComponent(tokenIn(mailText))}`, undefined, as);
}

export interface PageAnswer {
  status: number;
  html: string;
  headers: Record<string, unknown>;
  setCookie: string[];
}

/** Opens a mailed link's page as a browser would, then fills its form in and presses the button. */
export async function submitPage(h: Harness, link: string, fields: Record<string, string>, ip = freshIp()): Promise<{ opened: PageAnswer; submitted: PageAnswer }> {
  const opened = await page(h, 'GET', link, {}, ip);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(opened.html)?.[1];
  const token = /name="token" value="([^"]+)"/.exec(opened.html)?.[1];
  const formCookie = opened.setCookie.find((c) => c.startsWith('kassa_form='))?.split(';')[0];
  if (!csrf || !formCookie) throw new Error(`no form on ${link}: ${opened.status} ${opened.html}`);
  const body = new URLSearchParams({ _csrf: csrf, ...(token ? { token } : {}), ...fields });
  const submitted = await page(h, 'POST', new URL(link, 'http://x').pathname, { cookie: formCookie, 'content-type': 'application/x-www-form-urlencoded' }, ip, body.toString());
  return { opened, submitted };
}

export async function page(h: Harness, method: 'GET' | 'POST', url: string, headers: Record<string, string>, ip: string, payload?: string): Promise<PageAnswer> {
  const response = await h.app.inject({ method, url, headers, remoteAddress: ip, payload });
  const raw = response.headers['set-cookie'];
  return { status: response.statusCode, html: response.body, headers: response.headers, setCookie: raw === undefined ? [] : [raw].flat().map(String) };
}

export function signUpBody(email: string, password = 'sunny-meadow-42') {
  return { email, password, name: 'Ada Lovelace', account_name: 'Analytical Engines', currency: 'EUR' };
}

let nextIp = 1;
/** A fresh client address, so one scenario's attempts do not count against another's rate limit. */
export function freshIp(): string {
  nextIp += 1;
  return `10.0.${Math.floor(nextIp / 250)}.${nextIp % 250}`;
}

export async function signUpAndVerify(h: Harness, email: string, password = 'sunny-meadow-42'): Promise<void> {
  const ip = freshIp();
  const signedUp = await anon(h, 'POST', '/v1/auth/signup', signUpBody(email, password), { ip });
  if (signedUp.status !== 202) throw new Error(`sign-up answered ${signedUp.status}: ${JSON.stringify(signedUp.body)}`);
  const [mail] = (await mailsTo(h, email)).filter((m) => m.template === 'verify_email').slice(-1);
  const verified = await verifyByLink(h, mail!.text, { ip });
  if (verified.status !== 200) throw new Error(`verification answered ${verified.status}: ${JSON.stringify(verified.body)}`);
}

export async function logIn(h: Harness, email: string, password = 'sunny-meadow-42'): Promise<Browser & { answer: Answer }> {
  const ip = freshIp();
  const answer = await anon(h, 'POST', '/v1/auth/login', { email, password }, { ip });
  return { cookie: sessionCookie(answer), csrf: answer.body?.csrf_token, ip, answer };
}
