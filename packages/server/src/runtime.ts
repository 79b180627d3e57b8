import type { Logger } from 'pino';
import { Authenticator } from './auth/authenticator';
import type { Config } from './config';
import type { Database } from './db/client';
import { openMigratedDatabase } from './db/open-migrated';
import { SnapshotStore } from './delivery/snapshot';
import type { AppDeps } from './http/deps';

export type Runtime = AppDeps & { stop(): Promise<void> };

/**
 * The snapshot and authenticator on an open, migrated database: everything the app runs on. `stop()` stops them and
 * leaves the database to whoever opened it (the tests' databases are dropped by their own helper).
 */
export async function composeRuntime(database: Database, config: Config, logger: Logger): Promise<Runtime> {
  const snapshot = new SnapshotStore(database, logger, config.snapshotPollMs);
  const authenticator = new Authenticator(database.db, config, logger);
  // A token was created or revoked, on any instance: forget cached look-ups.
  snapshot.onTokensChange(() => authenticator.invalidate());
  await snapshot.start();
  authenticator.start();
  return {
    config,
    database,
    logger,
    snapshot,
    authenticator,
    async stop() {
      await snapshot.stop();
      await authenticator.stop();
    },
  };
}

/**
 * Opens the database, migrates it, and composes the runtime on it; `stop()` closes the database too. `opening` is a
 * database already being opened and migrated (`serve` starts that before importing the server).
 */
export async function startRuntime(
  config: Config,
  logger: Logger,
  opening: Promise<Database> = openMigratedDatabase(config, logger),
): Promise<Runtime> {
  const database: Database = await opening;
  try {
    const runtime = await composeRuntime(database, config, logger);
    return {
      ...runtime,
      async stop() {
        await runtime.stop();
        await database.close();
      },
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}
