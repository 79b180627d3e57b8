import type { OpenAPIHono } from '@hono/zod-openapi';
import { auditRoutes } from './audit/audit-routes';
import { flagHistoryRoutes } from './audit/flag-history';
import { meRoutes } from './auth/me-routes';
import { readBacklog } from './background/backlog';
import { changeRequestRoutes } from './change-requests/change-request-routes';
import { checkDatabase, DATABASE_CHECK_TIMEOUT_MS, withTimeout } from './db/health';
import { revokedInDatabase } from './delivery/stream-registry';
import { environmentRoutes } from './environments/environment-routes';
import { flagRoutes } from './flags/flag-routes';
import { targetingRoutes } from './flags/targeting-routes';
import { mountApiDocs } from './http/api-docs';
import { createAppShell, finishApp, mountDelivery } from './http/app-shell';
import type { AppEnv } from './http/context';
import type { AppDeps } from './http/deps';
import { requireMetricsToken } from './http/metrics-token';
import { openApiDocument } from './http/openapi';
import { mountWebUi } from './http/web-ui';
import { importRoutes } from './import/import-routes';
import { overrideRoutes } from './overrides/override-routes';
import { planRoutes } from './plans/plan-routes';
import { scheduleRoutes } from './schedules/schedule-routes';
import { segmentRoutes } from './segments/segment-routes';
import { AppError } from './shared/errors';
import { observeDatabase, observeSnapshot, registry } from './shared/metrics';
import { tokenRoutes } from './tokens/token-routes';
import { VERSION } from './version';
import { webhookRoutes } from './webhooks/webhook-routes';

export { MAX_BODY_BYTES, MAX_IMPORT_BODY_BYTES } from './http/app-shell';

export function createApp(deps: AppDeps): OpenAPIHono<AppEnv> {
  const app = createAppShell(deps, { admin: true });

  app.get('/healthz', (c) => c.json({ status: 'ok', version: VERSION }));
  // Ready means evaluation can be served, which it is from memory once the snapshot has loaded, database outage or
  // not: taking the instance out of rotation then would stop evaluation for nothing. The database's own state is in
  // ?verbose and in flagline_database_up.
  app.get('/readyz', async (c) => {
    const verbose = c.req.query('verbose') !== undefined;
    const database = verbose ? await checkDatabase(deps.database.db) : undefined;
    if (database?.error !== undefined)
      deps.logger.warn({ error: database.error }, 'readiness: the database check failed');
    const checks = database && {
      database: {
        kind: deps.database.kind,
        status: database.up ? 'up' : 'down',
        latencyMs: Math.round(database.latencyMs * 10) / 10,
        ...(database.reason === undefined ? {} : { reason: database.reason }),
      },
      snapshot: deps.snapshot.ready
        ? {
            status: 'loaded',
            version: deps.snapshot.current.version,
            ageSeconds: (Date.now() - deps.snapshot.checkedAt.getTime()) / 1000,
          }
        : { status: 'loading' },
    };
    if (!deps.snapshot.ready) {
      throw new AppError('UNAVAILABLE', 'The flag snapshot has not loaded yet.', checks && { checks });
    }
    const ready = { status: 'ready', database: deps.database.kind, configVersion: deps.snapshot.current.version };
    return c.json(checks ? { ...ready, checks } : ready);
  });

  app.get('/metrics', requireMetricsToken(deps.config.metricsToken), async (c) => {
    c.header('content-type', registry.contentType);
    return c.body(await registry.metrics());
  });

  observeDatabase({
    check: () => checkDatabase(deps.database.db),
    backlog: () => withTimeout(readBacklog(deps.database.db), DATABASE_CHECK_TIMEOUT_MS, 'the backlog counts'),
  });
  observeSnapshot(() =>
    deps.snapshot.ready ? { version: deps.snapshot.current.version, checkedAt: deps.snapshot.checkedAt } : undefined,
  );
  mountDelivery(app, deps, revokedInDatabase(deps.database.db));
  app.route('/api/admin', meRoutes());
  app.route('/api/admin', flagRoutes(deps));
  app.route('/api/admin', targetingRoutes(deps));
  app.route('/api/admin', segmentRoutes(deps));
  app.route('/api/admin', overrideRoutes(deps));
  app.route('/api/admin', environmentRoutes(deps));
  app.route('/api/admin', tokenRoutes(deps));
  app.route('/api/admin', auditRoutes(deps));
  app.route('/api/admin', flagHistoryRoutes(deps));
  app.route('/api/admin', scheduleRoutes(deps));
  app.route('/api/admin', planRoutes(deps));
  app.route('/api/admin', webhookRoutes(deps));
  app.route('/api/admin', importRoutes(deps));
  app.route('/api/admin', changeRequestRoutes(deps));

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API token (fl_…), FLAGLINE_ADMIN_TOKEN, or an OIDC access token when AUTH_JWKS_URL is set.',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'apiKeyAuth', {
    type: 'apiKey',
    in: 'header',
    name: 'X-API-Key',
    description: 'OFREP routes only: the same API token, as OFREP providers send it.',
  });
  const document = openApiDocument(app, VERSION);
  app.get('/openapi.json', (c) => c.json(document()));
  mountApiDocs(app);

  if (!mountWebUi(app)) {
    app.get('/', (c) =>
      c.html(
        '<!doctype html><title>Flagline</title><p>Flagline is running. The admin UI is not built: run <code>npm install</code> (or <code>npm run build -w @flagline/web</code>). API reference: <a href="/docs">/docs</a>.</p>',
      ),
    );
  }

  finishApp(app, deps);
  return app;
}
