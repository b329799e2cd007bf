import { describe, expect, it } from 'vitest';
import { SecretBox, SecretKeyError, keyId, newSecretKey, parseSecretKey } from './secret-box.js';

const keyA = parseSecretKey(newSecretKey());
const keyB = parseSecretKey(newSecretKey());
const COLUMN = 'users.totp_secret';

describe('the secret box', () => {
  it('seals a value so that only its key opens it, with the key id in clear beside it', () => {
    const box = new SecretBox(keyA);
    const sealed = box.seal('JBSWY3DPEHPK3PXP', COLUMN);
    expect(sealed).toMatch(new RegExp(`^kassa:v1:${keyId(keyA)}:[A-Za-z0-9_-]+$`));
    expect(sealed).not.toContain('JBSWY3DPEHPK3PXP');
    expect(box.open(sealed, COLUMN)).toBe('JBSWY3DPEHPK3PXP');
    // A fresh nonce each time: the same secret never seals to the same text.
    expect(box.seal('JBSWY3DPEHPK3PXP', COLUMN)).not.toBe(sealed);
  });

  it('opens what a previous key sealed, and seals under the current one', () => {
    const before = new SecretBox(keyA).seal('whsec_old', 'webhook_endpoint_secrets.secret');
    const rotated = new SecretBox(keyB, [keyA]);
    expect(rotated.currentKeyId).toBe(keyId(keyB));
    expect(rotated.knows(keyId(keyA))).toBe(true);
    expect(rotated.open(before, 'webhook_endpoint_secrets.secret')).toBe('whsec_old');
    expect(rotated.seal('x', COLUMN)).toContain(`:${keyId(keyB)}:`);
  });

  it.each([
    ['under a key it was not given', () => new SecretBox(keyB).open(new SecretBox(keyA).seal('s', COLUMN), COLUMN), /sealed under key [0-9a-f]{16}, which neither KASSA_SECRET_KEY nor KASSA_SECRET_KEY_PREVIOUS is/],
    ['moved to another column', () => new SecretBox(keyA).open(new SecretBox(keyA).seal('s', COLUMN), 'webhook_endpoint_secrets.secret'), /does not open: it was altered or moved/],
    ['altered', () => {
      const sealed = new SecretBox(keyA).seal('secret', COLUMN);
      const flipped = sealed.slice(0, -3) + (sealed.at(-3) === 'A' ? 'B' : 'A') + sealed.slice(-2);
      return new SecretBox(keyA).open(flipped, COLUMN);
    }, /does not open/],
  ])('refuses a value %s', (_name, open, message) => {
    expect(open).toThrow(SecretKeyError);
    expect(open).toThrow(message);
  });

  it('reads a value stored before sealing existed as it is', () => {
    expect(new SecretBox(keyA).open('JBSWY3DPEHPK3PXP', COLUMN)).toBe('JBSWY3DPEHPK3PXP');
  });

  it.each(['', 'short', newSecretKey().slice(0, 43), `${newSecretKey().slice(0, 42)}!=`, Buffer.alloc(31).toString('base64'), Buffer.alloc(33).toString('base64')])('refuses the key %j', (text) => {
    expect(() => parseSecretKey(text)).toThrow(/32 bytes in base64/);
  });
});
