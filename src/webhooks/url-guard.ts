// Where a webhook may be sent (SPEC 15, issue 10): an https URL (http only when
// KASSA_WEBHOOK_ALLOW_HTTP), without credentials in it, whose host is a public address. A
// webhook is a request Kassa makes on a caller's say-so, so an endpoint on a private, loopback
// or link-local address would let a caller reach what sits beside Kassa (a metadata service, an
// admin port): such addresses are refused when the endpoint is registered and again, after DNS
// resolution, each time a delivery connects (a name can be pointed elsewhere later), unless
// KASSA_WEBHOOK_ALLOW_PRIVATE.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import type { WebhookSettings } from '../config.js';

export const URL_MAX_LENGTH = 2048;

/** Why `raw` cannot be an endpoint's URL, from its text alone; undefined when it can. */
export function webhookUrlProblem(raw: string, settings: WebhookSettings): string | undefined {
  if (raw.length > URL_MAX_LENGTH) return `a URL of at most ${URL_MAX_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'not a URL: expected https://host/path';
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && settings.allowHttp)) {
    return settings.allowHttp ? `an http:// or https:// URL, not ${url.protocol}//` : `an https:// URL, not ${url.protocol}// (http:// only with KASSA_WEBHOOK_ALLOW_HTTP=true)`;
  }
  if (url.username || url.password) return 'no user name or password in the URL: authenticate the deliveries by their signature';
  if (url.hash) return 'no #fragment: it is never sent';
  return undefined;
}

/** Why a delivery may not connect to `address` (an IP), or undefined when it may. */
export function addressProblem(address: string, settings: WebhookSettings): string | undefined {
  if (settings.allowPrivate) return undefined;
  if (!ipaddr.isValid(address)) return `${address} is not an IP address`;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  const range = parsed.range();
  return range === 'unicast' ? undefined : `${address} is a ${rangeName(range)} address (allowed only with KASSA_WEBHOOK_ALLOW_PRIVATE=true)`;
}

/** Why the URL's host may not be sent to, after resolving it; undefined when every address it resolves to is public. */
export async function hostProblem(raw: string, settings: WebhookSettings, resolve: (host: string) => Promise<string[]> = resolveAll): Promise<string | undefined> {
  if (settings.allowPrivate) return undefined;
  const host = new URL(raw).hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : await resolve(host);
  } catch {
    return `${host} does not resolve to an address`;
  }
  if (addresses.length === 0) return `${host} does not resolve to an address`;
  for (const address of addresses) {
    const problem = addressProblem(address, settings);
    if (problem) return isIP(host) ? problem : `${host} resolves to ${problem}`;
  }
  return undefined;
}

async function resolveAll(host: string): Promise<string[]> {
  return (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
}

function rangeName(range: string): string {
  const names: Record<string, string> = { private: 'private', loopback: 'loopback', linkLocal: 'link-local', uniqueLocal: 'unique local (private)', unspecified: 'unspecified', carrierGradeNat: 'carrier-grade NAT', multicast: 'multicast', broadcast: 'broadcast' };
  return names[range] ?? `reserved (${range})`;
}
