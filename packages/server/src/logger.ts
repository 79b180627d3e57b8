import pino, { type Logger } from 'pino';
import type { Config } from './config';

/** Structured JSON logs; commands whose stdout is their result (run-due) log to stderr instead. */
export function createLogger(level: Config['logLevel'], options: { toStderr?: boolean } = {}): Logger {
  return pino({ level, base: { service: 'flagline' } }, options.toStderr ? pino.destination(2) : undefined);
}
