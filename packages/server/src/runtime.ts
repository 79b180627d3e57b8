import type { Logger } from 'pino';
import { Authenticator } from './auth/authenticator';
import type { Config } from './config';
import { type Database, openDatabase } from './db/client';
import { runMigrations } from './db/migrate';
import { SnapshotStore } from './delivery/snapshot';
import type { AppDeps } from './http/deps';

/** Opens the database, migrates it, and starts the snapshot and authenticator: everything the app runs on. */
export async function startRuntime(config: Config, logger: Logger): Promise<AppDeps & { stop(): Promise<void> }> {
  const database: Database = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    connectTimeoutMs: config.databaseConnectTimeoutMs,
    onConnectionError: (error) => logger.warn({ err: error }, 'database connection error'),
  });
  try {
    await runMigrations(database, config.databaseUrl);
    const snapshot = new SnapshotStore(database, logger, config.snapshotPollMs);
    const authenticator = new Authenticator(database.db, config, logger);
    // Any committed change may have created or revoked a token: forget cached lookups.
    snapshot.onChange(() => authenticator.invalidate());
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
        await database.close();
      },
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}
