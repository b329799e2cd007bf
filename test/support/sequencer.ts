// The order test files start in. Vitest runs the files it has timed before longest first, and
// files it has not (every clean clone, so CI) largest first; a short file that spawns
// processes then starts last and runs alone for half a minute while the other worker idles.
// So the slowest files, as the JSON reporter measured them (seconds on PGlite, 2026-12-06),
// start first whatever the cache says; the rest keep Vitest's order. Refresh the list when
// the slowest files change: `npx vitest run --reporter=json --outputFile=/tmp/t.json`.
import { BaseSequencer, type TestSpecification } from 'vitest/node';

export const SLOWEST_FIRST = [
  'test/start-up.test.ts', // 27 s: spawns npm start eight times
  'test/billing-credit-window.test.ts', // 27 s: walks the clock over a year
  'test/cli.test.ts', // 25 s: runs the binary
  'test/faults/billing-crash.test.ts', // 15 s: seeds and kills a billing process
  'test/properties.test.ts', // 14 s
  'test/data-folder.test.ts', // 13 s
  'test/mail-links.test.ts', // 13 s
  'test/documents-issue.test.ts', // 13 s
  'test/faults/usage-crash.test.ts', // 12 s
  'test/openapi.test.ts', // 12 s
  'test/shutdown.test.ts', // 12 s
  'test/roles.test.ts', // 8 s: spawns three processes
  'test/compose.test.ts', // 8 s on PostgreSQL: spawns three processes
];

export default class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (spec: TestSpecification) => SLOWEST_FIRST.findIndex((file) => spec.moduleId.endsWith(`/${file}`));
    const first = files.filter((spec) => rank(spec) >= 0).sort((a, b) => rank(a) - rank(b));
    return [...first, ...(await super.sort(files.filter((spec) => rank(spec) < 0)))];
  }
}
