// The invitation link: a random secret mailed once, stored as its SHA-256 (the same scheme as
// the identity links in src/identity/signup/one-time-links.ts), absolute from the public URL.
import type { Kassa } from '../context.js';
import { publicLink } from '../identity/signup/links.js';
import { randomSecret, sha256 } from '../identity/signup/one-time-links.js';

export const INVITATION_PATH = '/invitations/accept';

export function newLinkSecret(): { secret: string; hash: string } {
  const secret = randomSecret();
  return { secret, hash: sha256(secret) };
}

export const hashLinkSecret = sha256;

export function invitationLink(kassa: Kassa, secret: string): string {
  return publicLink(kassa, INVITATION_PATH, secret);
}
