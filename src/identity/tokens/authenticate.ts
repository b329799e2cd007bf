// Personal access tokens as bearer secrets (implemented with the identity work).
import type { Principal } from '../../auth/principal.js';
import type { Kassa } from '../../context.js';

export const PERSONAL_TOKEN_PREFIX = 'kassa_pat_';

export async function authenticatePersonalToken(_kassa: Kassa, _secret: string, _now: Date): Promise<Principal | null> {
  return null;
}
