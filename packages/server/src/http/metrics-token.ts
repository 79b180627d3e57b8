import { createMiddleware } from 'hono/factory';
import { constantTimeEquals } from '../auth/secrets';
import { AppError } from '../shared/errors';
import type { AppEnv } from './context';

/**
 * GET /metrics is open unless METRICS_TOKEN is set; then the scraper sends it as a bearer token (Prometheus:
 * `authorization: { credentials: … }`). Open by default because scrapers are usually configured without one and the
 * figures hold no secrets; set it where the port is reachable from outside.
 */
export function requireMetricsToken(token: string | undefined) {
  return createMiddleware<AppEnv>(async (c, next) => {
    if (token !== undefined) {
      const presented = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '')?.[1];
      if (presented === undefined || !constantTimeEquals(presented, token)) {
        throw new AppError('UNAUTHORIZED', 'GET /metrics needs the METRICS_TOKEN as "Authorization: Bearer <token>".');
      }
    }
    await next();
  });
}
