// `npm start`: serves Kassa on PORT with PGlite in KASSA_DATA_DIR (or DATABASE_URL).
import { buildApp } from './app.js';
import { configFromEnv } from './config.js';
import { DataFolderBusy } from './db/data-folder-lock.js';
import { loadEnvFile } from './env-file.js';
import { openKassa } from './kassa.js';
import { startServer } from './server.js';

loadEnvFile();
const config = configFromEnv();
const opened = await openKassa({ ...config, clockStart: config.clockStart, owner: `kassa server on port ${config.port}` }).catch((error: unknown) => {
  if (!(error instanceof DataFolderBusy)) throw error;
  process.stderr.write(`kassa: ${error.message}\n`);
  process.exit(1);
});
const { kassa, database } = opened;
const app = await buildApp(kassa, { logger: { level: config.logLevel } });
await startServer(app, kassa, database, config);
