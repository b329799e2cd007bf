// Every word a document prints, per language, in one place (SPEC 9): English and Ukrainian.
// A language added here is one more column; a string missing from it does not compile.
import type { DocumentLanguage } from './parties.js';

const en = {
  balance_top_up: 'Top-up of the account balance',
} as const;

export type DocumentString = keyof typeof en;

const uk: Record<DocumentString, string> = {
  balance_top_up: 'Поповнення балансу рахунку',
};

const STRINGS: Record<DocumentLanguage, Record<DocumentString, string>> = { en, uk };

export const documentText = (language: DocumentLanguage, key: DocumentString): string => STRINGS[language][key];
