// `npm start`: a Kassa process with the roles KASSA_ROLES names (both by default) on PORT,
// with PGlite in KASSA_DATA_DIR (or DATABASE_URL). See ./start.ts.
import './db/quick-load.js';
import { loadEnvFile } from './env-file.js';
import { startKassa } from './start.js';

loadEnvFile();
await startKassa(process.env);
