// The revenue report (SPEC 4, issue 17 item 6): a month of mixed activity through the HTTP API
// on the simulated clock (a daily plan paid by a bonus then the balance, a monthly plan bought
// with a paid bundle and refunded, usage paid by a scoped grant then the balance, a void, an
// expiry with breakage), then the report for the month compared with the ledger's postings,
// day by day, to the cent. Amounts are integer minor units of EUR; the clock starts at
// 2027-03-01T08:00:00Z. This file's accounts are the only ones, so the provider-wide report
// is theirs.
import { describe, expect, it } from 'vitest';
import { billingScenario } from './support/scenario.js';

const s = billingScenario('2027-03-01T08:00:00Z');
let keys = 0;
const key = () => ({ 'idempotency-key': `revenue-${++keys}` });
let events = 0;

interface Row {
  day: string;
  currency: string;
  service: string | null;
  revenue: string;
  promotional_credit_used: string;
  breakage: string;
}
interface Day {
  day: string;
  currency: string;
  revenue: string;
  promotional_credit_used: string;
  breakage: string;
  liability: string;
}
interface Report {
  from: string;
  to: string;
  data: Row[];
  days: Day[];
}

const grant = (accountId: number, body: Record<string, unknown>) => s.expectStatus<{ id: number }>(201, 'POST', `/v1/accounts/${accountId}/grants`, body, key());
const plan = async (code: string, cadence: 'daily' | 'monthly', definition: Record<string, unknown>) =>
  (await s.expectStatus<{ id: number }>(201, 'POST', '/v1/plans', { code, name: code, kind: 'preset', cadence, timing: 'in_advance', prices: [{ currency: 'EUR', definition }] })).id;
const mails = async (accountId: number, quantity: number, at: string) => {
  await s.expectStatus(200, 'POST', '/v1/usage/events', { id: `mail-${++events}`, account_id: accountId, meter: 'mails', quantity, timestamp: at });
  await s.kassa().background.settled(); // rated just after the answer
};
const CHARGES = new Set(['subscription_charge', 'subscription_refund', 'billing_run', 'usage_charge']);

const accounts: number[] = [];
let hostingAccount: number;
let bundleAccount: number;
let mailerAccount: number;

describe('the revenue report', () => {
  it('lives a month: plans, usage, grants of both kinds, a refund, a void and an expiry', async () => {
    await s.expectStatus(201, 'POST', '/v1/services', { code: 'mails', name: 'Mails', unit: 'mail', meter: { aggregation: 'sum' } });
    const hosting = await plan('hosting', 'daily', { base_price: '1.00' });
    await s.expectStatus(201, 'POST', '/v1/services', { code: 'agents', name: 'Support agents', unit: 'agent' });
    const support = await plan('support', 'monthly', { base_price: '0', items: [{ service: 'agents', unit_price: '10.00', decrease: 'refund' }] });
    const mailing = await plan('mailing', 'monthly', { base_price: '0', meters: [{ meter: 'mails', unit_price: '0.01' }] });

    // A: 50.00 paid in, a 10.00 bonus for 30 days, the 1.00/day hosting plan from now.
    hostingAccount = s.track((await s.createAccount()).id);
    await s.topUp(hostingAccount, '5000');
    await grant(hostingAccount, { kind: 'promotional', amount: '1000', expires_in_days: 30, reason: 'sign-up bonus' });
    await s.subscribe(hostingAccount, hosting); // 16/24 x 100 = 66.67 -> 67, from the bonus

    // B: a 50.00 bundle bought for 40.00, expiring on the 20th, and support for 3 agents at 10.00 a month each.
    bundleAccount = s.track((await s.createAccount()).id);
    await grant(bundleAccount, { kind: 'paid', amount: '5000', cost_basis: '4000', expires_at: '2027-03-20T00:00:00Z', reason: 'support bundle' });
    const supportSub = await s.expectStatus<{ subscription: { id: number } }>(201, 'POST', `/v1/accounts/${bundleAccount}/subscriptions`, { plan_id: support, quantities: { agents: 3 } }, key());

    // C: 20.00 paid in, 5.00 of credit for mails only (drawn first), mails at 0.01 each.
    mailerAccount = s.track((await s.createAccount()).id);
    await s.topUp(mailerAccount, '2000');
    await grant(mailerAccount, { kind: 'promotional', amount: '500', scope: ['mails'], priority: 10, reason: 'mail credit' });
    await s.subscribe(mailerAccount, mailing);
    accounts.push(hostingAccount, bundleAccount, mailerAccount);

    await s.advanceTo('2027-03-05T12:00:00Z');
    await mails(mailerAccount, 300, '2027-03-05T12:00:00Z'); // 300 x 0.01 = 300, all from the mail credit
    await s.advanceTo('2027-03-11T00:00:00Z');
    // Down to 1 agent: the rest of the month of 2 refunded, back to the bundle that paid it.
    await s.expectStatus(200, 'POST', `/v1/subscriptions/${supportSub.subscription.id}/configure`, { quantities: { agents: 1 } }, key());
    await s.advanceTo('2027-03-15T12:00:00Z');
    await mails(mailerAccount, 400, '2027-03-15T12:00:00Z'); // 400: the credit's last 200, then 200 from the balance
    const mistake = await grant(mailerAccount, { kind: 'promotional', amount: '300', reason: 'goodwill' });
    await s.advanceTo('2027-03-16T09:00:00Z');
    await s.expectStatus(200, 'POST', `/v1/accounts/${mailerAccount}/grants/${mistake.id}/void`, { reason: 'given to the wrong account' }, key());
    await s.advanceTo('2027-04-01T00:00:00Z'); // the bundle expires on the 20th; the April 1 run is outside the report
    await s.expectLedgerConsistent(...accounts);
  });

  it('adds up, day by day, to the ledger postings: revenue, promotional credit used, breakage, liability', async () => {
    const report = await s.expectStatus<Report>(200, 'GET', '/v1/reports/revenue?from=2027-03-01&to=2027-03-31');
    expect(report.days.map((d) => d.day)).toHaveLength(31);

    // The same figures, summed from each account's ledger and grants.
    const promotional = new Set<number>();
    const perDay = new Map<string, { revenue: bigint; promotional: bigint; breakage: bigint; held: bigint }>();
    let heldBefore = 0n;
    for (const account of accounts) {
      for (const g of (await s.expectStatus<{ data: { id: number; kind: string }[] }>(200, 'GET', `/v1/accounts/${account}/grants`)).data) if (g.kind === 'promotional') promotional.add(g.id);
      for (const t of await s.ledgerOf(account)) {
        const day = t.created_at.slice(0, 10);
        if (day > '2027-03-31') continue;
        const d = perDay.get(day) ?? { revenue: 0n, promotional: 0n, breakage: 0n, held: 0n };
        for (const p of t.postings as unknown as { ledger_account: string; amount: string; grant_id: number | null }[]) {
          const amount = BigInt(p.amount);
          if (p.ledger_account === 'revenue') d.revenue += amount;
          if (p.ledger_account === 'breakage') d.breakage += amount;
          if (p.ledger_account === 'grant' && CHARGES.has(t.kind) && promotional.has(p.grant_id!)) d.promotional -= amount;
          if (p.ledger_account === 'customer' || p.ledger_account === 'grant') {
            if (day < '2027-03-01') heldBefore += amount;
            else d.held += amount;
          }
        }
        perDay.set(day, d);
      }
    }
    let held = heldBefore;
    for (const day of report.days) {
      const d = perDay.get(day.day) ?? { revenue: 0n, promotional: 0n, breakage: 0n, held: 0n };
      held += d.held;
      expect(day, day.day).toEqual({ day: day.day, currency: 'EUR', revenue: String(d.revenue), promotional_credit_used: String(d.promotional), breakage: String(d.breakage), liability: String(held) });
      // Its service rows add up to it.
      const rows = report.data.filter((r) => r.day === day.day);
      expect(rows.reduce((sum, r) => sum + BigInt(r.revenue), 0n), day.day).toBe(BigInt(day.revenue));
      expect(rows.reduce((sum, r) => sum + BigInt(r.promotional_credit_used), 0n), day.day).toBe(BigInt(day.promotional_credit_used));
    }
    // The month's end is what the accounts hold now, less the April 1 run's charges.
    const now = await Promise.all(accounts.map(async (a) => s.expectStatus<{ balance: string; granted: string }>(200, 'GET', `/v1/accounts/${a}/balance`)));
    const april = (await Promise.all(accounts.map((a) => s.ledgerOf(a)))).flat().filter((t) => t.created_at >= '2027-04-01');
    const aprilHeld = april.flatMap((t) => t.postings).filter((p) => p.ledger_account === 'customer' || (p.ledger_account as string) === 'grant').reduce((sum, p) => sum + BigInt(p.amount), 0n);
    expect(BigInt(report.days.at(-1)!.liability)).toBe(now.reduce((sum, b) => sum + BigInt(b.balance) + BigInt(b.granted), 0n) - aprilHeld);
  });

  it('splits revenue by service, the arithmetic beside each figure', async () => {
    const { data } = await s.expectStatus<Report>(200, 'GET', '/v1/reports/revenue?from=2027-03-01&to=2027-03-31');
    const row = (day: string, service: string | null) => data.find((r) => r.day === day && r.service === service);
    // 1 March: hosting from 08:00, 16/24 x 100 = 67, from the bonus; support's month, 3000, from the bundle (paid credit: not promotional).
    expect(row('2027-03-01', 'hosting')).toMatchObject({ revenue: '67', promotional_credit_used: '67' });
    expect(row('2027-03-01', 'support')).toMatchObject({ revenue: '3000', promotional_credit_used: '0' });
    // 2 March, the billing run: hosting's day, 100, from the bonus (1000 - 67 = 933 left).
    expect(row('2027-03-02', 'hosting')).toMatchObject({ revenue: '100', promotional_credit_used: '100' });
    // 10 March: the bonus has 1000 - 67 - 8 x 100 = 133 left, so it pays the whole day still; 11 March its last 33, the balance 67.
    expect(row('2027-03-10', 'hosting')).toMatchObject({ revenue: '100', promotional_credit_used: '100' });
    expect(row('2027-03-11', 'hosting')).toMatchObject({ revenue: '100', promotional_credit_used: '33' });
    expect(row('2027-03-12', 'hosting')).toMatchObject({ revenue: '100', promotional_credit_used: '0' });
    // 5 March: 300 mails x 0.01 = 300, all from the mail credit; 15 March: 400, its last 200.
    expect(row('2027-03-05', 'mails')).toMatchObject({ revenue: '300', promotional_credit_used: '300' });
    expect(row('2027-03-15', 'mails')).toMatchObject({ revenue: '400', promotional_credit_used: '200' });
    // 11 March 00:00: 2 agents' rest of March refunded, 2 x 1000 x 21/31 days = 1354.8 -> 1355, back to the bundle.
    expect(row('2027-03-11', 'support')).toMatchObject({ revenue: '-1355', promotional_credit_used: '0' });
    // 20 March: the bundle's 5000 - 3000 + 1355 = 3355 left expires; 3355 x 4000/5000 = 2684 is breakage, without a service.
    expect(row('2027-03-20', null)).toMatchObject({ revenue: '0', promotional_credit_used: '0', breakage: '2684' });
    // Every charge named its service: no revenue without one.
    expect(data.filter((r) => r.service === null && r.revenue !== '0')).toEqual([]);
  });

  it('answers one CSV table with Accept: text/csv: per day a row per service, then the day\'s total with the money held', async () => {
    const window = 'from=2027-03-19&to=2027-03-20';
    const { data, days } = await s.expectStatus<Report>(200, 'GET', `/v1/reports/revenue?${window}`);
    const csv = await s.raw(`/v1/reports/revenue?${window}`, { accept: 'text/csv' });
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    // The same figures as the JSON, each day's services (breakage with an empty one) before its total.
    const expected = days.flatMap((d) => [
      ...data.filter((r) => r.day === d.day && r.currency === d.currency).map((r) => `${r.day},${r.currency},${r.service ?? ''},${r.revenue},${r.promotional_credit_used},${r.breakage},`),
      `${d.day},${d.currency},(total),${d.revenue},${d.promotional_credit_used},${d.breakage},${d.liability}`,
    ]);
    expect(csv.body).toBe(['day,currency,service,revenue,promotional_credit_used,breakage,liability', ...expected, ''].join('\n'));
    // 20 March: the expired bundle's 2684 of breakage, on its own row and in the day's total.
    expect(csv.body).toContain('2027-03-20,EUR,,0,0,2684,');
    expect(csv.body).toMatch(/\n2027-03-20,EUR,\(total\),\d+,\d+,2684,-?\d+\n$/);
  });

  it('refuses a backwards or too long window with the field at fault', async () => {
    for (const [query, detail] of [
      ['from=2027-03-02&to=2027-03-01', 'from must not be after to'],
      ['from=2026-01-01&to=2027-03-01', 'a revenue report spans at most 366 days'],
      ['from=2027-13-01', undefined],
    ] as const) {
      const refused = await s.call<{ code: string; field: string; detail: string }>('GET', `/v1/reports/revenue?${query}`);
      expect(refused.status, query).toBe(400);
      expect(refused.body).toMatchObject({ code: 'validation_failed', field: '/querystring/from', ...(detail ? { detail } : {}) });
    }
  });
});
