// The provider's legal details (SPEC 9), an operator's setting, written as the seller on every
// document: its legal name and address, VAT id, company registration and contact. Its bank
// details for transfers are the bank-account setting (src/accounts).
import { readProviderSetting } from '../audit/provider-setting.js';
import type { Db } from '../db/client.js';
import type { PostalParty } from './parties.js';

export const PROVIDER_DETAILS_SETTING = 'documents.provider';

export interface ProviderDetails extends PostalParty {
  /** The company register and number: `HRB 12345, Amtsgericht Berlin`. */
  registration: string | null;
  email: string | null;
  website: string | null;
}

export async function readProviderDetails(db: Db): Promise<ProviderDetails | undefined> {
  return readProviderSetting<ProviderDetails>(db, PROVIDER_DETAILS_SETTING);
}
