// The `kassa` binary: one command line, run in this process (see program.ts).
import { loadEnvFile } from '../env-file.js';
import { runCli } from './program.js';

loadEnvFile();
process.exitCode = await runCli(process.argv.slice(2));
