import type { Logger } from 'pino';
import type { AuditSealer } from '../audit/sealer';
import { startAuditSealing } from '../audit/sealing';
import type { Config } from '../config';
import type { Database } from '../db/client';
import type { ChangeNotice } from '../db/unit-of-work';
import type { SnapshotStore } from '../delivery/snapshot';
import { cleanupSchedules } from '../schedules/retention';
import { Scheduler } from '../schedules/scheduler';
import { WebhookDispatcher } from '../webhooks/dispatcher';

const DAY_MS = 86_400_000;

export interface BackgroundJobs {
  scheduler: Scheduler;
  webhooks: WebhookDispatcher;
  sealer: AuditSealer;
  stop(): Promise<void>;
}

/**
 * What runs besides the API: the scheduler, the audit sealer (with its checkpoints), webhook delivery and the daily
 * schedule cleanup. All of them claim work with SKIP LOCKED, take turns on a lock, or are idempotent, so they run in `serve`, in any number of `flagline worker`s, or both.
 * With a snapshot (inside `serve`), changes the scheduler applies refresh it before the worker moves on.
 */
export async function startBackgroundJobs(
  runtime: { database: Database; config: Config; logger: Logger },
  snapshot?: SnapshotStore,
): Promise<BackgroundJobs> {
  const { database, config } = runtime;
  const logger = runtime.logger.child({ component: 'background' });
  const scheduler = new Scheduler(
    database,
    {
      db: database.db,
      logger,
      ...(snapshot ? { afterCommit: (notice: ChangeNotice) => snapshot.receive(notice) } : {}),
    },
    config.scheduler,
    logger,
  );
  const webhooks = new WebhookDispatcher(database, config.webhooks, logger);
  const cleanup = () =>
    cleanupSchedules(database.db, config.scheduler)
      .then(({ deleted }) => {
        if (deleted > 0) logger.info({ deleted }, 'removed old applied and cancelled schedules');
      })
      .catch((error: unknown) => logger.error({ err: error }, 'schedule cleanup failed'));
  const sealer = await startAuditSealing(runtime);
  await scheduler.start();
  await webhooks.start();
  void cleanup();
  const cleanupTimer = setInterval(() => void cleanup(), DAY_MS);
  cleanupTimer.unref();
  return {
    scheduler,
    webhooks,
    sealer,
    async stop() {
      clearInterval(cleanupTimer);
      await Promise.all([scheduler.stop(), webhooks.stop(), sealer.stop()]);
    },
  };
}
