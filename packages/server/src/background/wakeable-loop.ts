import type { Logger } from 'pino';
import type { Database, Unlisten } from '../db/client';
import { Alarm } from './alarm';

/**
 * A background loop that works, then sleeps until it next has work — woken early by a NOTIFY on `channel`, and never
 * longer than `maxSleepMs`. A failing pass (database down) backs off up to maxSleepMs and tries again; it never exits.
 */
export abstract class WakeableLoop {
  private stopped = true;
  private failures = 0;
  private readonly alarm = new Alarm();
  private unlisten: Unlisten | undefined;
  private running: Promise<void> | undefined;

  constructor(
    protected readonly database: Database,
    protected readonly logger: Logger,
    private readonly channel: string,
    private readonly maxSleepMs: number,
  ) {}

  /** Does the work that is due; returns how long until more is due (ms), or undefined when nothing is scheduled. */
  protected abstract pass(): Promise<number | undefined>;

  protected get isStopped(): boolean {
    return this.stopped;
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.unlisten = await this.database.listen(this.channel, () => this.wake());
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
        const next = await this.pass();
        this.failures = 0;
        // +1 ms: wake just after the due instant, not a hair before it.
        delay = next === undefined ? this.maxSleepMs : Math.max(0, Math.min(this.maxSleepMs, Math.ceil(next) + 1));
      } catch (error) {
        this.failures++;
        delay = Math.min(this.maxSleepMs, 100 * 2 ** Math.min(this.failures, 10));
        this.logger.error({ err: error, retryInMs: delay }, `${this.constructor.name} pass failed`);
      }
      if (!this.stopped) await this.alarm.sleep(delay);
    }
  }
}
