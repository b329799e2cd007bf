// The mails Kassa sends, by template name: subject and plain text from the template's data.
// Links are absolute, built from the public URL (KASSA_PUBLIC_URL).
export type MailTemplate =
  | 'verify_email'
  | 'reset_password'
  | 'password_expiry_notice'
  | 'invitation'
  | 'low_balance'
  | 'subscription_suspended'
  | 'account_exists'
  | 'bank_transfer_instructions'
  | 'top_up_received'
  | 'top_up_failed'
  | 'top_up_expired'
  | 'refund_issued'
  | 'dispute_opened'
  | 'auto_top_up_done'
  | 'auto_top_up_failed'
  | 'auto_top_up_paused'
  | 'auto_top_up_capped'
  | 'over_limit'
  | 'funds_exhausted'
  | 'grant_expiring'
  | 'budget_threshold'
  | 'budget_reached'
  | 'document_issued'
  | 'webhook_endpoint_disabled';

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
  bank_transfer_instructions: (d) => ({
    subject: `Bank transfer to top up ${d.account_name}: ${d.amount} ${d.currency}`,
    text: `To top up ${d.account_name}, transfer ${d.amount} ${d.currency} by ${d.pay_by} to:\n\nBeneficiary: ${d.beneficiary}\nIBAN: ${d.iban}\nBIC: ${d.bic}\nReference: ${d.reference}\n\nWrite the reference exactly as shown: it is how the payment finds your account. The balance grows when the money arrives, usually in 1 to 3 banking days.\n`,
  }),
  top_up_received: (d) => ({ subject: `Payment received for ${d.account_name}: ${d.amount} ${d.currency}`, text: `We received ${d.amount} ${d.currency} for ${d.account_name}. The balance is now ${d.balance} ${d.currency}.\n` }),
  top_up_failed: (d) => ({ subject: `Top-up of ${d.account_name} failed`, text: `The top-up ${d.top_up_id} of ${d.account_name} did not go through${d.reason ? `: ${d.reason}` : ''}. No money was taken into the balance.\n` }),
  top_up_expired: (d) => ({ subject: `Bank transfer for ${d.account_name} expired`, text: `No payment arrived in time for top-up ${d.top_up_id} of ${d.account_name} (${d.amount} ${d.currency}). If you sent it, contact the provider; otherwise ask for a new top-up.\n` }),
  refund_issued: (d) => ({ subject: `Refund of ${d.amount} ${d.currency} for ${d.account_name}`, text: `${d.amount} ${d.currency} of top-up ${d.top_up_id} was refunded to the way it was paid and taken off the balance of ${d.account_name}. The balance is now ${d.balance} ${d.currency}. A card refund takes 5 to 10 days to show on the statement.\n` }),
  webhook_endpoint_disabled: (d) => ({
    subject: `Webhook endpoint ${d.endpoint_id} disabled`,
    text: `Kassa stopped sending events to webhook endpoint ${d.endpoint_id} (${d.url}): ${d.reason === 'gone' ? 'it answered 410 Gone' : `every attempt since ${d.failing_since} failed`}. Its events are kept; fix the receiver, enable the endpoint again (PATCH /v1/webhook-endpoints/${d.endpoint_id} {"enabled": true}) and replay what it missed (POST /v1/webhook-endpoints/${d.endpoint_id}/replay).\n`,
  }),
  dispute_opened: (d) => ({
    subject: `Dispute on ${d.account_name}: ${d.amount} ${d.currency}`,
    text: `The payer of top-up ${d.top_up_id} (account ${d.account_name}, id ${d.account_id}) disputed it${d.reason ? ` as ${d.reason}` : ''}. The payment provider withdrew ${d.amount} ${d.currency}, and Kassa took it off the balance, which is now ${d.balance} ${d.currency}.\n\nAnswer the dispute on the provider's dashboard before its deadline, with the evidence of the service delivered.\n`,
  }),
  auto_top_up_done: (d) => ({ subject: `Automatic top-up of ${d.account_name}: ${d.amount} ${d.currency}`, text: `The available funds of ${d.account_name} fell under your threshold, so your saved card was charged ${d.amount} ${d.currency}. The balance is now ${d.balance} ${d.currency}.\n` }),
  auto_top_up_failed: (d) => ({ subject: `Automatic top-up of ${d.account_name} failed`, text: `Charging your saved card ${d.amount} ${d.currency} for ${d.account_name} did not go through: ${d.reason}. Top up by hand to keep your services running.\n` }),
  auto_top_up_paused: (d) => ({ subject: `Automatic top-up of ${d.account_name} is paused`, text: `Automatic top-up of ${d.account_name} is paused: ${d.reason}. It resumes when you save a card again (a card top-up with "save card").\n` }),
  auto_top_up_capped: (d) => ({ subject: `Automatic top-up of ${d.account_name}: monthly cap reached`, text: `The available funds of ${d.account_name} fell under your threshold, but this month's automatic top-ups reached your cap of ${d.monthly_cap} ${d.currency}. Top up by hand, or raise the cap.\n` }),
  over_limit: (d) => ({ subject: `${d.account_name} is over its ${d.metric} limit`, text: `${d.account_name} has ${d.count} ${d.metric}, over the ${d.limit} its plan allows. Remove some, or choose a plan that allows more.\n` }),
  funds_exhausted: (d) => ({ subject: `Funds used up on ${d.account_name}`, text: `The usage of ${d.account_name} used up its available funds (now ${d.available} ${d.currency}), so sending more is refused until you top up.\n` }),
  grant_expiring: (d) => ({
    subject: `Credit of ${d.remaining} ${d.currency} on ${d.account_name} expires ${d.expires_on}`,
    text: `${d.remaining} ${d.currency} of credit on ${d.account_name} (${d.reason}) is still unused and expires on ${d.expires_on} at ${d.expires_time} UTC. Charges use it before your paid balance; what is left then is written off.\n`,
  }),
  budget_threshold: (d) => ({
    subject: `${d.share}% of your budget for ${d.scope} spent`,
    text: `${d.spent} ${d.currency} of your ${d.limit} ${d.currency} budget for ${d.scope} is spent ${d.period} (${d.share}%).${d.stops ? ' When it is all spent, the service stops until the period ends.' : ''}\n`,
  }),
  budget_reached: (d) => ({
    subject: `Budget reached: ${d.scope} stopped`,
    text: `Your ${d.limit} ${d.currency} budget for ${d.scope} is spent ${d.period} (${d.spent} ${d.currency}), so the service is stopped until the period ends. Raise or remove the budget to start it again at once.\n`,
  }),
  document_issued: (d) => (d.language === 'uk' ? documentMailUk(d) : documentMailEn(d)),
  account_exists: (d) => ({ subject: 'You already have a Kassa account', text: `Someone tried to sign up to Kassa with this address, which already has an account. If it was you, sign in, or reset your password here:\n${d.link}\n\nIf it was not you, ignore this mail.\n` }),
};

// A document's mail, in the document's language, with its PDF attached when it is sent.
const DOCUMENT_TITLES = {
  en: { invoice: 'Invoice', credit_note: 'Credit note', receipt: 'Receipt' },
  uk: { invoice: 'Рахунок-фактура', credit_note: 'Кредит-нота', receipt: 'Квитанція' },
} as const;
type TitledKind = keyof (typeof DOCUMENT_TITLES)['en'];

function documentMailEn(d: Data): RenderedMail {
  const title = DOCUMENT_TITLES.en[d.kind as TitledKind];
  const what = { invoice: `for ${d.period}, paid from the prepaid balance`, credit_note: `crediting ${d.amount} ${d.currency} back to the balance${d.corrects ? `, correcting invoice ${d.corrects}` : ''}`, receipt: `for ${d.amount} ${d.currency} received` }[d.kind as TitledKind];
  return {
    subject: `${title} ${d.number} from ${d.seller}: ${d.amount} ${d.currency}`,
    text: `${d.seller} issued ${title.toLowerCase()} ${d.number} to ${d.buyer} ${what}. The PDF is attached.

Total: ${d.amount} ${d.currency}
Issued on: ${d.issued_on}
Account: ${d.account_id}
`,
  };
}

function documentMailUk(d: Data): RenderedMail {
  const title = DOCUMENT_TITLES.uk[d.kind as TitledKind];
  const what = { invoice: `за ${d.period}, сплачено з передплаченого балансу`, credit_note: `на повернення ${d.amount} ${d.currency} на баланс${d.corrects ? `, коригує рахунок-фактуру ${d.corrects}` : ''}`, receipt: `на отримані ${d.amount} ${d.currency}` }[d.kind as TitledKind];
  return {
    subject: `${title} ${d.number} від ${d.seller}: ${d.amount} ${d.currency}`,
    text: `${d.seller} склав документ «${title}» ${d.number} для ${d.buyer} ${what}. PDF додано до листа.

Усього: ${d.amount} ${d.currency}
Дата складання: ${d.issued_on}
Рахунок клієнта: ${d.account_id}
`,
  };
}

export function renderMail(template: MailTemplate, data: Data): RenderedMail {
  return templates[template](data);
}
