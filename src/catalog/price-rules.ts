// What a price must satisfy before it is stored, beyond its JSON schema: a real currency, a
// coherent definition, items naming services that exist, and a start time that never
// reaches into the past. Pure: the caller looks up the services and the clock.
import { isCurrency } from '../money/money.js';
import type { Failure } from '../shared/result.js';
import { type PlanDefinition, definitionProblems, metersOf } from './plan-definition.js';

/** Existing services by code: whether each is metered (priced by usage) or not. */
export type KnownServices = ReadonlyMap<string, { metered: boolean }>;

/** Every service code a definition names, items and meters alike. */
export const servicesNamed = (definition: PlanDefinition): string[] => [...definition.items.map((i) => i.service), ...metersOf(definition).map((m) => m.meter)];

export interface PriceToCheck {
  currency: string;
  definition: PlanDefinition;
}

/** The first problem of one price, checked in a fixed order; fields are relative to `at`. */
export function priceProblem(price: PriceToCheck, knownServices: KnownServices, at: string): Failure | undefined {
  if (!isCurrency(price.currency)) return { code: 'unknown_currency', detail: `${price.currency} is not an ISO 4217 currency`, field: `${at}/currency` };
  const [problem] = definitionProblems(price.definition);
  if (problem) return { code: 'validation_failed', detail: problem.detail, field: `${at}/definition${problem.field}` };
  const unknown = price.definition.items.findIndex((item) => !knownServices.has(item.service));
  if (unknown >= 0) {
    const service = price.definition.items[unknown]!.service;
    return { code: 'validation_failed', detail: `no service with code ${service}`, field: `${at}/definition/items/${unknown}/service` };
  }
  for (const [i, { meter }] of metersOf(price.definition).entries()) {
    const service = knownServices.get(meter);
    const field = `${at}/definition/meters/${i}/meter`;
    if (!service) return { code: 'validation_failed', detail: `no service with code ${meter}`, field };
    if (!service.metered) return { code: 'validation_failed', detail: `service ${meter} is not metered: price it as an item`, field };
  }
  return undefined;
}

/** The first problem among a new plan's prices: each price, then one price per currency. */
export function pricesProblem(prices: readonly PriceToCheck[], knownServices: KnownServices): Failure | undefined {
  const currencies = new Set<string>();
  for (const [i, price] of prices.entries()) {
    const problem = priceProblem(price, knownServices, `/prices/${i}`);
    if (problem) return problem;
    if (currencies.has(price.currency)) return { code: 'validation_failed', detail: `${price.currency} is priced twice`, field: `/prices/${i}/currency` };
    currencies.add(price.currency);
  }
  return undefined;
}

/**
 * A price applies from now or later, never earlier: charges already made must not change.
 * Nor may it start before the latest version of the same currency, so version numbers and
 * start times ascend together and "the newest version effective at t" is unambiguous.
 */
export function effectiveFromProblem(effectiveFrom: Date, now: Date, latest?: { version: number; effectiveFrom: Date }): Failure | undefined {
  if (effectiveFrom.getTime() < now.getTime()) {
    return { code: 'validation_failed', detail: `effective_from must not be before now (${now.toISOString()})`, field: '/effective_from' };
  }
  if (latest && effectiveFrom.getTime() < latest.effectiveFrom.getTime()) {
    return {
      code: 'validation_failed',
      detail: `effective_from must not be before version ${latest.version} (effective ${latest.effectiveFrom.toISOString()})`,
      field: '/effective_from',
    };
  }
  return undefined;
}
