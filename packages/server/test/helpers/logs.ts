import type { Logger } from 'pino';
import { createLogger } from '../../src/logger';

export interface CapturedLogs {
  /** The production logger (same serializers), writing to memory. */
  logger: Logger;
  /** Everything logged so far, one JSON line per entry. */
  text(): string;
  entries(): Record<string, unknown>[];
}

export function captureLogs(level: 'info' | 'debug' | 'warn' = 'info'): CapturedLogs {
  const lines: string[] = [];
  const logger = createLogger(level, { destination: { write: (line: string) => lines.push(line) } });
  return {
    logger,
    text: () => lines.join(''),
    entries: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
