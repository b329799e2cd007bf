/** Addresses are compared and stored lower-cased and trimmed (the users.email unique key). */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}
