import { constants as osConstants } from 'node:os';
import type { Logger } from 'pino';
import { describeFatal } from '../fatal';

/** Set once the configuration is read: failures print their stack only at debug level. */
export const failureDetail = { debug: false };

export function noteLogLevel(level: string): void {
  failureDetail.debug = level === 'debug' || level === 'trace';
}

/** What a failed command prints: one line the operator can act on; stacks only at debug level. */
export function describeFailure(error: unknown): string {
  return describeFatal(error, failureDetail.debug);
}

/**
 * The first SIGINT/SIGTERM stops gracefully (in-flight webhook sends are cut off, so receivers cannot hold it up);
 * a second one, from an operator who will not wait, exits at once.
 */
export function onShutdownSignal(
  logger: Logger,
  message: string,
  stop: () => Promise<void>,
  signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'],
): void {
  let stopping = false;
  const handle = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(128 + (osConstants.signals[signal] ?? 0));
    }
    stopping = true;
    logger.info({ signal }, message);
    void stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  for (const signal of signals) process.on(signal, handle);
}
