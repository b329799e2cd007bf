// Secrets at rest (SPEC 14): what Kassa must read back in clear (TOTP secrets, webhook signing
// secrets) is stored sealed with AES-256-GCM under KASSA_SECRET_KEY, as
//
//   kassa:v1:<key id>:<base64url of 12-byte nonce | ciphertext | 16-byte tag>
//
// The key id (the first 8 bytes of the key's SHA-256, hex) says which key opens the value, so
// keys rotate: the new key seals, the previous ones (KASSA_SECRET_KEY_PREVIOUS) still open, and
// `kassa secrets rotate` re-seals every value under the new one. The stored column's name is
// bound in as additional data, so a sealed value copied to another column does not open.
// A value without the prefix is one stored before sealing existed: it is read as it is, and
// sealed at the next start (src/secrets/seal-stored.ts).
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const PREFIX = 'kassa:v1:';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
export const SECRET_KEY_BYTES = 32;

/** A key that cannot be used, or a value no key given opens. */
export class SecretKeyError extends Error {}

export function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

/** Reads a base64 key of 32 bytes; throws SecretKeyError naming what is wrong. */
export function parseSecretKey(text: string): Buffer {
  const key = Buffer.from(text.trim(), 'base64');
  if (!/^[A-Za-z0-9+/]{43}=$/.test(text.trim()) || key.length !== SECRET_KEY_BYTES) {
    throw new SecretKeyError(`a secret key is ${SECRET_KEY_BYTES} bytes in base64 (44 characters), such as the output of \`openssl rand -base64 32\``);
  }
  return key;
}

export function newSecretKey(): string {
  return randomBytes(SECRET_KEY_BYTES).toString('base64');
}

const isSealed = (stored: string) => stored.startsWith(PREFIX);

export class SecretBox {
  private readonly keys = new Map<string, Buffer>();
  /** The id of the key new values are sealed under. */
  readonly currentKeyId: string;

  constructor(current: Buffer, previous: Buffer[] = []) {
    this.currentKeyId = keyId(current);
    for (const key of [current, ...previous]) this.keys.set(keyId(key), key);
  }

  /** Whether a value sealed under `id` can be opened. */
  knows(id: string): boolean {
    return this.keys.has(id);
  }

  /** `plain` sealed under the current key, bound to `column` (e.g. 'users.totp_secret'). */
  seal(plain: string, column: string): string {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.currentKeyId)!, nonce);
    cipher.setAAD(Buffer.from(column));
    const body = Buffer.concat([nonce, cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${PREFIX}${this.currentKeyId}:${body.toString('base64url')}`;
  }

  /** The clear value of a stored one (as it is when stored before sealing); throws SecretKeyError when no key opens it. */
  open(stored: string, column: string): string {
    if (!isSealed(stored)) return stored;
    const [id, encoded] = stored.slice(PREFIX.length).split(':');
    const key = this.keys.get(id ?? '');
    if (!key) throw new SecretKeyError(`${column} holds a value sealed under key ${id}, which neither KASSA_SECRET_KEY nor KASSA_SECRET_KEY_PREVIOUS is`);
    const body = Buffer.from(encoded ?? '', 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', key, body.subarray(0, NONCE_BYTES));
    decipher.setAAD(Buffer.from(column));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(body.subarray(NONCE_BYTES, body.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretKeyError(`${column} holds a value under key ${id} that does not open: it was altered or moved from another column`);
    }
  }
}
