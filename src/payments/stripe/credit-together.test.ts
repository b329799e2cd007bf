import { describe, expect, it } from 'vitest';
import type { AccountRow } from '../../accounts/lock.js';
import type { TopUp } from '../top-ups.js';
import { type PlanInput, planCredits } from './credit-together.js';

const account = (id: number, more: Partial<AccountRow> = {}): AccountRow =>
  ({ id, currency: 'EUR', type: 'billing', status: 'active', balance: 0n, granted: 0n, creditEnabled: false, creditLimit: 0n, reserved: 0n, lowBalanceThreshold: null, lowBalanceThresholdDays: null, lowBalanceWarned: false, billingEmails: [], ...more }) as AccountRow;
const topUp = (id: number, accountId: number, more: Partial<TopUp> = {}): TopUp =>
  ({ id, accountId, method: 'card', currency: 'EUR', amountRequested: 1000n, amountReceived: 0n, saveCard: false, reference: null, createdBy: 'user:1', ...more }) as TopUp;
const paid = (eventId: string, topUpId: number, paymentRef = `pi_${topUpId}`, currency = 'eur') => ({ eventId, topUpId, paymentRef, amount: 1000n, currency });

function plan(events: PlanInput['events'], more: { accounts?: AccountRow[]; topUps?: TopUp[]; receipts?: string[]; resumable?: number[]; trialUpgrades?: boolean } = {}) {
  const result = planCredits({
    events,
    accounts: new Map((more.accounts ?? [account(1)]).map((a) => [a.id, a])),
    topUps: new Map((more.topUps ?? [topUp(10, 1)]).map((t) => [t.id, t])),
    receipts: new Set(more.receipts ?? []),
    resumable: new Set(more.resumable ?? []),
    trialUpgrades: more.trialUpgrades ?? false,
  });
  return { together: result.credits.map((c) => c.eventId), already: result.alreadyCredited.map((a) => a.eventId), oneByOne: result.oneByOne };
}

describe('which card payments are credited together', () => {
  it.each([
    ['a plain payment', [paid('a', 10)], {}, { together: ['a'], already: [], oneByOne: [] }],
    ['the same PaymentIntent told twice', [paid('a', 10), paid('b', 10)], {}, { together: ['a'], already: ['b'], oneByOne: [] }],
    ['a payment Kassa credited already', [paid('a', 10)], { receipts: ['10/pi_10'] }, { together: [], already: ['a'], oneByOne: [] }],
    ['a second payment of the same account', [paid('a', 10), paid('b', 11)], { topUps: [topUp(10, 1), topUp(11, 1)] }, { together: ['a'], already: [], oneByOne: ['b'] }],
    ['a second card paying the same top-up', [paid('a', 10), paid('b', 10, 'pi_other')], {}, { together: ['a'], already: [], oneByOne: ['b'] }],
    ['an unknown top-up', [paid('a', 99)], {}, { together: [], already: [], oneByOne: ['a'] }],
    ['a PayPal top-up', [paid('a', 10)], { topUps: [topUp(10, 1, { method: 'paypal' })] }, { together: [], already: [], oneByOne: ['a'] }],
    ['another currency', [paid('a', 10, 'pi_10', 'usd')], {}, { together: [], already: [], oneByOne: ['a'] }],
    ['a card to save', [paid('a', 10)], { topUps: [topUp(10, 1, { saveCard: true })] }, { together: [], already: [], oneByOne: ['a'] }],
    ['a suspended subscription to resume', [paid('a', 10)], { resumable: [1] }, { together: [], already: [], oneByOne: ['a'] }],
    ['a trial the credit upgrades', [paid('a', 10)], { accounts: [account(1, { type: 'trial' })], trialUpgrades: true }, { together: [], already: [], oneByOne: ['a'] }],
    ['a trial that stays one', [paid('a', 10)], { accounts: [account(1, { type: 'trial' })] }, { together: ['a'], already: [], oneByOne: [] }],
    ['a threshold in days of spend', [paid('a', 10)], { accounts: [account(1, { lowBalanceThresholdDays: 3 })] }, { together: [], already: [], oneByOne: ['a'] }],
    ['a closed account', [paid('a', 10)], { accounts: [account(1, { status: 'closed' })] }, { together: [], already: [], oneByOne: ['a'] }],
  ] as const)('%s', (_name, events, more, expected) => {
    expect(plan(events, more as Parameters<typeof plan>[1])).toEqual(expected);
  });

  it.each([
    // [threshold, warned before, balance before] -> decision after a 10.00 credit
    [null, false, 0n, 'unchanged'],
    [500n, true, 0n, 'reset'], // 10.00 >= 5.00
    [5000n, true, 0n, 'unchanged'], // 10.00 < 50.00, warned already
    [5000n, false, 0n, 'warn'], // under a threshold it had not been warned of
  ] as const)('threshold %s, warned %s, balance %s: low balance %s', (threshold, warned, balance, decision) => {
    const result = planCredits({ events: [paid('a', 10)], accounts: new Map([[1, account(1, { lowBalanceThreshold: threshold, lowBalanceWarned: warned, balance })]]), topUps: new Map([[10, topUp(10, 1)]]), receipts: new Set(), resumable: new Set(), trialUpgrades: false });
    expect(result.credits[0]).toMatchObject({ balanceAfter: balance + 1000n, lowBalance: decision });
  });
});
