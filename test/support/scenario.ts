// Small typed helpers for billing scenarios: every step goes through the HTTP API (h.call),
// and time moves only with POST /v1/clock/advance. Amounts are strings of integer minor units.
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import type { BillingSettings } from '../../src/config.js';
import { verifyLedger } from '../../src/ledger/verify.js';
import { type Harness, startHarness } from './harness.js';

export interface AccountView {
  id: number;
  status: string;
  balance: string;
  credit_enabled: boolean;
  credit_limit: string;
  available: string;
  low_balance_warned: boolean;
}

export interface SubscriptionView {
  id: number;
  account_id: number | null;
  plan_id: number;
  plan_version_id: number;
  status: 'active' | 'disabled' | 'suspended' | 'cancelled';
  anchor_day: number;
  period_amount: string;
  current_period: { start: string; end: string };
  paid: boolean;
}

export interface Outcome {
  action: string;
  amount: string;
  period: { start: string; end: string };
  subscription: SubscriptionView;
}

export interface BillingRunView {
  id: number;
  boundary: string;
  status: string;
  started_at: string;
  billed: number;
  suspended: number;
  skipped: number;
  total_charged: string;
}

export interface EventView {
  id: number;
  account_id: number | null;
  topic: string;
  payload: Record<string, unknown>;
  created_at: string;
}

export interface PostingView {
  ledger_account: 'customer' | 'revenue' | 'adjustments';
  amount: string;
  subscription_id: number | null;
  billed_period_start: string | null;
}

export interface LedgerTransactionView {
  id: number;
  kind: string;
  description: string;
  customer_amount: string;
  created_at: string;
  postings: PostingView[];
}

export interface Problem {
  code: string;
  detail: string;
}

export interface Reply<T> {
  status: number;
  body: T;
}

export interface PlanOptions {
  cadence?: 'daily' | 'monthly';
  timing?: 'in_advance' | 'in_arrears';
  features?: string[];
}

/** Everything a scenario needs, bound to one harness (or to the one a file starts later). */
export function scenario(harness: Harness | (() => Harness)) {
  const h = typeof harness === 'function' ? { call: (...args: Parameters<Harness['call']>) => harness().call(...args), get kassa() { return harness().kassa; } } : harness;
  let keys = 0;
  let codes = 0;
  const idempotency = () => ({ 'idempotency-key': `scenario-${process.pid}-${++keys}` });

  async function call<T>(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<Reply<T>> {
    const reply = await h.call(method, url, body, headers);
    return { status: reply.status, body: reply.body as T };
  }

  /** Fails the test with the server's answer when the status is not the expected one. */
  async function expectStatus<T>(status: number, method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<T> {
    const reply = await call<T>(method, url, body, headers);
    if (reply.status !== status) throw new Error(`${method} ${url} answered ${reply.status}, expected ${status}: ${JSON.stringify(reply.body)}`);
    return reply.body;
  }

  const api = {
    call,
    expectStatus,

    async createAccount(settings: Record<string, unknown> = {}): Promise<AccountView> {
      return expectStatus<AccountView>(201, 'POST', '/v1/accounts', { name: 'Acme', currency: 'EUR', ...settings });
    },

    /** An operator credit: the only way money comes in for now. Auto-resume runs here. */
    async topUp(accountId: number, amount: string): Promise<{ balance: string; resumed_subscription_ids: number[] }> {
      return expectStatus(201, 'POST', `/v1/accounts/${accountId}/adjustments`, { direction: 'credit', amount, reason: 'top-up' }, idempotency());
    },

    /** A plan with one flat base price per period (EUR, decimal string such as "24.00"). */
    async createPlan(basePrice: string, options: PlanOptions = {}): Promise<number> {
      const plan = await expectStatus<{ id: number }>(201, 'POST', '/v1/plans', {
        code: `plan_${process.pid}_${++codes}`,
        name: `Plan ${codes}`,
        kind: 'preset',
        cadence: options.cadence ?? 'daily',
        timing: options.timing ?? 'in_advance',
        prices: [{ currency: 'EUR', definition: { base_price: basePrice, items: [], quotas: {}, features: options.features ?? [] } }],
      });
      return plan.id;
    },

    async addPriceVersion(planId: number, basePrice: string, effectiveFrom: string): Promise<number> {
      const version = await expectStatus<{ id: number }>(201, 'POST', `/v1/plans/${planId}/versions`, {
        currency: 'EUR',
        definition: { base_price: basePrice, items: [], quotas: {}, features: [] },
        effective_from: effectiveFrom,
      });
      return version.id;
    },

    async subscribe(accountId: number, planId: number): Promise<Outcome> {
      return expectStatus<Outcome>(201, 'POST', `/v1/accounts/${accountId}/subscriptions`, { plan_id: planId }, idempotency());
    },

    /** enable or disable; answers the raw reply so refusals can be asserted. */
    async change(subscriptionId: number, verb: 'enable' | 'disable'): Promise<Reply<Outcome & Problem>> {
      return call<Outcome & Problem>('POST', `/v1/subscriptions/${subscriptionId}/${verb}`, undefined, idempotency());
    },

    async enable(subscriptionId: number): Promise<Outcome> {
      return expectStatus<Outcome>(200, 'POST', `/v1/subscriptions/${subscriptionId}/enable`, undefined, idempotency());
    },

    async disable(subscriptionId: number): Promise<Outcome> {
      return expectStatus<Outcome>(200, 'POST', `/v1/subscriptions/${subscriptionId}/disable`, undefined, idempotency());
    },

    async subscription(subscriptionId: number): Promise<SubscriptionView> {
      return expectStatus<SubscriptionView>(200, 'GET', `/v1/subscriptions/${subscriptionId}`);
    },

    /** Moves the simulated clock, running every billing boundary passed; answers the runs. */
    async advanceTo(to: string): Promise<BillingRunView[]> {
      const moved = await expectStatus<{ now: string; runs: BillingRunView[] }>(200, 'POST', '/v1/clock/advance', { to, wait: true });
      expect(moved.now).toBe(new Date(to).toISOString());
      return moved.runs;
    },

    async account(accountId: number): Promise<AccountView> {
      return expectStatus<AccountView>(200, 'GET', `/v1/accounts/${accountId}`);
    },

    async balanceOf(accountId: number): Promise<string> {
      return (await expectStatus<{ balance: string }>(200, 'GET', `/v1/accounts/${accountId}/balance`)).balance;
    },

    async eventsOf(accountId: number, topic?: string): Promise<EventView[]> {
      const all: EventView[] = [];
      for (let cursor: string | null = null; ; ) {
        const query = new URLSearchParams({ limit: '200', ...(topic ? { topic } : {}), ...(cursor ? { cursor } : {}) });
        const page: { data: EventView[]; next_cursor: string | null } = await expectStatus(200, 'GET', `/v1/accounts/${accountId}/events?${query}`);
        all.push(...page.data);
        if (!page.next_cursor) return all;
        cursor = page.next_cursor;
      }
    },

    async ledgerOf(accountId: number): Promise<LedgerTransactionView[]> {
      const all: LedgerTransactionView[] = [];
      for (let cursor: string | null = null; ; ) {
        const query = new URLSearchParams({ limit: '200', ...(cursor ? { cursor } : {}) });
        const page: { data: LedgerTransactionView[]; next_cursor: string | null } = await expectStatus(200, 'GET', `/v1/accounts/${accountId}/ledger?${query}`);
        all.push(...page.data);
        if (!page.next_cursor) return all;
        cursor = page.next_cursor;
      }
    },

    /** The customer postings that pay a period of this subscription, as [period start, amount]. */
    async chargesOf(accountId: number, subscriptionId: number): Promise<[string, string][]> {
      const ledger = await api.ledgerOf(accountId);
      return ledger.flatMap((t) =>
        t.postings
          .filter((p) => p.ledger_account === 'customer' && p.subscription_id === subscriptionId && p.billed_period_start !== null)
          .map((p): [string, string] => [p.billed_period_start!, String(-BigInt(p.amount))]),
      );
    },

    /** Billing runs, oldest first (the API lists newest first). */
    async billingRuns(): Promise<BillingRunView[]> {
      const listed = await expectStatus<{ data: BillingRunView[] }>(200, 'GET', '/v1/billing-runs?limit=200');
      return [...listed.data].reverse();
    },

    async runFor(boundary: string): Promise<BillingRunView | undefined> {
      return (await api.billingRuns()).find((r) => r.boundary === new Date(boundary).toISOString());
    },

    async entitlement(accountId: number, feature: string): Promise<{ allowed: boolean; reason?: string }> {
      return expectStatus(200, 'GET', `/v1/accounts/${accountId}/entitlements/${feature}`);
    },

    /**
     * The ledger holds together for these accounts: each transaction's postings sum to zero
     * (and its customer postings to its customer_amount), the balance is the sum of the
     * customer postings, no subscription period is paid twice; and the whole database verifies.
     */
    async expectLedgerConsistent(...accountIds: number[]): Promise<void> {
      for (const accountId of accountIds) {
        const ledger = await api.ledgerOf(accountId);
        let customerTotal = 0n;
        const paidPeriods = new Set<string>();
        for (const t of ledger) {
          const sum = t.postings.reduce((s, p) => s + BigInt(p.amount), 0n);
          expect(sum, `transaction ${t.id} (${t.description}) sums to zero`).toBe(0n);
          expect(t.postings.length, `transaction ${t.id} has two postings or more`).toBeGreaterThanOrEqual(2);
          const customer = t.postings.filter((p) => p.ledger_account === 'customer').reduce((s, p) => s + BigInt(p.amount), 0n);
          expect(customer.toString(), `transaction ${t.id} customer_amount`).toBe(t.customer_amount);
          customerTotal += customer;
          for (const p of t.postings) {
            if (p.billed_period_start === null) continue;
            const period = `${p.subscription_id}@${p.billed_period_start}`;
            expect(paidPeriods.has(period), `period ${period} paid once`).toBe(false);
            paidPeriods.add(period);
          }
        }
        expect(customerTotal.toString(), `account ${accountId} balance equals its customer postings`).toBe(await api.balanceOf(accountId));
      }
      const verified = await verifyLedger(h.kassa.db);
      expect(verified.checks.filter((c) => !c.ok && !c.advisory)).toEqual([]);
      expect(verified.ok).toBe(true);
    },
  };
  return api;
}

export type Scenario = ReturnType<typeof scenario>;

/**
 * The frame every billing scenario file shares: one server for the file, on a simulated clock
 * that starts at `clockStart`; accounts made with `fundedAccount` (or handed to `track`) have their
 * ledger checked after each test, and the whole database verified.
 */
export function billingScenario(clockStart: string, billing?: Partial<BillingSettings>) {
  let h: Harness | undefined;
  const touched = new Set<number>();
  const s = scenario(() => {
    if (!h) throw new Error('the harness starts in beforeAll');
    return h;
  });
  beforeAll(async () => {
    h = await startHarness({ clockStart, billing });
  });
  afterEach(async () => {
    await s.expectLedgerConsistent(...touched);
  });
  afterAll(() => h?.close());
  return Object.assign(s, {
    /** The running Kassa behind the server, for what only it can tell (its caches). */
    kassa(): Harness['kassa'] {
      if (!h) throw new Error('the harness starts in beforeAll');
      return h.kassa;
    },
    /** A GET answered as it is sent, for what is not JSON (CSV, PDF). */
    async raw(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; bytes: Buffer; headers: Record<string, unknown> }> {
      if (!h) throw new Error('the harness starts in beforeAll');
      const response = await h.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${h.apiKey}`, ...headers } });
      return { status: response.statusCode, body: response.body, bytes: response.rawPayload, headers: response.headers };
    },
    /** Checks this account's ledger after each test from now on. */
    track(accountId: number): number {
      touched.add(accountId);
      return accountId;
    },
    /** A new account (EUR, with these settings), credited `topUp` and tracked. */
    async fundedAccount(topUp: string, settings: Record<string, unknown> = {}): Promise<number> {
      const { id } = await s.createAccount(settings);
      touched.add(id);
      await s.topUp(id, topUp);
      return id;
    },
  });
}
