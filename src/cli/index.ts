// The `kassa` binary: one command line, run in this process (see program.ts).
// The rest is loaded once the module loader is quick (../db/quick-load.ts).
import '../db/quick-load.js';
import { loadEnvFile } from '../env-file.js';

const { runCli } = await import('./program.js');
loadEnvFile();
process.exitCode = await runCli(process.argv.slice(2));
