// The password policy, pure: long enough, not one kind of character, not a guessable word or
// the user's own address. Length matters most (NIST SP 800-63B); the rest refuses the obvious.
export const MIN_LENGTH = 12;
export const MAX_LENGTH = 128;

const COMMON = ['password', 'qwerty', 'qwertz', 'azerty', 'letmein', 'welcome', 'admin', 'kassa', 'iloveyou', 'abc123', 'changeme', 'secret'];
const SEQUENCES = ['0123456789', 'abcdefghijklmnopqrstuvwxyz', 'qwertyuiopasdfghjklzxcvbnm'];

export interface PasswordContext {
  email?: string;
  name?: string;
}

/** Why the password is refused, or undefined when it is acceptable. */
export function passwordProblem(password: string, context: PasswordContext = {}): string | undefined {
  const length = [...password].length;
  if (length < MIN_LENGTH) return `a password needs at least ${MIN_LENGTH} characters`;
  if (length > MAX_LENGTH) return `a password has at most ${MAX_LENGTH} characters`;
  const classes = [/\p{Ll}/u, /\p{Lu}/u, /\p{Nd}/u, /[^\p{Ll}\p{Lu}\p{Nd}]/u].filter((c) => c.test(password)).length;
  if (classes < 2) return 'mix at least two kinds of characters (lower case, upper case, digits, others)';
  if (new Set(password).size < 5) return 'a password needs at least 5 different characters';
  const lower = password.toLowerCase();
  if (COMMON.includes(deleet(lower).replace(/[^\p{L}]/gu, ''))) return 'this password is too common';
  if (SEQUENCES.some((sequence) => sequence.includes(lower) || isRun(lower, sequence))) return 'a password cannot be a keyboard or alphabet sequence';
  const local = context.email?.split('@')[0]?.toLowerCase() ?? '';
  if (local.length >= 4 && lower.includes(local)) return 'a password cannot contain your e-mail address';
  const name = context.name?.toLowerCase().replace(/\s+/g, '') ?? '';
  if (name.length >= 4 && lower.replace(/\s+/g, '').includes(name)) return 'a password cannot contain your name';
  return undefined;
}

/** "abcdefgh1234"-like: every character but a short tail follows a sequence. */
function isRun(lower: string, sequence: string): boolean {
  const alnum = lower.replace(/[^a-z0-9]/g, '');
  const head = alnum.replace(/\d+$/, '');
  return head.length >= MIN_LENGTH - 4 && sequence.includes(head);
}

const LEET: Record<string, string> = { '@': 'a', '4': 'a', '0': 'o', '1': 'i', '!': 'i', '3': 'e', '$': 's', '5': 's', '7': 't' };

/** "P@ssw0rd" reads "password": a common word with digits and symbols around it is still common. */
function deleet(lower: string): string {
  return lower.replace(/^[\d\W]+|[\d\W]+$/g, '').replace(/[@4013$57!]/g, (c) => LEET[c]!);
}
