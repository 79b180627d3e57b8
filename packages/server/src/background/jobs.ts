import type { Logger } from 'pino';
import type { AuditSealer } from '../audit/sealer';
import { createAuditSealer } from '../audit/sealing';
import { expireChangeRequests } from '../change-requests/change-request-service';
import type { Config } from '../config';
import type { Database } from '../db/client';
import type { ChangeNotice } from '../db/unit-of-work';
import type { SnapshotStore } from '../delivery/snapshot';
import { cleanupSchedules } from '../schedules/retention';
import { Scheduler } from '../schedules/scheduler';
import { WebhookDispatcher } from '../webhooks/dispatcher';

const DAY_MS = 86_400_000;
/**
 * How often pending schedule requests whose time passed are marked expired. Approving one after its time is refused
 * anyway; the sweep is what records the expiry (an audit event) when nobody acts.
 */
const CHANGE_REQUEST_EXPIRY_MS = 15_000;
/** Starting a loop (its LISTEN connection) is tried this often before the start fails, backing off from 200 ms. */
const START_ATTEMPTS = 6;

/**
 * Starts the loops in order, each retried while the database refuses (a restart or a cut connection at that moment
 * must not end a process whose port already answers); if one still cannot start, those started are stopped again
 * before the error goes up, so no loop is left running in a process that is failing its start.
 */
async function startLoops(
  loops: { name: string; loop: { start(): Promise<void>; stop(): Promise<void> } }[],
  logger: Logger,
) {
  const started: typeof loops = [];
  try {
    for (const entry of loops) {
      for (let attempt = 1; ; attempt++) {
        try {
          await entry.loop.start();
          break;
        } catch (error) {
          // A failed start may have half-registered (its listener): stop it before trying again.
          await entry.loop.stop().catch(() => {});
          if (attempt >= START_ATTEMPTS) throw error;
          const retryInMs = 200 * 2 ** (attempt - 1);
          logger.warn({ err: error, attempt, retryInMs }, `${entry.name} could not start; retrying`);
          await new Promise((resolve) => setTimeout(resolve, retryInMs));
        }
      }
      started.push(entry);
    }
  } catch (error) {
    await Promise.all(started.map((entry) => entry.loop.stop().catch(() => {})));
    throw error;
  }
}

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
  const expire = () =>
    expireChangeRequests({ db: database.db, logger })
      .then((expired) => {
        if (expired > 0) logger.info({ expired }, 'change requests expired: their scheduled time passed unapproved');
      })
      .catch((error: unknown) => logger.error({ err: error }, 'change request expiry failed'));
  const sealer = await createAuditSealer(runtime);
  await startLoops(
    [
      { name: 'the audit sealer', loop: sealer },
      { name: 'the scheduler', loop: scheduler },
      { name: 'webhook delivery', loop: webhooks },
    ],
    logger,
  );
  void cleanup();
  const cleanupTimer = setInterval(() => void cleanup(), DAY_MS);
  cleanupTimer.unref();
  const expiryTimer = setInterval(() => void expire(), CHANGE_REQUEST_EXPIRY_MS);
  expiryTimer.unref();
  return {
    scheduler,
    webhooks,
    sealer,
    async stop() {
      clearInterval(cleanupTimer);
      clearInterval(expiryTimer);
      await Promise.all([scheduler.stop(), webhooks.stop(), sealer.stop()]);
    },
  };
}
