import { describe, expect, it } from 'vitest';
import { parseQuantities } from './quote-plan.js';

describe('parseQuantities', () => {
  it.each([
    ['', {}],
    ['cpe_devices:250', { cpe_devices: 250 }],
    ['cpe_devices:250,public_ip:0', { cpe_devices: 250, public_ip: 0 }],
    [' cpe_devices:1 , public_ip:2 ,', { cpe_devices: 1, public_ip: 2 }],
  ])('reads %j', (text, expected) => {
    expect(parseQuantities(text)).toEqual({ ok: true, value: expected });
  });
  it.each([
    ['cpe_devices=250'],
    ['cpe_devices:-1'],
    ['cpe_devices:1.5'],
    ['cpe_devices:007'],
    ['cpe_devices:12345678901'],
    ['CPE:1'],
    ['cpe_devices:1,cpe_devices:2'],
  ])('refuses %j', (text) => {
    const result = parseQuantities(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.failure).toMatchObject({ code: 'validation_failed', field: '/querystring/quantities' });
  });
});
