import type { Logger } from 'pino';
import type { Config } from '../config';
import { type Database, openDatabase } from './client';
import { runMigrations } from './migrate';

/**
 * The configured database, open and migrated: where `serve`, `worker`, the one-shot CLI commands and the Lambda-style
 * trigger all start. A database that fails to migrate is closed again, so no entry point leaks it.
 */
export async function openMigratedDatabase(config: Config, logger?: Logger): Promise<Database> {
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    connectTimeoutMs: config.databaseConnectTimeoutMs,
    ...(logger && { onConnectionError: (error: Error) => logger.warn({ err: error }, 'database connection error') }),
  });
  try {
    await runMigrations(database, config.databaseUrl, config.migrationDatabaseUrl);
  } catch (error) {
    await database.close();
    throw error;
  }
  return database;
}
