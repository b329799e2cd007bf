// The mails Kassa sends, by template name: subject and plain text from the template's data.
// Links are absolute, built from the public URL (KASSA_PUBLIC_URL).
export type MailTemplate =
  | 'verify_email'
  | 'reset_password'
  | 'password_expiry_notice'
  | 'invitation'
  | 'low_balance'
  | 'subscription_suspended'
  | 'account_exists';

export interface RenderedMail {
  subject: string;
  text: string;
}

type Data = Record<string, string | number | null | undefined>;

const templates: Record<MailTemplate, (data: Data) => RenderedMail> = {
  verify_email: (d) => ({ subject: 'Verify your e-mail address', text: `Welcome to Kassa.\n\nConfirm your address within 24 hours:\n${d.link}\n` }),
  reset_password: (d) => ({ subject: 'Reset your password', text: `Someone asked to reset your Kassa password. If it was you, choose a new one within 1 hour:\n${d.link}\n\nIf it was not you, ignore this mail.\n` }),
  password_expiry_notice: (d) => ({ subject: `Your password expires in ${d.days} day(s)`, text: `Your Kassa password expires on ${d.expires_on}. Change it before then to keep access:\n${d.link}\n` }),
  invitation: (d) => ({ subject: `You are invited to ${d.account_name}`, text: `${d.inviter} invited you to join ${d.account_name} on Kassa as ${d.role}.\n\nAccept within 7 days:\n${d.link}\n` }),
  low_balance: (d) => ({ subject: `Low balance on ${d.account_name}`, text: `The available funds of ${d.account_name} (${d.available} ${d.currency}) fell under the warning threshold (${d.threshold} ${d.currency}). Top up to keep your services running.\n` }),
  subscription_suspended: (d) => ({ subject: `Service suspended on ${d.account_name}`, text: `Subscription ${d.subscription_id} of ${d.account_name} was suspended: the available funds do not cover its next period. Top up to resume it.\n` }),
  account_exists: (d) => ({ subject: 'You already have a Kassa account', text: `Someone tried to sign up to Kassa with this address, which already has an account. If it was you, sign in, or reset your password here:\n${d.link}\n\nIf it was not you, ignore this mail.\n` }),
};

export function renderMail(template: MailTemplate, data: Data): RenderedMail {
  return templates[template](data);
}
