// ISO 11649 structured creditor references ("RF18 5390 0754 7034"): what a customer writes on a
// bank transfer so the statement line finds its top-up. RF, two check digits, then up to 21
// letters and digits; the check digits make the whole, moved to the end and read as a number
// (A = 10 ... Z = 35), leave 1 modulo 97, as an IBAN's do. Pure.

const BODY = /^[0-9A-Z]{1,21}$/;

/** The number a reference stands for, as a string of digits (A = 10 ... Z = 35). */
function digitsOf(text: string): string {
  let digits = '';
  for (const c of text) digits += /[0-9]/.test(c) ? c : String(c.charCodeAt(0) - 55);
  return digits;
}

/** The remainder modulo 97 of a long string of digits, seven digits at a time (exact in a double). */
function mod97(digits: string): number {
  let remainder = 0;
  for (let i = 0; i < digits.length; i += 7) remainder = Number(`${remainder}${digits.slice(i, i + 7)}`) % 97;
  return remainder;
}

/** The reference for `body` (letters and digits, at most 21), with its check digits. */
export function creditorReference(body: string): string {
  const upper = body.toUpperCase();
  if (!BODY.test(upper)) throw new Error(`a creditor reference body is 1-21 letters and digits, not ${body}`);
  const check = 98 - mod97(digitsOf(`${upper}RF00`));
  return `RF${String(check).padStart(2, '0')}${upper}`;
}

/** The reference as typed or printed, without spaces and in capitals; null when it is not one. */
export function parseCreditorReference(text: string): string | null {
  const compact = text.replace(/\s+/g, '').toUpperCase();
  if (!/^RF[0-9]{2}[0-9A-Z]{1,21}$/.test(compact)) return null;
  return mod97(digitsOf(`${compact.slice(4)}${compact.slice(0, 4)}`)) === 1 ? compact : null;
}

/** Printed in groups of four, as banks and ISO 11649 show it. */
export function formatCreditorReference(reference: string): string {
  return reference.replace(/(.{4})(?=.)/g, '$1 ');
}
