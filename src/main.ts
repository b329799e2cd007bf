// `npm start`: serves Kassa on PORT with PGlite in KASSA_DATA_DIR (or DATABASE_URL).
import { buildApp } from './app.js';
import { configFromEnv } from './config.js';
import { loadEnvFile } from './env-file.js';
import { openKassa } from './kassa.js';
import { startServer } from './server.js';

loadEnvFile();
const config = configFromEnv();
const { kassa, database } = await openKassa({ ...config, clockStart: config.clockStart });
const app = await buildApp(kassa, { logger: { level: config.logLevel } });
await startServer(app, kassa, database, config);
