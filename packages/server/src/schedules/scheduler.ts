import { and, eq, min, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { Alarm } from '../background/alarm';
import type { Database, Unlisten } from '../db/client';
import { flagSchedules } from '../db/schema';
import type { UnitOfWorkDeps } from '../db/unit-of-work';
import { type ApplyOptions, runDuePass } from './apply';
import { dueAt, SCHEDULES_CHANNEL } from './schedule-store';

export interface SchedulerOptions extends ApplyOptions {
  pollMs: number;
}

/**
 * The worker: applies what is due, then sleeps until the next due time — woken early when a schedule is created or
 * cancelled (NOTIFY), and never longer than pollMs, as a safety net. Claims are SKIP LOCKED, so any number of these
 * may run against one PostgreSQL.
 */
export class Scheduler {
  private stopped = true;
  private readonly alarm = new Alarm();
  private unlisten: Unlisten | undefined;
  private running: Promise<void> | undefined;
  private failures = 0;

  constructor(
    private readonly database: Database,
    private readonly deps: UnitOfWorkDeps,
    private readonly options: SchedulerOptions,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.stopped = false;
    this.unlisten = await this.database.listen(SCHEDULES_CHANNEL, () => this.wake());
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.unlisten?.();
    await this.running;
  }

  wake(): void {
    this.alarm.wake();
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      let delay: number;
      try {
        const summary = await runDuePass(this.deps, this.options);
        if (summary.processed > 0) this.logger.info({ summary }, 'scheduler applied due schedules');
        this.failures = 0;
        delay = await this.msUntilNextDue();
      } catch (error) {
        // The database is down or refusing: back off (up to the poll interval) and try again; never exit.
        this.failures++;
        delay = Math.min(this.options.pollMs, 100 * 2 ** Math.min(this.failures, 10));
        this.logger.error({ err: error, retryInMs: delay }, 'scheduler pass failed');
      }
      if (!this.stopped) await this.alarm.sleep(delay);
    }
  }

  private async msUntilNextDue(): Promise<number> {
    const [row] = await this.deps.db
      .select({ ms: sql<string | null>`extract(epoch from (${min(dueAt)} - now())) * 1000` })
      .from(flagSchedules)
      .where(and(eq(flagSchedules.status, 'pending')));
    if (row?.ms === null || row?.ms === undefined) return this.options.pollMs;
    // +1 ms: wake just after the due instant, not a hair before it.
    return Math.max(0, Math.min(this.options.pollMs, Math.ceil(Number(row.ms)) + 1));
  }
}
