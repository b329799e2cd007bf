// Every word a document prints, per language, in one place (SPEC 9): English and Ukrainian.
// A language added here is one more column; a string missing from it does not compile.
// `{name}` marks where a value goes (documentText fills it in).
import type { DocumentKind } from '../db/schema.js';
import type { DocumentLanguage } from './parties.js';

const en = {
  balance_top_up: 'Top-up of the account balance',
  // A line of a charge or refund outside the billing run: the plan and what moved the money.
  plan_line: '{plan} ({cause})',
  plan_change_line: '{from} → {plan} ({cause})',
  cause_created: 'subscribed',
  cause_enabled: 'enabled again',
  cause_resumed: 'resumed',
  cause_plan_change: 'plan change',
  cause_configuration_change: 'configuration change',
  cause_disabled: 'disabled',
  title_invoice: 'Invoice',
  title_credit_note: 'Credit note',
  title_receipt: 'Receipt',
  title_pro_forma: 'Pro-forma invoice',
  number: 'Number',
  issue_date: 'Issue date',
  period: 'Period',
  account: 'Account',
  currency: 'Currency',
  corrects: 'Corrects invoice',
  seller: 'From',
  buyer: 'To',
  vat_id: 'VAT id',
  registration: 'Registration',
  col_description: 'Description',
  col_quantity: 'Quantity',
  col_unit_price: 'Unit price',
  col_discount: 'Discount',
  col_net: 'Net',
  col_vat: 'VAT',
  col_amount: 'Amount',
  amounts_in: 'Amounts in {currency}, VAT included in the prices.',
  tax_summary: 'VAT summary',
  tax_category: 'Category',
  tax_rate: 'Rate',
  total_net: 'Total net',
  total_vat: 'Total VAT',
  total_gross: 'Total',
  paid_from_balance: 'Paid from the prepaid balance of account {account} when charged.',
  credited_to_balance: 'Credited to the prepaid balance of account {account}.',
  received: 'Received {method} on {date}. Thank you.',
  please_transfer: 'Please transfer {amount} to:',
  beneficiary: 'Beneficiary',
  iban: 'IBAN',
  bic: 'BIC',
  payment_reference: 'Payment reference',
  quote_reference: 'Quote the payment reference so that the transfer reaches your account.',
  not_a_tax_invoice: 'This pro-forma invoice is not a tax invoice; the receipt follows when the money arrives.',
  page: 'Page {page} of {pages}',
  method_card: 'by card',
  method_paypal: 'with PayPal',
  method_bank_transfer: 'by bank transfer',
  method_operator_credit: 'as a credit by the provider',
  note_reverse_charge: 'Reverse charge: VAT to be accounted for by the recipient (Article 196, Council Directive 2006/112/EC).',
  note_not_subject: 'Not subject to VAT.',
  note_prepayment: 'Prepayment onto the account balance: VAT is charged on the invoices of the services it pays for.',
  category_S: 'Standard rate',
  category_Z: 'Zero rated',
  category_AE: 'Reverse charge',
  category_O: 'Not subject to VAT',
  title_statement: 'Statement',
  statement_date: 'Made on',
  col_date: 'Date',
  col_balance: 'Balance',
  opening_balance: 'Opening balance',
  money_in: 'Money in',
  money_out: 'Money out',
  closing_balance: 'Closing balance',
  no_entries: 'Nothing moved the balance in this period.',
  from_grants: '{amount} from credit grants',
  statement_note: 'The balance is the prepaid balance of account {account}; credit grants are used before it and are not part of it.',
} as const;

export type DocumentString = keyof typeof en;

const uk: Record<DocumentString, string> = {
  balance_top_up: 'Поповнення балансу рахунку',
  plan_line: '{plan} ({cause})',
  plan_change_line: '{from} → {plan} ({cause})',
  cause_created: 'підключення',
  cause_enabled: 'повторне увімкнення',
  cause_resumed: 'відновлення',
  cause_plan_change: 'зміна тарифу',
  cause_configuration_change: 'зміна конфігурації',
  cause_disabled: 'вимкнення',
  title_invoice: 'Рахунок-фактура',
  title_credit_note: 'Кредит-нота',
  title_receipt: 'Квитанція',
  title_pro_forma: 'Рахунок-проформа',
  number: 'Номер',
  issue_date: 'Дата складання',
  period: 'Період',
  account: 'Рахунок клієнта',
  currency: 'Валюта',
  corrects: 'Коригує рахунок-фактуру',
  seller: 'Постачальник',
  buyer: 'Покупець',
  vat_id: 'Номер платника ПДВ',
  registration: 'Реєстрація',
  col_description: 'Опис',
  col_quantity: 'Кількість',
  col_unit_price: 'Ціна од.',
  col_discount: 'Знижка',
  col_net: 'Без ПДВ',
  col_vat: 'ПДВ',
  col_amount: 'Сума',
  amounts_in: 'Суми в {currency}, ціни з ПДВ.',
  tax_summary: 'Підсумок ПДВ',
  tax_category: 'Категорія',
  tax_rate: 'Ставка',
  total_net: 'Разом без ПДВ',
  total_vat: 'Разом ПДВ',
  total_gross: 'Усього',
  paid_from_balance: 'Сплачено з передплаченого балансу рахунку {account} під час списання.',
  credited_to_balance: 'Зараховано на передплачений баланс рахунку {account}.',
  received: 'Дякуємо! Отримано {method} {date}',
  please_transfer: 'Будь ласка, перекажіть {amount} на рахунок:',
  beneficiary: 'Отримувач',
  iban: 'IBAN',
  bic: 'BIC',
  payment_reference: 'Призначення платежу',
  quote_reference: 'Вкажіть призначення платежу, щоб переказ надійшов на ваш рахунок.',
  not_a_tax_invoice: 'Рахунок-проформа не є податковим документом; квитанцію буде надіслано після надходження коштів.',
  page: 'Сторінка {page} з {pages}',
  method_card: 'карткою',
  method_paypal: 'через PayPal',
  method_bank_transfer: 'банківським переказом',
  method_operator_credit: 'як зарахування від постачальника',
  note_reverse_charge: 'Зворотне оподаткування: ПДВ сплачує отримувач (стаття 196 Директиви Ради 2006/112/ЄС).',
  note_not_subject: 'Не є об’єктом оподаткування ПДВ.',
  note_prepayment: 'Передоплата на баланс рахунку: ПДВ нараховується в рахунках-фактурах за послуги, які вона оплачує.',
  category_S: 'Стандартна ставка',
  category_Z: 'Нульова ставка',
  category_AE: 'Зворотне оподаткування',
  category_O: 'Не оподатковується',
  title_statement: 'Виписка',
  statement_date: 'Складено',
  col_date: 'Дата',
  col_balance: 'Баланс',
  opening_balance: 'Баланс на початок',
  money_in: 'Надходження',
  money_out: 'Списання',
  closing_balance: 'Баланс на кінець',
  no_entries: 'За цей період баланс не змінювався.',
  from_grants: '{amount} з кредитних грантів',
  statement_note: 'Баланс — це передплачений баланс рахунку {account}; кредитні гранти використовуються раніше за нього і до нього не входять.',
};

const STRINGS: Record<DocumentLanguage, Record<DocumentString, string>> = { en, uk };

/** The string in `language`, with each `{name}` replaced by `values[name]`. */
export function documentText(language: DocumentLanguage, key: DocumentString, values: Record<string, string | number> = {}): string {
  return STRINGS[language][key].replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
}

export const documentTitle = (language: DocumentLanguage, kind: DocumentKind): string => documentText(language, `title_${kind}`);

// The units a line counts, by plural form (Intl.PluralRules): a meter's own unit is printed as it is.
const UNITS: Record<DocumentLanguage, Record<string, Partial<Record<Intl.LDMLPluralRule, string>>>> = {
  en: {
    day: { one: 'day', other: 'days' },
    month: { one: 'month', other: 'months' },
    period: { one: 'period', other: 'periods' },
    unit: { one: 'unit', other: 'units' },
  },
  uk: {
    day: { one: 'день', few: 'дні', many: 'днів', other: 'дня' },
    month: { one: 'місяць', few: 'місяці', many: 'місяців', other: 'місяця' },
    period: { one: 'період', few: 'періоди', many: 'періодів', other: 'періоду' },
    unit: { one: 'од.', few: 'од.', many: 'од.', other: 'од.' },
  },
};

/** `30 days`, `1 місяць`, `2.5 GB-hours`: the quantity with its unit in the document's language. */
export function quantityText(language: DocumentLanguage, locale: string, quantity: string, unit: string): string {
  const forms = UNITS[language][unit];
  const shown = new Intl.NumberFormat(locale, { maximumFractionDigits: 6 }).format(quantity as unknown as number);
  if (!forms) return `${shown} ${unit}`;
  const form = new Intl.PluralRules(locale).select(Number(quantity));
  return `${shown} ${forms[form] ?? forms.other}`;
}
