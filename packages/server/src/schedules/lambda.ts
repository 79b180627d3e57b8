import type { RunDueSummary } from '@flagline/core';
import { type Config, loadConfig } from '../config';
import { openMigratedDatabase } from '../db/open-migrated';
import { createLogger } from '../logger';
import { runDuePass } from './apply';

/**
 * One pass over due schedules, for cron / EventBridge-style triggers (`flagline schedules run-due` runs the same).
 * Throws when the pass could not run, so the trigger records a failed invocation.
 */
export async function runDueOnce(config: Config = loadConfig()): Promise<RunDueSummary> {
  const logger = createLogger(config.logLevel, { toStderr: true });
  const database = await openMigratedDatabase(config);
  try {
    return await runDuePass({ db: database.db, logger }, config.scheduler);
  } finally {
    await database.close();
  }
}

/** Lambda-style entry point: `export { handler } from '@flagline/server'`. */
export const handler = async (): Promise<RunDueSummary> => runDueOnce();
