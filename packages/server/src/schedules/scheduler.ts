import type { Logger } from 'pino';
import { WakeableLoop } from '../background/wakeable-loop';
import type { Database } from '../db/client';
import type { UnitOfWorkDeps } from '../db/unit-of-work';
import { type ApplyOptions, runDuePass } from './apply';
import { SCHEDULES_CHANNEL } from './schedule-store';
import { msUntilNextDue } from './sql/next-due';

export interface SchedulerOptions extends ApplyOptions {
  pollMs: number;
}

/**
 * The worker: applies what is due, then sleeps until the next due time — woken early when a schedule is created or
 * cancelled (NOTIFY), and never longer than pollMs, as a safety net. Claims are SKIP LOCKED, so any number of these
 * may run against one PostgreSQL.
 */
export class Scheduler extends WakeableLoop {
  constructor(
    database: Database,
    private readonly deps: UnitOfWorkDeps,
    private readonly options: SchedulerOptions,
    logger: Logger,
  ) {
    super(database, logger, SCHEDULES_CHANNEL, options.pollMs);
  }

  protected async pass(): Promise<number | undefined> {
    const summary = await runDuePass(this.deps, this.options);
    if (summary.processed > 0) this.logger.info({ summary }, 'scheduler applied due schedules');
    return msUntilNextDue(this.deps.db);
  }
}
