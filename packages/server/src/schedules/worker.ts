import type { Logger } from 'pino';
import type { Config } from '../config';
import type { Database } from '../db/client';
import type { SnapshotStore } from '../delivery/snapshot';
import { Scheduler } from './scheduler';

/** Starts the scheduler on an open database; with a snapshot (inside `serve`), applied changes refresh it at once. */
export async function startScheduler(
  runtime: { database: Database; config: Config; logger: Logger },
  snapshot?: SnapshotStore,
): Promise<Scheduler> {
  const logger = runtime.logger.child({ component: 'scheduler' });
  const scheduler = new Scheduler(
    runtime.database,
    {
      db: runtime.database.db,
      logger,
      ...(snapshot ? { afterCommit: (version: number) => snapshot.ensureAtLeast(version) } : {}),
    },
    runtime.config.scheduler,
    logger,
  );
  await scheduler.start();
  return scheduler;
}
