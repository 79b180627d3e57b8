import pino, { type DestinationStream, type Logger } from 'pino';
import type { Config } from './config';
import { serializeErrorWithoutParameters } from './db/redaction';

/**
 * Structured JSON logs; commands whose stdout is their result (run-due) log to stderr instead. Errors are logged
 * without the parameters of a failed query (secrets and token hashes travel in them).
 */
export function createLogger(
  level: Config['logLevel'],
  options: { toStderr?: boolean; destination?: DestinationStream } = {},
): Logger {
  return pino(
    { level, base: { service: 'flagline' }, serializers: { err: serializeErrorWithoutParameters } },
    options.destination ?? (options.toStderr ? pino.destination(2) : undefined),
  );
}
