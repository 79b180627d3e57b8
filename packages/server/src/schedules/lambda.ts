import type { RunDueSummary } from '@flagline/core';
import { type Config, loadConfig } from '../config';
import { openDatabase } from '../db/client';
import { runMigrations } from '../db/migrate';
import { createLogger } from '../logger';
import { runDuePass } from './apply';

/**
 * One pass over due schedules, for cron / EventBridge-style triggers (`flagline schedules run-due` runs the same).
 * Throws when the pass could not run, so the trigger records a failed invocation.
 */
export async function runDueOnce(config: Config = loadConfig()): Promise<RunDueSummary> {
  const logger = createLogger(config.logLevel, { toStderr: true });
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    connectTimeoutMs: config.databaseConnectTimeoutMs,
  });
  try {
    await runMigrations(database, config.databaseUrl, config.migrationDatabaseUrl);
    return await runDuePass({ db: database.db, logger }, config.scheduler);
  } finally {
    await database.close();
  }
}

/** Lambda-style entry point: `export { handler } from '@flagline/server'`. */
export const handler = async (): Promise<RunDueSummary> => runDueOnce();
