// The domains' order (AGENTS.md draws it): a module imports only its own domain and the
// domains below it, so a new domain has one place to go and no cycle can form. The composition
// (src/app.ts, src/server.ts, src/kassa.ts, src/main.ts, src/demo.ts and src/cli/) may import
// anything. What every operation is handed, `Kassa` (src/context.ts) and the app routes
// register on, `KassaApp` (src/http/kassa-app.ts), may be imported as types from anywhere.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/** Bottom first. A domain may import the ones before it. */
export const DOMAIN_ORDER = [
  'db', 'money', 'config', 'env-file', 'shared', 'time',
  'auth', 'http', 'operations', 'audit', 'outbox', 'ledger', 'notifications',
  'catalog', 'entitlements',
  'accounts', 'grants', 'budgets', 'payments', 'billing', 'subscriptions', 'usage', 'closure', 'documents', 'webhooks',
  'identity', 'members', 'pages',
  'jobs', 'clock',
] as const;
const COMPOSITION = new Set(['app', 'server', 'kassa', 'main', 'start', 'secrets-at-rest', 'demo', 'cli']);
const KERNEL_TYPES = new Set(['context', 'http/kassa-app']);

const SRC = path.resolve(import.meta.dirname, '../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.(ts|mjs)$/.test(entry.name) && !entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

/** 'accounts' for src/accounts/lock.ts, 'config' for src/config.ts. */
function domainOf(file: string): string {
  return path.relative(SRC, file).split(path.sep)[0]!.replace(/\.(ts|mjs)$/, '');
}

interface Import {
  from: string;
  to: string;
  typeOnly: boolean;
}

function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  const found: Import[] = [];
  for (const match of text.matchAll(/^(?:import|export)\s+(type\s+)?[^'"]*?from\s+'(\.[^']+)'/gms)) {
    const target = path.resolve(path.dirname(file), match[2]!).replace(/\.js$/, '.ts');
    if (!target.startsWith(SRC + path.sep)) continue;
    found.push({ from: path.relative(SRC, file), to: path.relative(SRC, target), typeOnly: Boolean(match[1]) });
  }
  return found;
}

function allowed({ from, to, typeOnly }: Import): boolean {
  const source = domainOf(path.join(SRC, from));
  const target = domainOf(path.join(SRC, to));
  if (source === target || COMPOSITION.has(source)) return true;
  // src/context.ts only names the types of what it holds.
  if (source === 'context') return typeOnly;
  if (typeOnly && KERNEL_TYPES.has(to.replace(/\.ts$/, ''))) return true;
  const order: readonly string[] = DOMAIN_ORDER;
  return order.includes(source) && order.includes(target) && order.indexOf(target) < order.indexOf(source);
}

describe('the domains are layered', () => {
  const files = sourceFiles(SRC);

  it('places every folder and top-level module of src/ in the order or the composition', () => {
    const unplaced = [...new Set(files.map(domainOf))].filter((d) => !COMPOSITION.has(d) && !KERNEL_TYPES.has(d) && !(DOMAIN_ORDER as readonly string[]).includes(d));
    expect(unplaced).toEqual([]);
  });

  it('imports only downwards', () => {
    const upwards = files.flatMap(importsOf).filter((i) => !allowed(i)).map((i) => `${i.from} -> ${i.to}${i.typeOnly ? ' (type)' : ''}`);
    expect(upwards).toEqual([]);
  });

  it('reads the imports it judges (a check that finds none would pass anything)', () => {
    const edges = files.flatMap(importsOf);
    expect(edges.length).toBeGreaterThan(300);
    expect(edges).toContainEqual({ from: 'accounts/credit-account.ts', to: 'ledger/post.ts', typeOnly: false });
    expect(allowed({ from: 'catalog/pricing.ts', to: 'billing/run.ts', typeOnly: false })).toBe(false);
    expect(allowed({ from: 'ledger/post.ts', to: 'context.ts', typeOnly: false })).toBe(false);
    expect(allowed({ from: 'context.ts', to: 'entitlements/cache.ts', typeOnly: false })).toBe(false);
  });
});
