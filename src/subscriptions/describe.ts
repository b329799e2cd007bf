// Ledger descriptions a customer reads on their history page.
import type { Period } from '../time/periods.js';

const stamp = (t: Date) => t.toISOString().slice(0, 16).replace('T', ' ');

export const spanText = (from: Date, period: Period) => `${stamp(from)} to ${stamp(period.end)} UTC`;
