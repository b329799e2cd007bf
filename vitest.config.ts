import { defineConfig } from 'vitest/config';
import SlowestFirst from './test/support/sequencer.js';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    sequence: { sequencer: SlowestFirst },
    pool: 'forks',
    isolate: false,
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Real scrypt, at a cost fit for passwords that protect nothing: ~5 ms a hash instead of
    // ~550 ms, in every test that signs up or logs in (and the processes they start).
    // A fixed secret key, as an operator sets one: PostgreSQL runs need it, and the processes
    // tests start share it. Tests of a missing key remove it.
    env: { KASSA_PASSWORD_SCRYPT: 'ln=10,r=8,p=1', KASSA_SECRET_KEY: 'dGVzdC1zZWNyZXQta2V5LW9mLWthc3NhLTMyLWJ5dGU=' },
  },
});
