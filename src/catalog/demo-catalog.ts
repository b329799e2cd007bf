// The demo catalog a fresh Kassa starts with, after the seeds: a device-management
// platform billed nightly in advance (a cheaper preset and a custom plan priced per device),
// an authentication service paid per used day in arrears, and monthly team seats with a
// minimum commitment. Plain data, priced in EUR and USD.
import type { Cadence, Timing } from '../db/schema.js';
import type { PlanDefinition, PlanItem } from './plan-definition.js';

export interface DemoService {
  code: string;
  name: string;
  unit: string;
  description: string;
}

export interface DemoPlan {
  code: string;
  name: string;
  kind: 'preset' | 'custom';
  cadence: Cadence;
  timing: Timing;
  prices: { EUR: PlanDefinition; USD: PlanDefinition };
}

export const demoServices: DemoService[] = [
  { code: 'cpe_devices', name: 'CPE devices', unit: 'device', description: 'Customer-premises devices managed by one instance' },
  { code: 'public_ip', name: 'Public IPv4 address', unit: 'address', description: 'A public address for the instance' },
  { code: 'config_backup', name: 'Configuration backups', unit: 'instance', description: 'Nightly backup of every device configuration' },
  { code: 'authentication', name: 'User authentication', unit: 'day', description: 'Login, SSO and 2FA for your users' },
  { code: 'user_seats', name: 'User seats', unit: 'seat', description: 'Named users of the telephony workspace' },
];

const item = (service: string, over: Partial<PlanItem>): PlanItem => ({ service, tier_mode: 'flat', included: 0, min: 0, max: null, default: 0, decrease: 'refund', ...over });

/** Per device per day; the custom plan costs more than the preset for the same devices (seed 000). */
const customDevices = (first: string, next: string, rest: string) =>
  item('cpe_devices', {
    tier_mode: 'graduated',
    tiers: [
      { up_to: 100, unit_price: first },
      { up_to: 1000, unit_price: next },
      { up_to: null, unit_price: rest },
    ],
    min: 10,
    default: 100,
  });

const dmsStarter = (base: string, device: string, ip: string): PlanDefinition => ({
  base_price: base,
  items: [item('cpe_devices', { unit_price: device, included: 100, default: 100, max: 500 }), item('public_ip', { unit_price: ip, max: 1, decrease: 'none' })],
  quotas: { sites: 5 },
  features: ['api'],
});

const dmsCustom = (tiers: [string, string, string], ip: string, backup: string): PlanDefinition => ({
  items: [customDevices(...tiers), item('public_ip', { unit_price: ip, max: 4, decrease: 'none' }), item('config_backup', { unit_price: backup, max: 1, decrease: 'none' })],
  quotas: { sites: 50 },
  features: ['api', 'config_backup'],
});

const auth = (base: string, users: number, sites: number, features: string[]): PlanDefinition => ({ base_price: base, items: [], quotas: { users, sites }, features });

/** Five seats are the commitment: paid every month even when fewer exist (seed 002). */
const seats = (base: string, seat: string): PlanDefinition => ({
  base_price: base,
  items: [item('user_seats', { unit_price: seat, included: 5, min: 0, default: 5, decrease: 'none' })],
  quotas: {},
  features: ['api', 'call_recording'],
});

export const demoPlans: DemoPlan[] = [
  { code: 'dms_starter', name: 'Device management Starter', kind: 'preset', cadence: 'daily', timing: 'in_advance', prices: { EUR: dmsStarter('2.40', '0.02', '0.10'), USD: dmsStarter('2.60', '0.022', '0.11') } },
  { code: 'dms_custom', name: 'Device management Custom', kind: 'custom', cadence: 'daily', timing: 'in_advance', prices: { EUR: dmsCustom(['0.03', '0.025', '0.02'], '0.12', '0.20'), USD: dmsCustom(['0.033', '0.0275', '0.022'], '0.13', '0.22') } },
  { code: 'auth_basic', name: 'Authentication Basic', kind: 'preset', cadence: 'daily', timing: 'in_arrears', prices: { EUR: auth('0.99', 1000, 3, ['api', 'sso']), USD: auth('1.09', 1000, 3, ['api', 'sso']) } },
  { code: 'auth_pro', name: 'Authentication Pro', kind: 'preset', cadence: 'daily', timing: 'in_arrears', prices: { EUR: auth('2.99', 10000, 20, ['api', 'sso', 'mfa']), USD: auth('3.29', 10000, 20, ['api', 'sso', 'mfa']) } },
  { code: 'team_seats', name: 'Team seats', kind: 'preset', cadence: 'monthly', timing: 'in_advance', prices: { EUR: seats('60', '12'), USD: seats('65', '13') } },
];

/** The demo customer, with a starting credit so it can run something at once. */
export const demoAccount = { name: 'Demo Customer', externalRef: 'demo', currency: 'EUR', credit: 10_000n } as const;
