// Starts a Kassa process: `npm start` (the roles KASSA_ROLES names, both by default), `kassa
// serve` (the API) and `kassa work` (the workers). PGlite in KASSA_DATA_DIR, or DATABASE_URL.
// What a person can fix (a setting, a database that cannot be reached, a port in use) ends the
// start in one line on stderr with exit code 2; a data folder another process owns, with 1.
//
// Only the settings are read before they are checked: a typo is answered in under a second, not
// after the whole server (payments, documents, the database) has been loaded.
import { ConfigError, type Config, type Roles, configFromEnv } from './config.js';

const stop = (line: string, code: number): never => {
  process.stderr.write(`kassa: ${line}\n`);
  process.exit(code);
};

/** Runs this process as a Kassa server until SIGTERM; `roles` overrides KASSA_ROLES. */
export async function startKassa(env: NodeJS.ProcessEnv, roles?: Roles): Promise<void> {
  let config: Config;
  try {
    config = configFromEnv(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return stop(error.message, 2);
  }
  if (roles) config.roles = roles;
  const [{ buildApp }, { DataFolderBusy }, { openKassa }, { startServer }] = await Promise.all([import('./app.js'), import('./db/data-folder-lock.js'), import('./kassa.js'), import('./server.js')]);
  const opened = await openKassa({ ...config, clockStart: config.clockStart, owner: `kassa ${describeRoles(config.roles)} on port ${config.port}` }).catch((error: unknown) => {
    if (error instanceof DataFolderBusy) return stop(error.message, 1);
    if (error instanceof ConfigError) return stop(error.message, 2);
    const reason = unreachable(error);
    if (reason === undefined) throw error;
    return stop(config.databaseUrl ? `cannot use the database at DATABASE_URL=${withoutPassword(config.databaseUrl)}: ${reason}` : `cannot open the embedded database in KASSA_DATA_DIR=${config.dataDir}: ${reason}`, 2);
  });
  const { kassa, database, generatedSecretKey } = opened;
  // Once, on the start that made it: the key is as precious as the data it seals.
  if (generatedSecretKey) process.stdout.write(`KASSA_SECRET_KEY was not set: a new key seals this folder's secrets, in ${generatedSecretKey}; back it up with the data, and set KASSA_SECRET_KEY to it before moving to PostgreSQL\n`);
  const app = await buildApp(kassa, { logger: { level: config.logLevel }, metricsToken: config.metricsToken, trustProxy: config.trustProxy, api: config.roles.api });
  await startServer(app, kassa, database, config).catch((error: unknown) => {
    const code = (error as { code?: string }).code;
    if (code === 'EADDRINUSE') return stop(`PORT=${config.port}: another process listens on it; stop it or choose another PORT`, 2);
    if (code === 'EACCES' || code === 'EADDRNOTAVAIL') return stop(`HOST=${config.host} PORT=${config.port}: cannot listen there (${code})`, 2);
    throw error;
  });
}

/** "server" (both roles), "api" or "worker": what a process is, in its lock and its log. */
function describeRoles(roles: Roles): string {
  return roles.api && roles.worker ? 'server' : roles.api ? 'api' : 'worker';
}

/** What went wrong reaching a database, when it is the setting's fault rather than Kassa's. */
function unreachable(error: unknown): string | undefined {
  for (let e: unknown = error; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    const { code, message } = e as { code?: string; message?: string };
    if (code && ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EACCES', 'ENOENT', '28P01', '28000', '3D000'].includes(code)) return `${message ?? code} (${code})`;
    if (e instanceof TypeError && /invalid url/i.test(message ?? '')) return 'not a valid URL';
  }
  return undefined;
}

function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}
