// The subscription and object-count routes are described in /openapi.json with their errors.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Harness, startHarness } from './support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

it('documents every subscription and object-count route, with the problems each can answer', async () => {
  const doc = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json();
  const paths = Object.keys(doc.paths);
  for (const path of [
    '/v1/accounts/{id}/subscriptions',
    '/v1/accounts/{id}/subscriptions/preview',
    '/v1/subscriptions/{id}',
    '/v1/subscriptions/{id}/enable',
    '/v1/subscriptions/{id}/disable/preview',
    '/v1/subscriptions/{id}/configure',
    '/v1/subscriptions/{id}/change-plan/preview',
    '/v1/accounts/{id}/object-counts',
  ]) {
    expect(paths).toContain(path);
  }
  expect(Object.keys(doc.paths['/v1/accounts/{id}/subscriptions'].post.responses)).toEqual(expect.arrayContaining(['201', '404', '409', '422']));
});
