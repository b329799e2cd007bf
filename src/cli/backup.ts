// `kassa backup FILE` and `kassa restore FILE`: the whole database of either backend, as
// src/db/backup.ts takes and restores it. A restore goes into an empty target only; run
// `kassa verify` on it afterwards. The secret key is never in a backup: keep it apart.
import type { Command } from 'commander';
import { configFromEnv } from '../config.js';
import { BackupRefused, backupDataFolder, backupPostgres, restoreDataFolder, restorePostgres } from '../db/backup.js';
import type { CliContext } from './context.js';
import { CliError } from './server.js';

export function addBackupCommands(program: Command, { print }: CliContext, env: NodeJS.ProcessEnv): void {
  const refusedAsCliError = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof BackupRefused) throw new CliError(error.message);
      throw error;
    }
  };
  program
    .command('backup')
    .description('write the whole database to FILE: pg_dump custom format (DATABASE_URL, beside running servers), or the embedded data folder (stop its server first)')
    .argument('<file>', 'where to write it')
    .action(async (file: string) => {
      const config = configFromEnv(env);
      const { bytes } = await refusedAsCliError(() => (config.databaseUrl ? backupPostgres(config.databaseUrl, file) : backupDataFolder(config.dataDir, file)));
      print(`backed up ${config.databaseUrl ? 'PostgreSQL' : `the embedded database in ${config.dataDir}`} to ${file} (${bytes} bytes); the secret key is not in it: keep KASSA_SECRET_KEY (or ${config.databaseUrl ? 'your copy of it' : `${config.dataDir}/secret.key`}) apart`);
    });
  program
    .command('restore')
    .description('restore FILE (from `kassa backup`) into an empty database: a new DATABASE_URL database, or a new KASSA_DATA_DIR; then `kassa verify`')
    .argument('<file>', 'a backup from `kassa backup`')
    .action(async (file: string) => {
      const config = configFromEnv(env);
      await refusedAsCliError(() => (config.databaseUrl ? restorePostgres(file, config.databaseUrl) : restoreDataFolder(file, config.dataDir)));
      print(`restored ${file} into ${config.databaseUrl ? 'the PostgreSQL database at DATABASE_URL' : config.dataDir}, migrated to this version; start Kassa with the secret key the backup was made under`);
    });
}
