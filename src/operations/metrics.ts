// What a process tells Prometheus (SPEC 14, issue 11): one registry per process, since its
// figures are the process's own (its requests, its event loop, its billing batches); the
// figures read from the database at each scrape (backlogs, queues, the pool) are added by the
// route (./routes.ts). Names follow Prometheus' conventions: kassa_ prefix, base units.
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const processMetrics = new Registry();
// CPU, memory, handles, GC and event loop lag (nodejs_eventloop_lag_seconds and its percentiles).
collectDefaultMetrics({ register: processMetrics });

export const httpRequestSeconds = new Histogram({
  name: 'kassa_http_request_duration_seconds',
  help: 'Time from a request received to its answer sent, by route (the template, not the URL) and status',
  labelNames: ['method', 'route', 'status_code'] as const,
  // Entitlement checks answer in well under a millisecond; a clock advance can take seconds.
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [processMetrics],
});

export const entitlementChecks = new Counter({
  name: 'kassa_entitlement_checks_total',
  help: 'Entitlement questions answered, by answer (allowed or refused; a whole list counts as list)',
  labelNames: ['answer'] as const,
  registers: [processMetrics],
});

export const billingRunSeconds = new Histogram({
  name: 'kassa_billing_run_duration_seconds',
  help: 'Time this process took to take a billing run from its start (or takeover) to its completion',
  buckets: [0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1800],
  registers: [processMetrics],
});

export const billingBatches = new Counter({
  name: 'kassa_billing_batches_total',
  help: 'Billing-run batches this process committed',
  registers: [processMetrics],
});

export const billingPeriodsCharged = new Counter({
  name: 'kassa_billing_periods_charged_total',
  help: 'Subscription periods the billing batches of this process charged',
  registers: [processMetrics],
});

const charges = new Counter({
  name: 'kassa_charges_minor_units_total',
  help: 'Money this process charged, in minor units of each currency (cents for EUR), by source: the billing run, usage rating, subscription changes made through the API',
  labelNames: ['currency', 'source'] as const,
  registers: [processMetrics],
});

/**
 * Counts committed charges: call after their transaction commits. Prometheus counts in
 * doubles, so a counter is exact up to 2^53 minor units (90 trillion EUR); it is a monitoring
 * figure, and no amount is ever read back from it.
 */
export function countCharged(source: 'billing_run' | 'usage' | 'subscription', byCurrency: ReadonlyMap<string, bigint>): void {
  for (const [currency, amount] of byCurrency) if (amount !== 0n) charges.inc({ currency, source }, Number(amount));
}
