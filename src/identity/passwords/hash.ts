// Password hashing: scrypt (memory-hard) with a random salt, stored in PHC string format with
// its parameters ("$scrypt$ln=15,r=8,p=3$salt$hash") so they can be raised later: a hash made
// with weaker parameters is re-made at the next successful login. New hashes use
// KASSA_PASSWORD_SCRYPT (default ln=15,r=8,p=3: see src/config.ts).
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { type PasswordHashing, passwordHashingFromEnv } from '../../config.js';

export type ScryptParams = PasswordHashing;

let fromEnv: ScryptParams | undefined;
let chosen: ScryptParams | undefined;
/** The parameters new hashes are made with: the environment's (read once), unless chosen here. */
export const currentParams = (): ScryptParams => chosen ?? (fromEnv ??= passwordHashingFromEnv());

/**
 * Makes new hashes with these parameters in this process; undefined: the environment's again.
 * For a test of what the cost itself shows (the suite's own is low: vitest.config.ts).
 */
export function usePasswordHashing(params: ScryptParams | undefined): void {
  chosen = params;
}

const KEY_BYTES = 32;
const SALT_BYTES = 16;
const MAX_LN = 20;

function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const N = 2 ** params.ln;
  // scrypt needs 128 * N * r bytes; leave head-room over Node's 32 MiB default.
  const maxmem = 256 * N * params.r + 1024 * 1024;
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, KEY_BYTES, { N, r: params.r, p: params.p, maxmem }, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

export async function hashPassword(password: string, params: ScryptParams = currentParams()): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, params);
  return `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

interface Parsed {
  params: ScryptParams;
  salt: Buffer;
  key: Buffer;
}

function parse(encoded: string): Parsed | null {
  const match = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/.exec(encoded);
  if (!match) return null;
  const params = { ln: Number(match[1]), r: Number(match[2]), p: Number(match[3]) };
  if (params.ln < 1 || params.ln > MAX_LN || params.r < 1 || params.p < 1) return null;
  return { params, salt: Buffer.from(match[4]!, 'base64url'), key: Buffer.from(match[5]!, 'base64url') };
}

/** Constant-time check of a password against a stored hash; false for a malformed hash. */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const parsed = parse(encoded);
  if (!parsed || parsed.key.length !== KEY_BYTES) return false;
  const key = await derive(password, parsed.salt, parsed.params);
  return timingSafeEqual(key, parsed.key);
}

/** True when the hash was made with weaker parameters than today's: re-hash it at login. */
export function needsRehash(encoded: string): boolean {
  const parsed = parse(encoded);
  if (!parsed) return true;
  const { ln, r, p } = parsed.params;
  const wanted = currentParams();
  return ln < wanted.ln || r < wanted.r || p < wanted.p;
}

/** Per set of parameters, a stand-in hash made with them. */
const dummies = new Map<string, Promise<string>>();

/** The stand-in hash of today's parameters, made on first use. */
function dummyHash(): Promise<string> {
  const params = currentParams();
  const key = `${params.ln},${params.r},${params.p}`;
  let dummy = dummies.get(key);
  if (!dummy) dummies.set(key, (dummy = hashPassword(randomBytes(16).toString('hex'), params)));
  return dummy;
}

/** Makes the stand-in hash ahead of the first login, so that login is not slower than the rest. */
export function prepareDummyHash(): void {
  void dummyHash();
}

/**
 * Spends the same time as a real check when there is no password to check (unknown address,
 * user without a password), so the answer's timing does not tell whether the address exists.
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  await verifyPassword(password, await dummyHash());
  return false;
}
