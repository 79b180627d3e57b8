import type { Logger } from 'pino';
import { httpDuration } from '../shared/metrics';

export interface FinishedRequest {
  method: string;
  /** The matched route's pattern (/api/admin/flags/:flagKey), never the URL: no ids, no query string, no tokens. */
  route: string;
  status: number;
  /** performance.now() when the request arrived. */
  started: number;
  requestId: string;
}

/** Every answered request: one latency observation and one access log line at info (LOG_LEVEL=warn turns them off). */
export function recordRequest(logger: Logger, { method, route, status, started, requestId }: FinishedRequest): void {
  const seconds = (performance.now() - started) / 1000;
  httpDuration.observe({ method, route, status: String(status) }, seconds);
  if (logger.isLevelEnabled('info')) {
    logger.info({ method, route, status, durationMs: Math.round(seconds * 10_000) / 10, requestId }, 'request');
  }
}
