// A billing run in its own process, for the crash test: seeds (when asked), then runs the
// boundary, printing a line after each committed batch so the parent knows when to kill it.
import { runBillingAt } from '../../src/billing/run.js';
import { defaultBillingSettings } from '../../src/config.js';
import { openKassa } from '../../src/kassa.js';
import { BENCH_BOUNDARY, seedBillingBench } from '../../bench/seed-billing.js';

const [step, target, accounts] = process.argv.slice(2);
const where = target!.startsWith('postgres') ? { databaseUrl: target } : { dataDir: target };
const { kassa, database } = await openKassa({
  ...where,
  clock: 'simulated',
  clockStart: BENCH_BOUNDARY,
  billing: { ...defaultBillingSettings, batchAccounts: 100 },
});
if (step === 'seed') {
  await seedBillingBench(kassa.db, Number(accounts), 5);
} else {
  await runBillingAt(kassa, BENCH_BOUNDARY, { onBatchCommitted: (run) => console.log(`batch committed through account ${run.cursorAccountId}`) });
  console.log('run completed');
}
await database.close();
